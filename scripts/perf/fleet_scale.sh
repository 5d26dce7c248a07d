#!/usr/bin/env bash
# The real release binary polling 10,000 simulated devices every 30 s, with
# the Fleet pane open (docs/perf.md, "Fleet pane (issue 7)").
#
#   scripts/perf/fleet_scale.sh             # build, then the run
#   SKIP_BUILD=1 scripts/perf/fleet_scale.sh
#
# The devices are examples/device_fleet.rs: one single-threaded loopback
# HTTP server answering `GET /d/{host}/health` for every device, which
# also writes the opsboard config (one fleet, 20 location groups,
# interval 30 s, timeout 5 s, default concurrency; Docker and Kubernetes
# off). opsboard runs in a tmux session of its own at 160x48; `2` opens
# the Fleet pane. For MEASURE seconds (3 poll rounds and a bit) the script
# samples opsboard's process every SAMPLE seconds: CPU (utime+stime from
# /proc/PID/stat, as % of one core over each window), VmRSS and VmHWM, and
# every second its sockets (`socket:` links in /proc/PID/fd, and its TCP
# sockets from `ss -tnp`). The device server counts no requests, so none
# are reported.
#
# Targets: CPU < 15 % of one core, RSS < 120 MB, sockets bounded (by the
# fleet's concurrency, 64 unless the config says otherwise).
#
# Tunables (environment): DEVICES=10000 LOCATIONS=20 MEASURE=95 SAMPLE=5
#   COLS=160 ROWS=48 SKIP_BUILD=1
set -euo pipefail
cd "$(dirname "$0")/../.."

DEVICES=${DEVICES:-10000}
LOCATIONS=${LOCATIONS:-20}
MEASURE=${MEASURE:-95}
SAMPLE=${SAMPLE:-5}
COLS=${COLS:-160}
ROWS=${ROWS:-48}
CONCURRENCY=64 # FleetConfig::concurrency() default; device_fleet sets none
TARGET_DIR=${CARGO_TARGET_DIR:-target}
bin="$TARGET_DIR/release/opsboard"
devices_bin="$TARGET_DIR/release/examples/device_fleet"

if [[ "${SKIP_BUILD:-0}" == 0 ]]; then
    cargo build --release --bin opsboard --example device_fleet
fi
for b in "$bin" "$devices_bin"; do
    [[ -x "$b" ]] || { echo "$b is missing: build without SKIP_BUILD=1" >&2; exit 1; }
done

