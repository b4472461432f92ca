//! `reactive-pack`: pack a charm written with reactive-rs into the `.charm`
//! archive Juju deploys. `reactive-pack --help` says how.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = reactive_pack::cli::main_with(
        &args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
