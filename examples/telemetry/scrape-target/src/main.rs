//! The scrape-target charm binary, as Juju runs it (see `reactive_core::run`).
//!
//! The handlers live in the library, so that the example runner and the
//! tests can also run this charm in process; naming the library's
//! declaration links it, with its handlers and its interface's endpoint
//! types.

fn main() {
    reactive_core::run(scrape_target::charm())
}
