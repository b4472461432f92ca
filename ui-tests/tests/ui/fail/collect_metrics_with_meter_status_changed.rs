use reactive_core::prelude::*;

#[collect_metrics]
#[meter_status_changed]
fn handler() {}

fn main() {}
