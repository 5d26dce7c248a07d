#!/usr/bin/env python3
"""Time from start to the first complete frame of `opsboard demo`.

    scripts/perf/first_frame.py [--runs 20] [--cols 80] [--rows 24]

Each run spawns the release binary's `demo` in a fresh pty, takes the time
just before the fork, and reads until the output contains the footer hint
"quit": the footer is the last row, so the whole first frame has been
written by then. The run is then ended with `q` (SIGTERM if that fails).

Target: < 150 ms. Needs `cargo build --release --bin opsboard`.
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ptyharness as h  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--needle", default="quit")
    a = ap.parse_args()

    binary = os.path.join(TARGET, "release", "opsboard")
    state = tempfile.mkdtemp(prefix="opsboard-ff-")
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=state)
    needle = a.needle.encode()
    times = []
    for run in range(a.runs):
        child = h.Child([binary, "demo"], a.cols, a.rows, env)
        try:
            seen, out = child.read_until(needle, 10)
        finally:
            status = child.stop()
        if seen is None:
            sys.exit(f"run {run}: no '{a.needle}' within 10 s (exit {status}); output:\n"
                     + out.decode("utf-8", "replace")[-1500:])
        if b" opsboard " not in out:
            sys.exit(f"run {run}: the header was not drawn before the footer")
        ms = (seen - child.spawned_at) * 1000
        times.append(ms)
        print(f"run {run + 1:2d}: {ms:6.1f} ms ({len(out)} B before '{a.needle}')")
    med, worst = h.median(times), max(times)
    print(f"first_frame_ms median={med:.1f} min={min(times):.1f} max={worst:.1f} runs={len(times)}")
    over = sum(t >= 150 for t in times)
    if over == 0:
        verdict = "PASS"
    elif med < 150:
        verdict = f"FAIL (median passes; {over} of {len(times)} runs >= 150 ms)"
    else:
        verdict = "FAIL"
    print(f"summary first_frame median {med:.1f} ms, max {worst:.1f} ms  target < 150 ms {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