tmp=$(mktemp -d)
# A tmux server of our own, on a socket in the scratch dir, so no other
# session is touched and nothing is left behind.
tmx() { tmux -S "$tmp/tmux.sock" -f /dev/null "$@"; }
server_pid=
board_pid=
cleanup() {
    tmx kill-server 2>/dev/null || true
    if [[ -n "$board_pid" ]] && kill -0 "$board_pid" 2>/dev/null; then
        kill "$board_pid" 2>/dev/null || true
    fi
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$devices_bin" --devices "$DEVICES" --locations "$LOCATIONS" --config-out "$tmp/fleet.toml" \
    >"$tmp/devices.out" 2>"$tmp/devices.err" &
server_pid=$!
for _ in $(seq 200); do
    grep -q '^listening on ' "$tmp/devices.out" 2>/dev/null && break
    sleep 0.05
done
addr=$(awk '/^listening on /{print $3}' "$tmp/devices.out")
[[ -n "$addr" ]] || { echo "device_fleet did not start:" >&2; cat "$tmp/devices.err" >&2; exit 1; }
interval=$(awk -F'"' '/^interval = /{print $2; exit}' "$tmp/fleet.toml")

# Logs go to a scratch state dir; no kubeconfig, no user config.
mkdir -p "$tmp/state"
tmx new-session -d -s fleet -x "$COLS" -y "$ROWS" \
    "exec env -u KUBECONFIG XDG_STATE_HOME='$tmp/state' TERM=xterm-256color '$bin' --config '$tmp/fleet.toml'"
board_pid=$(tmx display-message -p -t fleet '#{pane_pid}')
[[ "$(cat "/proc/$board_pid/comm" 2>/dev/null)" == opsboard ]] ||
    { echo "pane process $board_pid is not opsboard" >&2; exit 1; }
started=$(date +%s.%N)

screen() { tmx capture-pane -p -t fleet; }
wait_for() { # text, seconds
    local deadline=$((SECONDS + $2))
    until screen | grep -qF -- "$1"; do
        ((SECONDS < deadline)) || { echo "no \"$1\" on the screen after $2 s:" >&2; screen >&2; exit 1; }
        sleep 0.2
    done
}
wait_for "quit" 20
tmx send-keys -t fleet 2
wait_for " Fleet " 10

clk_tck=$(getconf CLK_TCK)
cpu_ticks() { # utime + stime of $1: fields 14 and 15, counted after the ")" of comm
    local s
    s=$(<"/proc/$1/stat")
    s=${s##*) }
    awk '{print $12 + $13}' <<<"$s"
}
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
socket_fds() { find "/proc/$1/fd" -mindepth 1 -lname 'socket:*' 2>/dev/null | wc -l; }
tcp_sockets() { ss -tnp 2>/dev/null | grep -c "pid=$1," || true; }
# Closed connections to the devices waiting out TIME-WAIT (no process owns
# them; they show whether connections are reused or churned).
time_wait() { ss -tn state time-wait "dst $addr" 2>/dev/null | tail -n +2 | wc -l; }
now() { date +%s.%N; }
# MB = 10^6 bytes, as in the rest of docs/perf.md; /proc reports KiB.
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k * 1024 / 1e6}'; }

echo "== fleet_scale: $DEVICES devices in $LOCATIONS locations at $addr, interval $interval, pty ${COLS}x$ROWS (tmux), window ${MEASURE}s, samples every ${SAMPLE}s"
printf '%6s %8s %9s %9s %8s %7s %9s %9s\n' t_s cpu_% vmrss_MB vmhwm_MB sockets tcp time_wait server_%
t0=$(now)
c0=$(cpu_ticks "$board_pid")
s0=$(cpu_ticks "$server_pid")
t_prev=$t0 c_prev=$c0 s_prev=$s0
max_cpu=0 max_rss=0 max_hwm=0 max_fds=0 max_tcp=0 max_tw=0 ticks=0
while :; do
    sleep 1
    kill -0 "$board_pid" 2>/dev/null || { echo "opsboard exited" >&2; screen >&2; exit 1; }
    fds=$(socket_fds "$board_pid")
    tcp=$(tcp_sockets "$board_pid")
    ((fds > max_fds)) && max_fds=$fds
    tw=$(time_wait)
    ((tcp > max_tcp)) && max_tcp=$tcp
    ((tw > max_tw)) && max_tw=$tw
    ticks=$((ticks + 1))
    elapsed=$(awk -v a="$(now)" -v b="$t0" 'BEGIN{print a - b}')
    done_=$(awk -v e="$elapsed" -v m="$MEASURE" 'BEGIN{print (e >= m - 0.5) ? 1 : 0}')
    ((ticks % SAMPLE == 0 || done_)) || continue
    t=$(now)
    c=$(cpu_ticks "$board_pid")
    sc=$(cpu_ticks "$server_pid")
    rss=$(status_kib "$board_pid" VmRSS)
    hwm=$(status_kib "$board_pid" VmHWM)
    read -r cpu server_cpu < <(awk -v c="$c" -v cp="$c_prev" -v s="$sc" -v sp="$s_prev" \
        -v t="$t" -v tp="$t_prev" -v hz="$clk_tck" \
        'BEGIN{w = t - tp; printf "%.2f %.2f\n", (c - cp) / hz / w * 100, (s - sp) / hz / w * 100}')
    printf '%6.1f %8s %9s %9s %8d %7d %9d %9s\n' "$elapsed" "$cpu" "$(mb "$rss")" "$(mb "$hwm")" \
        "$fds" "$tcp" "$tw" "$server_cpu"
    max_cpu=$(awk -v a="$cpu" -v b="$max_cpu" 'BEGIN{print (a > b) ? a : b}')
    ((rss > max_rss)) && max_rss=$rss
    ((hwm > max_hwm)) && max_hwm=$hwm
    t_prev=$t c_prev=$c s_prev=$sc
    ((done_)) && break
done
t_end=$t_prev
read -r mean_cpu mean_server window < <(awk -v c="$c_prev" -v c0="$c0" -v s="$s_prev" -v s0="$s0" \
    -v t="$t_end" -v t0="$t0" -v hz="$clk_tck" \
    'BEGIN{w = t - t0; printf "%.2f %.2f %.1f\n", (c - c0) / hz / w * 100, (s - s0) / hz / w * 100, w}')
board_total=$(awk -v c="$c_prev" -v hz="$clk_tck" -v t="$t_end" -v st="$started" \
    'BEGIN{printf "%.2f s of CPU in %.0f s since start", c / hz, t - st}')
rounds=$(awk -v w="$window" -v i="${interval%s}" 'BEGIN{printf "%.1f", w / i}')
per_poll=$(awk -v c="$c_prev" -v c0="$c0" -v hz="$clk_tck" -v n="$DEVICES" -v r="$rounds" \
    'BEGIN{printf "%.0f", (r > 0) ? (c - c0) / hz * 1e6 / (n * r) : 0}')

verdict() { awk -v v="$1" -v lim="$2" 'BEGIN{print (v < lim) ? "PASS" : "FAIL"}'; }
echo "== screen at the end"
screen
echo "== summary"
printf 'fleet_cpu     mean %6.2f %%, max %6.2f %% (%ss windows) of one core   target < 15 %%   %s\n' \
    "$mean_cpu" "$max_cpu" "$SAMPLE" "$(verdict "$mean_cpu" 15)"
printf 'per_poll      %6s us of CPU (window CPU / (%d devices x %s rounds))\n' "$per_poll" "$DEVICES" "$rounds"
printf 'rss           max VmRSS %s MB, VmHWM %s MB   target < 120 MB   %s\n' \
    "$(mb "$max_rss")" "$(mb "$max_hwm")" "$(verdict "$(mb "$max_hwm")" 120)"
printf 'sockets       max %d socket fds, max %d TCP (ss, sampled every 1 s), max %d in TIME-WAIT; concurrency %d   %s\n' \
    "$max_fds" "$max_tcp" "$max_tw" "$CONCURRENCY" "$( ((max_tcp <= CONCURRENCY)) && echo PASS || echo FAIL)"
printf 'window        %ss (%s rounds of %s); opsboard %s\n' "$window" "$rounds" "$interval" "$board_total"
printf 'server_cpu    %6s %% (device_fleet, not counted)\n' "$mean_server"
printf 'loadavg       %s (at the end; %s cores)\n' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
