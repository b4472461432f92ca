use reactive_core::prelude::*;

#[when("db.ready")]
fn handler<T: Default>() {
    let _ = T::default();
}

fn main() {}
