#!/usr/bin/env python3
"""Idle board: CPU and bytes written to the terminal when nothing changes.

    scripts/perf/idle.py [--seconds 30] [--cols 160] [--rows 48] [--services 5]

Starts the loopback_health example, writes a config of a few services with
interval "1h" (so after the first poll no probe result arrives), runs the
release opsboard in a pty, waits for the first poll to be drawn, then for
--seconds records every read from the pty master with its time. The only
thing that changes is the header (the clock, and "(Ns ago)"), once per
second, so every write should fall on a 1 s clock tick and be a few dozen
bytes; nothing should be written between ticks.

Targets: CPU < 0.2 % of one core; no bytes between ticks.
Needs `cargo build --release --bin opsboard --example loopback_health`.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ptyharness as h  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))

# CSI sequences (cursor moves, colours, cursor hide/show) and other escapes.
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def thread_cpu_ns(pid):
    """On-CPU nanoseconds per live thread, from /proc/PID/task/*/schedstat."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def start_server(expect):
    server = subprocess.Popen(
        [os.path.join(TARGET, "release", "examples", "loopback_health"), "--expect", str(expect)],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = server.stdout.readline()
    if not line.startswith("PORT "):
        server.kill()
        sys.exit(f"loopback_health did not start: {line!r}")
    return server, int(line.split()[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--cols", type=int, default=160)
    ap.add_argument("--rows", type=int, default=48)
    ap.add_argument("--services", type=int, default=5)
    ap.add_argument("--show", type=int, default=3, help="print this many writes verbatim")
    a = ap.parse_args()

    server, port = start_server(a.services)
    tmp = tempfile.mkdtemp(prefix="opsboard-idle-")
    config = os.path.join(tmp, "config.toml")
    with open(config, "w") as f:
        f.write('[defaults]\ninterval = "1h"\ntimeout = "2s"\nfailure_threshold = 3\n\n')
        for i in range(1, a.services + 1):
            f.write(
                f'[[services]]\nname = "svc-{i:04d}"\n[[services.health]]\n'
                f'url = "http://127.0.0.1:{port}/health/{i}"\n\n'
            )
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=os.path.join(tmp, "state"))
    argv = [os.path.join(TARGET, "release", "opsboard"), "--config", config]
    child = h.Child(argv, a.cols, a.rows, env)
    try:
        # The wide header says "last poll" once a result has been drawn.
        seen, _ = child.read_until(b"last poll", 15)
        if seen is None:
            sys.exit("no probe result drawn within 15 s")
        # Let every first result arrive and be drawn.
        child.drain(2.0)

        cpu0, ns0 = h.cpu_seconds(child.pid), thread_cpu_ns(child.pid)
        wall_minus_mono = time.time() - time.monotonic()
        t0 = time.monotonic()
        chunks = child.drain(a.seconds, record=True)
        wall = time.monotonic() - t0
        cpu1, ns1 = h.cpu_seconds(child.pid), thread_cpu_ns(child.pid)
    finally:
        child.stop()
        server.terminate()
        server.wait()

    # Reads closer together than 100 ms belong to one frame.
    frames = []
    for t, data in chunks:
        if frames and t - frames[-1][1] < 0.1:
            frames[-1][1] = t
            frames[-1][2] += data
        else:
            frames.append([t, t, data])

    total = sum(len(d) for _, d in chunks)
    phases_ms = [((t + wall_minus_mono) % 1.0) * 1000 for t, _, _ in frames]
    # The runtime's tick fires 5 ms after each wall-clock second; a write is
    # "on the tick" if it starts within 100 ms after a second boundary.
    on_tick = [p < 100 for p in phases_ms]
    off_tick_bytes = sum(len(f[2]) for f, ok in zip(frames, on_tick) if not ok)
    sizes = [len(f[2]) for f in frames]
    cells = [len(ESCAPES.sub(b"", f[2]).decode("utf-8", "replace")) for f in frames]
    gaps = [b[0] - a_[0] for a_, b in zip(frames, frames[1:])]

    common = set(ns0) & set(ns1)
    sched_cpu = sum(ns1[k] - ns0[k] for k in common) / 1e9
    cpu_pct = 100.0 * (cpu1 - cpu0) / wall
    sched_pct = 100.0 * sched_cpu / wall

    print(f"window_s={wall:.1f}")
    print(f"cpu_percent={cpu_pct:.3f}   (utime+stime, {1000 // h.CLK_TCK} ms ticks)")
    print(f"cpu_percent_schedstat={sched_pct:.3f}   (sum over {len(common)} threads, ns precision"
          + ("" if set(ns0) == set(ns1) else "; thread set changed") + ")")
    print(f"bytes_total={total}")
    print(f"bytes_per_s={total / wall:.1f}")
    print(f"writes={len(frames)} (frames; {len(chunks)} reads)")
    if frames:
        print(f"write_interval_s min/median/max={min(gaps or [0]):.3f}/{h.median(gaps or [0]):.3f}/{max(gaps or [0]):.3f}")
        print(f"write_phase_ms_after_second min/median/max={min(phases_ms):.1f}/{h.median(phases_ms):.1f}/{max(phases_ms):.1f}")
        print(f"write_bytes min/median/max={min(sizes)}/{h.median(sizes):.0f}/{max(sizes)}")
        print(f"cells_drawn_per_write min/median/max={min(cells)}/{h.median(cells):.0f}/{max(cells)}")
    print(f"bytes_between_ticks={off_tick_bytes}")
    for f in frames[: a.show]:
        print(f"  write at +{f[0] - t0:7.3f}s ({len(f[2])} B): {f[2]!r}")
    ok_cpu = cpu_pct < 0.2 and sched_pct < 0.2
    ok_quiet = off_tick_bytes == 0 and all(on_tick)
    print(f"summary idle_cpu {cpu_pct:.3f} % (schedstat {sched_pct:.3f} %) target < 0.2 % {'PASS' if ok_cpu else 'FAIL'}")
    print(f"summary idle_tty {total / wall:.0f} B/s, {len(frames)} writes in {wall:.0f} s, "
          f"{off_tick_bytes} B between ticks  target 0 B between ticks {'PASS' if ok_quiet else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
