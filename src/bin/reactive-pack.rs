//! Pack a charm built with reactive-rs as a directory Juju can deploy.
//!
//! `reactive-pack CHARM_DIR BINARY OUT_DIR`

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [charm_dir, binary, out_dir] = args.as_slice() else {
        eprintln!(
            "usage: reactive-pack CHARM_DIR BINARY OUT_DIR\n\n\
             CHARM_DIR holds the charm's metadata.yaml and config.yaml; BINARY is the\n\
             charm binary (cargo build --release); OUT_DIR receives the packed charm."
        );
        return ExitCode::from(2);
    };
    let base = reactive_core::pack::Base::default();
    match reactive_core::pack::pack_charm(
        Path::new(charm_dir),
        Path::new(binary),
        Path::new(out_dir),
        &base,
    ) {
        Ok(out) => {
            println!("packed {} into {}", charm_dir, out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
