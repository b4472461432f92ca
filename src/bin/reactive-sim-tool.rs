//! The hook-tool client of the reactive-rs simulator.
//!
//! The simulator runs charms as processes with a directory of links named
//! after Juju's hook tools (`relation-get`, `config-get`, …) on their
//! `PATH`, all pointing at this binary. Run under such a name, it forwards
//! its command line to the simulator's hook-tool server
//! (`$REACTIVE_SIM_SOCKET`) and prints the answer; run under its own name,
//! it prints a usage message and exits 2.

fn main() {
    match reactive_testing::sim::tool_client::main_as_tool() {
        Some(code) => std::process::exit(code),
        None => {
            let program = std::env::args()
                .next()
                .and_then(|p| {
                    std::path::Path::new(&p)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "reactive-sim-tool".to_string());
            eprint!("{}", reactive_testing::sim::tool_client::usage(&program));
            std::process::exit(2)
        }
    }
}
