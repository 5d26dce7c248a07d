#!/usr/bin/env bash
# Every performance measurement of docs/perf.md, against the release build.
#
#   scripts/perf/run_all.sh              # ~4 min after the build
#   BENCHES=0 scripts/perf/run_all.sh    # skip the criterion benches
#
# Not part of the test suite: timings depend on the machine. Run it on a
# quiet machine (no compile in the background) for numbers worth comparing.
set -euo pipefail
cd "$(dirname "$0")/../.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== machine"
echo "cpus: $(nproc) ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo))"
echo "kernel: $(uname -r)   $(rustc --version)"
# PERF_COMMIT names the source when measuring an exported tree (no .git).
echo "commit: ${PERF_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src Cargo.toml 2>/dev/null || echo ' (+ uncommitted changes in src/ or Cargo.toml)')}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build"
cargo build --release --bin opsboard --example loopback_health

if [[ "${BENCHES:-1}" != 0 ]]; then
    echo "== criterion benches"
    cargo bench --bench render --bench health_body -- --warm-up-time 1 --measurement-time 3 \
        2>&1 | tee "$tmp/bench.txt"
fi

echo "== probe CPU and RSS"
SKIP_BUILD=1 scripts/perf/probe_cpu.sh | tee "$tmp/probe.txt"

echo "== idle board"
python3 scripts/perf/idle.py | tee "$tmp/idle.txt"

echo "== first frame of demo"
python3 scripts/perf/first_frame.py | tee "$tmp/first.txt"

echo
echo "================ summary ================"
if [[ -f "$tmp/bench.txt" ]]; then
    # Criterion prints the name on its own line (or before "time:") and then
    # "time: [low estimate high]"; report the estimate.
    awk '
        /^[a-z_0-9]+\/[A-Za-z_0-9]+/ { name = $1 }
        /time:/ && !/%/ {
            match($0, /\[[^]]*\]/); split(substr($0, RSTART + 1, RLENGTH - 2), v, " ");
            est = v[3] " " v[4]
            verdict = ""
            if (name ~ /^render_services_1000\//) {
                us = v[3]; if (v[4] == "ms") us *= 1000; if (v[4] == "ns") us /= 1000
                verdict = (us < 2000) ? "target < 2 ms   PASS" : "target < 2 ms   FAIL"
            }
            printf "bench %-45s %12s   %s\n", name, est, verdict
        }' "$tmp/bench.txt"
fi
grep -E '^(probe_cpu|rss_10s|rss_full) ' "$tmp/probe.txt" || true
grep -E '^summary ' "$tmp/idle.txt" "$tmp/first.txt" -h | sed 's/^summary //' || true
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
