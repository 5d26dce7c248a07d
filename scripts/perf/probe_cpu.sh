#!/usr/bin/env bash
# CPU and memory of the real release binary probing 1,000 HTTP services on
# loopback (scripts/perf/README in docs/perf.md).
#
#   scripts/perf/probe_cpu.sh            # build, then both runs
#   SKIP_BUILD=1 scripts/perf/probe_cpu.sh
#
# Run 1 (CPU): 1,000 services, interval 10s, in a 160x48 pty; 15 s warm-up,
#   then utime+stime over 60 s. Target: < 5 % of one core.
# Run 2 (RSS): the same 1,000 services at interval 200ms until the server has
#   answered every probe >= 121 times (every 120-sample history full), then
#   VmRSS / VmHWM. Target: < 40 MB.
#
# Tunables (environment): SERVICES=1000 WARMUP=15 MEASURE=60
#   FILL_INTERVAL=200ms FILL_HITS=121
set -euo pipefail
cd "$(dirname "$0")/../.."

SERVICES=${SERVICES:-1000}
WARMUP=${WARMUP:-15}
MEASURE=${MEASURE:-60}
FILL_INTERVAL=${FILL_INTERVAL:-200ms}
FILL_HITS=${FILL_HITS:-121}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

if [[ -z "${SKIP_BUILD:-}" ]]; then
    cargo build --release --bin opsboard --example loopback_health
fi

tmp=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# start_server: a fresh loopback_health (fresh hit counters) per run.
start_server() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    : >"$tmp/server.out"
    "$TARGET_DIR/release/examples/loopback_health" --expect "$SERVICES" >"$tmp/server.out" &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q '^PORT ' "$tmp/server.out" 2>/dev/null && break
        sleep 0.05
    done
    port=$(awk '/^PORT /{print $2}' "$tmp/server.out")
    [[ -n "$port" ]] || { echo "loopback_health did not start" >&2; exit 1; }
}

# write_config FILE INTERVAL
write_config() {
    {
        printf '[defaults]\ninterval = "%s"\ntimeout = "2s"\nfailure_threshold = 3\nmax_concurrent_probes = 64\n\n' "$2"
        for i in $(seq 1 "$SERVICES"); do
            printf '[[services]]\nname = "svc-%04d"\n[[services.health]]\nurl = "http://127.0.0.1:%s/health/%d"\n\n' "$i" "$port" "$i"
        done
    } >"$1"
}

# Logs (info level: start/stop lines only) go to a scratch state dir.
export XDG_STATE_HOME="$tmp/state" TERM=xterm-256color
bin="$TARGET_DIR/release/opsboard"

start_server
write_config "$tmp/interval-10s.toml" 10s
echo "== probe_cpu: $SERVICES services, interval 10s, pty 160x48, warm-up ${WARMUP}s, window ${MEASURE}s"
python3 scripts/perf/ptyrun.py --cols 160 --rows 48 --warmup "$WARMUP" --measure "$MEASURE" \
    --also-pid "$server_pid" --stats-url "http://127.0.0.1:$port/stats" \
    -- "$bin" --config "$tmp/interval-10s.toml" | tee "$tmp/cpu.txt"
cpu=$(awk -F= '/^cpu_percent=/{print $2}' "$tmp/cpu.txt")
rss10=$(awk -F= '/^vmrss_kib=/{print $2}' "$tmp/cpu.txt")

start_server
write_config "$tmp/interval-fill.toml" "$FILL_INTERVAL"
echo "== probe_rss: $SERVICES services, interval $FILL_INTERVAL until every probe answered >= $FILL_HITS times"
python3 scripts/perf/ptyrun.py --cols 160 --rows 48 --warmup 0 --measure 0 \
    --stats-url "http://127.0.0.1:$port/stats" --min-hits "$FILL_HITS" --max-wait 300 \
    -- "$bin" --config "$tmp/interval-fill.toml" | tee "$tmp/rss.txt"
rss=$(awk -F= '/^vmrss_kib=/{print $2}' "$tmp/rss.txt")
hwm=$(awk -F= '/^vmhwm_kib=/{print $2}' "$tmp/rss.txt")
reached=$(awk -F= '/^min_hits_reached=/{print $2}' "$tmp/rss.txt")

verdict() { if awk "BEGIN{exit !($1)}"; then echo PASS; else echo FAIL; fi; }
echo "== summary"
printf 'probe_cpu  %6.2f %% of one core (1,000 probes / 10 s)    target < 5 %%   %s\n' \
    "$cpu" "$(verdict "$cpu < 5")"
# MB = 10^6 bytes (the stricter reading of the target); /proc reports KiB.
mb() { awk "BEGIN{printf \"%.1f\", $1 * 1024 / 1e6}"; }
printf 'rss_10s    %6s MB VmRSS after %ss at 10s interval (1-8 samples per history)\n' "$(mb "$rss10")" "$((WARMUP + MEASURE))"
printf 'rss_full   %6s MB VmRSS, %s MB VmHWM (full histories)   target < 40 MB %s%s\n' \
    "$(mb "$rss")" "$(mb "$hwm")" \
    "$(verdict "$hwm * 1024 < 40e6")" "${reached:+ (histories NOT full: $reached)}"
