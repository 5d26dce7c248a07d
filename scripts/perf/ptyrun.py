#!/usr/bin/env python3
"""Runs an interactive program in a pty and reports its CPU and memory.

    ptyrun.py [--cols 160] [--rows 48] [--warmup 15] [--measure 60]
              [--also-pid PID] [--stats-url URL] [--min-hits N]
              [--max-wait 300] -- PROGRAM ARGS...

Waits for the first output, drains output for --warmup seconds, then
measures CPU (utime+stime from /proc/PID/stat) over --measure seconds for the
program (and --also-pid, e.g. the load server). With --stats-url (the
loopback_health example's /stats) it also reports requests served during the
window, and with --min-hits it then waits until every path has been hit at
least N times (every probe history full). Finally it reads VmRSS/VmHWM and
quits the program with `q`.

Prints `key=value` lines on stdout.
"""

import argparse
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptyharness as h  # noqa: E402


def stats(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=160)
    ap.add_argument("--rows", type=int, default=48)
    ap.add_argument("--warmup", type=float, default=15)
    ap.add_argument("--measure", type=float, default=60)
    ap.add_argument("--also-pid", type=int)
    ap.add_argument("--stats-url")
    ap.add_argument("--min-hits", type=int)
    ap.add_argument("--max-wait", type=float, default=300)
    ap.add_argument("--settle", type=float, default=2)
    ap.add_argument("argv", nargs="+")
    a = ap.parse_args()

    child = h.Child(a.argv, a.cols, a.rows)
    out = lambda k, v: print(f"{k}={v}", flush=True)  # noqa: E731
    try:
        seen, first = child.read_until(b"opsboard", 15)
        if seen is None:
            sys.stderr.write(
                "ptyrun: no frame within 15 s; output was:\n"
                + first.decode("utf-8", "replace")[-2000:]
                + "\n"
            )
            return 1
        out("first_output_ms", f"{(seen - child.spawned_at) * 1000:.0f}")
        child.drain(a.warmup)
        if a.measure > 0:
            pids = [child.pid] + ([a.also_pid] if a.also_pid else [])
            s0 = stats(a.stats_url) if a.stats_url else None
            bytes0 = child.total_bytes
            cpu, wall = h.cpu_percent_over(pids, a.measure, child)
            s1 = stats(a.stats_url) if a.stats_url else None
            out("window_s", f"{wall:.1f}")
            out("cpu_percent", f"{cpu[child.pid]:.2f}")
            if a.also_pid:
                out("other_cpu_percent", f"{cpu[a.also_pid]:.2f}")
            out("tty_bytes_per_s", f"{(child.total_bytes - bytes0) / wall:.0f}")
            if s0 and s1:
                out("requests_per_s", f"{(s1['requests'] - s0['requests']) / wall:.1f}")
        if a.min_hits:
            t0 = time.monotonic()
            cpu0 = h.cpu_seconds(child.pid)
            while True:
                s = stats(a.stats_url)
                if s["min"] >= a.min_hits:
                    break
                if time.monotonic() - t0 > a.max_wait:
                    out("min_hits_reached", "no")
                    break
                child.drain(1)
            waited = time.monotonic() - t0
            out("fill_wait_s", f"{waited:.1f}")
            out("fill_cpu_percent", f"{100 * (h.cpu_seconds(child.pid) - cpu0) / max(waited, 0.001):.1f}")
            out("hits_min_max", f"{s['min']}/{s['max']}")
            # Let the last answers reach the board before reading memory.
            child.drain(a.settle)
        mem = h.memory_kib(child.pid)
        out("vmrss_kib", mem["VmRSS"])
        out("vmhwm_kib", mem["VmHWM"])
        out("threads", mem["Threads"])
    finally:
        status = child.stop()
        out("exit_status", status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
