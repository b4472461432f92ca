#!/usr/bin/env bash
# Whole-process hook timing of the telemetry example.
#
# Builds the release binaries, then runs the seven-step scenario of
# examples/telemetry/scenario.yaml with the scrape-target and prometheus
# charms as real processes (one warm-up run, then $RUNS measured runs; each
# checked hook for hook against an in-process run of the same scenario) and
# prints, per hook kind and overall, the medians of the charm's wall time,
# its time in hook tools, wall minus tools, its hook-tool calls and its
# peak RSS, with p90 and max, and whether the targets are met:
#
#   median hook wall time excluding hook tools < 5 ms
#   peak RSS of every hook < 8 MB
#
# Usage:
#   scripts/bench-hooks.sh [bench_hooks options]   # e.g. --enforce, --raw FILE
#
# Environment:
#   RUNS=N                     measured runs (default 5)
#   CHARMS_REACTIVE_PYTHON=P   also time `P -c "import charms.reactive"` (a
#                              Python with charms.reactive installed) and
#                              print the ratios
#
# Exits non-zero when the build or a run fails (with --enforce, 3 when a
# target is missed).
set -euo pipefail

die() {
    echo "bench-hooks: $*" >&2
    exit 1
}

cd "$(dirname "${BASH_SOURCE[0]}")/.." || die "cannot enter the workspace root"
[[ -f Cargo.toml && -d examples/telemetry ]] || die "$(pwd) is not the reactive-rs workspace"
command -v cargo >/dev/null || die "cargo not found on PATH"

RUNS=${RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a whole number from 1, not '$RUNS'"

echo "bench-hooks: cargo build --release --workspace --bins --examples" >&2
cargo build --release --workspace --bins --examples ||
    die "the release build failed"

# Where cargo put them (target/ unless CARGO_TARGET_DIR or a config says otherwise).
target_dir=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[[ -n $target_dir ]] || die "cannot tell the target directory from 'cargo metadata'"
bench="$target_dir/release/examples/bench_hooks"
[[ -x $bench ]] || die "$bench was not built"

echo "bench-hooks: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(rustc --version)" >&2
out=$("$bench" --runs "$RUNS" "$@") || {
    code=$?
    [[ -n ${out:-} ]] && printf '%s\n' "$out"
    [[ $code -eq 3 ]] && exit 3
    die "the benchmark failed (exit status $code)"
}
printf '%s\n' "$out"

if [[ -n ${CHARMS_REACTIVE_PYTHON:-} ]]; then
    py=$CHARMS_REACTIVE_PYTHON
    [[ -x $py ]] || die "CHARMS_REACTIVE_PYTHON=$py is not an executable"
    "$py" -c "import charms.reactive" 2>/dev/null ||
        die "$py cannot import charms.reactive"
    # Median wall time and max RSS of 7 fresh interpreters importing it.
    read -r import_ms import_kb < <("$py" - <<'EOF'
import os, statistics, sys, time
times, rss = [], []
for _ in range(7):
    start = time.perf_counter()
    pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, "-c", "import charms.reactive"])
    _, status, usage = os.wait4(pid, 0)
    times.append(time.perf_counter() - start)
    if status != 0:
        sys.exit("import charms.reactive failed")
    rss.append(usage.ru_maxrss)
print(f"{statistics.median(times) * 1000:.1f} {max(rss)}")
EOF
    ) || die "timing the charms.reactive import failed"
    hook_ms=$(awk '/^process - tools/ {print $7}' <<<"$out")
    hook_kb=$(sed -n 's/^peak RSS: .*(\([0-9]*\) kB)$/\1/p' <<<"$out")
    [[ -n $hook_ms && -n $hook_kb ]] || die "cannot read the medians from the benchmark's output"
    echo
    awk -v ims="$import_ms" -v ikb="$import_kb" -v hms="$hook_ms" -v hkb="$hook_kb" 'BEGIN {
        printf "python -c \"import charms.reactive\": median %.1f ms, max RSS %.1f MiB\n", ims, ikb / 1024
        printf "  = %.0fx the median hook wall time excluding tools (%.2f ms), %.1fx the peak hook RSS (%.1f MiB)\n",
            ims / hms, hms, ikb / hkb, hkb / 1024
    }'
fi
