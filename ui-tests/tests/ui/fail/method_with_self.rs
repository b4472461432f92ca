use reactive_core::prelude::*;

struct Db;

impl Db {
    #[when("db.ready")]
    fn handler(&self) {}
}

fn main() {}
