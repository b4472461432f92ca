use reactive_core::prelude::*;

#[when("db.ready")]
fn handler() -> Result<(), Box<dyn std::error::Error>> {
    Ok(())
}

fn main() {}
