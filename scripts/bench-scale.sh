#!/usr/bin/env bash
# Hook cost against the number of related units.
#
# Builds the release binaries, then runs examples/bench_scale.rs: one
# prometheus unit of the telemetry example, run as a real process in the
# simulator, related to N scrape-target units (run in process), for
# N = 10, 100 and 1,000; per hook kind of the prometheus unit (cold first
# hook on a unit state without a relation-data snapshot or request index,
# -relation-changed, update-status, -relation-departed) the medians of its
# hook-tool calls, the charm process's own CPU time (its hook tools are
# other processes), its wall time and its peak RSS, as a Markdown table.
#
# Usage:
#   scripts/bench-scale.sh [bench_scale options]   # e.g. --units 10,100
#
# bench_scale's options: --runs N, --units LIST, --bin-dir DIR (the
# prometheus binary to run), --compare DIR (alternate runs with a second
# build), --instructions (count the charm's instructions under callgrind;
# needs valgrind).
#
# Environment:
#   RUNS=N        hooks of each kind measured per N (default 5)
#   BENCH_KEEP=1  keep each N's work directory (under the system temp
#                 directory: the units' charm directories and unit states)
#
# Exits non-zero when the build or a run fails.
set -euo pipefail

die() {
    echo "bench-scale: $*" >&2
    exit 1
}

cd "$(dirname "${BASH_SOURCE[0]}")/.." || die "cannot enter the workspace root"
[[ -f Cargo.toml && -d examples/telemetry ]] || die "$(pwd) is not the reactive-rs workspace"
command -v cargo >/dev/null || die "cargo not found on PATH"

RUNS=${RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a whole number from 1, not '$RUNS'"

echo "bench-scale: cargo build --release -p prometheus -p reactive-rs --example bench_scale" >&2
cargo build --release -p prometheus --bins || die "the release build of prometheus failed"
cargo build --release -p reactive-rs --example bench_scale || die "the release build of bench_scale failed"

target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[[ -n $target_dir ]] || die "cannot tell the target directory from 'cargo metadata'"
bench="$target_dir/release/examples/bench_scale"
[[ -x $bench ]] || die "$bench was not built"

echo "bench-scale: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(rustc --version)" >&2
"$bench" --runs "$RUNS" "$@" || die "the benchmark failed (exit status $?)"
