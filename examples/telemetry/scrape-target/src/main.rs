//! The scrape-target charm binary, as Juju runs it (see `reactive_core::run`).

// The handlers live in the library, so that the example runner and the
// tests can also run this charm in process. Naming the library links it,
// and with it its handlers and the interface's endpoint types, which
// register themselves only when linked: without this line the binary
// would run no handler at all.
use scrape_target as _;

fn main() {
    reactive_core::run()
}
