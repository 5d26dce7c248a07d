#!/usr/bin/env bash
# CPU and memory of the real release binary scraping 200 Prometheus
# `/metrics` targets on loopback every 15 s (docs/perf.md, "Scraping 200
# /metrics targets every 15 s").
#
#   scripts/perf/scrape_cpu.sh            # build, then the run
#   SKIP_BUILD=1 scripts/perf/scrape_cpu.sh
#   GZIP=1 SKIP_BUILD=1 scripts/perf/scrape_cpu.sh   # gzipped bodies
#
# The targets are scripts/perf/metrics_targets.py on one port: each
# `/t/N/metrics` is the node_exporter capture
# tests/fixtures/metrics/node_exporter.prom followed by an application's
# http_requests_total counters and http_request_duration_seconds histogram,
# all counters growing between scrapes. opsboard runs in an 80x24 pty with
# 200 services that have only `[services.metrics]` (no health probes, Docker
# off); after WARMUP seconds, utime+stime of opsboard's process alone is read
# over MEASURE seconds. Target: < 5 % of one core.
#
# Tunables (environment): TARGETS=200 INTERVAL=15s (whole seconds) WARMUP=20
#   MEASURE=60 GZIP=1 (gzip bodies when the scraper accepts it)
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGETS=${TARGETS:-200}
INTERVAL=${INTERVAL:-15s}
WARMUP=${WARMUP:-20}
MEASURE=${MEASURE:-60}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
gzip_flag=
[[ "${GZIP:-0}" == 0 ]] || gzip_flag=--gzip
FIXTURE=tests/fixtures/metrics/node_exporter.prom

if [[ "${SKIP_BUILD:-0}" == 0 ]]; then
    cargo build --release --bin opsboard
fi

tmp=$(mktemp -d)
server_pid=
exporter_pid=
cleanup() {
    for pid in $server_pid $exporter_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The capture is normally committed; without it, take one from a local
# node_exporter (Debian: prometheus-node-exporter) on a free loopback port.
if [[ ! -s "$FIXTURE" ]]; then
    exporter=$(command -v prometheus-node-exporter || command -v node_exporter || true)
    [[ -n "$exporter" ]] || { echo "no $FIXTURE and no node_exporter to capture one" >&2; exit 1; }
    eport=$(free_port)
    "$exporter" --web.listen-address="127.0.0.1:$eport" >"$tmp/exporter.log" 2>&1 &
    exporter_pid=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$eport/metrics" -o "$tmp/node_exporter.prom" && break
        sleep 0.1
    done
    kill "$exporter_pid" 2>/dev/null || true
    wait "$exporter_pid" 2>/dev/null || true
    exporter_pid=
    [[ -s "$tmp/node_exporter.prom" ]] || { echo "could not capture from $exporter" >&2; exit 1; }
    FIXTURE="$tmp/node_exporter.prom"
    echo "captured $(wc -c <"$FIXTURE") bytes from $exporter (no committed fixture)"
fi

python3 scripts/perf/metrics_targets.py --node-exporter "$FIXTURE" --targets "$TARGETS" \
    $gzip_flag >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
for _ in $(seq 100); do
    grep -q '^PORT ' "$tmp/server.out" 2>/dev/null && break
    sleep 0.05
done
port=$(awk '/^PORT /{print $2}' "$tmp/server.out")
[[ -n "$port" ]] || { echo "metrics_targets.py did not start:" >&2; cat "$tmp/server.err" >&2; exit 1; }
body_bytes=$(awk '/^BODY_BYTES /{print $2}' "$tmp/server.out")

{
    # Only the scrapes: no local Docker engine, no kubeconfig.
    printf '[docker]\ndisabled = true\n\n'
    for ((i = 0; i < TARGETS; i++)); do
        printf '[[services]]\nname = "scrape-%03d"\n[services.metrics]\nurl = "http://127.0.0.1:%s/t/%d/metrics"\ninterval = "%s"\n\n' \
            "$i" "$port" "$i" "$INTERVAL"
    done
} >"$tmp/scrape.toml"

# Logs (info level) go to a scratch state dir.
export XDG_STATE_HOME="$tmp/state" TERM=xterm-256color
unset KUBECONFIG
bin="$TARGET_DIR/release/opsboard"

echo "== scrape_cpu: $TARGETS targets, interval $INTERVAL, body $body_bytes B${gzip_flag:+ (gzip when accepted)}, pty 80x24, warm-up ${WARMUP}s, window ${MEASURE}s"
python3 scripts/perf/ptyrun.py --cols 80 --rows 24 --warmup "$WARMUP" --measure "$MEASURE" \
    --also-pid "$server_pid" --stats-url "http://127.0.0.1:$port/stats" \
    -- "$bin" --config "$tmp/scrape.toml" | tee "$tmp/cpu.txt"

# ptyrun.py read /stats once at each end of its window; the server kept the
# request count at each read.
stats=$(curl -sf "http://127.0.0.1:$port/stats")
read -r scrapes served_total hits_min hits_max targets_hit sent < <(python3 -c '
import json, sys
s = json.loads(sys.argv[1]); m = s["marks"]
print(m[1] - m[0], s["requests"], s["min"], s["max"], s["targets_hit"], s["bytes"])
' "$stats")

kv() { awk -F= -v k="$1" '$1 == k {print $2}' "$tmp/cpu.txt"; }
cpu=$(kv cpu_percent)
window=$(kv window_s)
rss=$(kv vmrss_kib)
hwm=$(kv vmhwm_kib)
expected=$(awk -v t="$TARGETS" -v w="$window" -v i="${INTERVAL%s}" 'BEGIN{printf "%.0f", t * w / i}')
verdict=$(awk -v c="$cpu" 'BEGIN{print (c < 5) ? "PASS" : "FAIL"}')

echo "== summary"
printf 'scrape_cpu   %6.2f %% of one core (%s targets / %s)   target < 5 %%   %s\n' "$cpu" "$TARGETS" "$INTERVAL" "$verdict"
printf 'scrapes      %6d in the %ss window (expected ~%s); %d since start, per target %d-%d, %d/%d targets hit\n' \
    "$scrapes" "$window" "$expected" "$served_total" "$hits_min" "$hits_max" "$targets_hit" "$TARGETS"
printf 'per_scrape   %6s ms of CPU (window CPU time / scrapes)\n' \
    "$(awk -v c="$cpu" -v w="$window" -v n="$scrapes" 'BEGIN{printf "%.2f", (n > 0) ? c / 100 * w * 1000 / n : 0}')"
printf 'body         %6s B per scrape, %s B served in all\n' "$body_bytes" "$sent"
# MB = 10^6 bytes, as in the rest of docs/perf.md; /proc reports KiB.
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k * 1024 / 1e6}'; }
printf 'rss          %6s MB VmRSS at the end, %s MB VmHWM\n' "$(mb "$rss")" "$(mb "$hwm")"
printf 'server_cpu   %6s %% (metrics_targets.py, not counted)\n' "$(kv other_cpu_percent)"
printf 'loadavg      %s (at the end; %s cores)\n' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
