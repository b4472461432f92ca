//! The three handler signatures and both return kinds.
#![deny(unused_imports)]

use std::error::Error;
use std::fmt;

use reactive_core::prelude::*;

#[derive(Debug)]
struct NotReady;

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not ready")
    }
}

impl Error for NotReady {}

#[when("a")]
fn no_args() {}

#[when("a")]
fn mut_context(ctx: &mut Context) {
    ctx.set_flag("b");
}

#[when("a")]
fn ref_context(ctx: &Context) {
    let _ = ctx.is_flag_set("b");
}

#[when("a")]
fn no_args_result() -> Result<(), NotReady> {
    Ok(())
}

#[when("a")]
fn mut_context_result(ctx: &mut Context) -> Result<(), NotReady> {
    if ctx.is_flag_set("b") {
        Ok(())
    } else {
        Err(NotReady)
    }
}

#[when("a")]
fn ref_context_boxed(ctx: &Context) -> Result<(), Box<dyn Error + Send + Sync>> {
    if ctx.is_flag_set("b") {
        Ok(())
    } else {
        Err("not ready".into())
    }
}

#[when("a")]
fn io_result() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
