#!/usr/bin/env python3
"""Serves many Prometheus `/metrics` targets from one loopback port.

    metrics_targets.py --node-exporter FILE [--targets 200] [--gzip]

`GET /t/<n>/metrics` (n in 0..targets-1) answers a node_exporter capture
followed by an application's HTTP metrics: `http_requests_total{method,
handler,status}` and an `http_request_duration_seconds{method,handler}`
histogram. Every counter (the capture's as well) grows with wall time at a
per-target rate, so consecutive scrapes give non-trivial rates, error
ratios and quantiles.

`GET /stats` answers JSON: `requests` (metrics requests so far), `min` /
`max` (per target), `targets_hit`, `bytes` (body bytes sent) and `marks`,
the value `requests` had at each earlier `/stats` call, so a driver that
read `/stats` at the start and end of its window can recover the exact count
afterwards (ptyrun.py does exactly two reads in a CPU run).

Prints `PORT <port>` once listening. With `--gzip`, bodies are gzipped
when the request accepts it, as Go's promhttp does.

Python 3 standard library only.
"""

import argparse
import gzip
import json
import re
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PATH = re.compile(r"^/t/(\d+)/metrics$")

HANDLERS = ["/api/orders", "/api/users", "/api/search", "/api/cart", "/healthz"]
# (method, status, share of a handler's traffic)
MIX = [
    ("GET", "200", 0.806),
    ("GET", "304", 0.05),
    ("GET", "404", 0.03),
    ("GET", "500", 0.003),
    ("GET", "503", 0.001),
    ("POST", "201", 0.089),
    ("POST", "400", 0.02),
    ("POST", "500", 0.001),
]
# About 0.5 % of requests fail (under opsboard's 1 % warning), except on
# every 50th target, which fails ten times as often and so raises alerts.
FAILING_EVERY = 50
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
# Cumulative share of requests at or under each bucket bound (a long tail).
CDF = [0.08, 0.22, 0.48, 0.70, 0.85, 0.94, 0.975, 0.99, 0.997, 0.999, 0.9998]


def counter_template(text):
    """Splits an exposition into static text and counter values.

    Returns (pieces, bases): pieces alternate text, slot, text, … where a
    slot is an index into bases (the counter's value in the capture)."""
    kinds = {}
    pieces, bases, static = [], [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) >= 4:
                kinds[parts[2]] = parts[3]
        if line.startswith("#") or not line.strip():
            static.append(line)
            continue
        name = re.split(r"[{ ]", line, maxsplit=1)[0]
        cut = line.rstrip("\n").rfind(" ")
        try:
            value = float(line[cut + 1 :])
        except ValueError:
            static.append(line)
            continue
        if kinds.get(name) == "counter" and cut > 0:
            static.append(line[: cut + 1])
            pieces.append("".join(static))
            pieces.append(len(bases))
            bases.append(value)
            static = ["\n"]
        else:
            static.append(line)
    pieces.append("".join(static))
    return pieces, bases


class Targets:
    def __init__(self, node_text, count, started):
        self.pieces, self.bases = counter_template(node_text)
        self.count = count
        self.started = started
        self.lock = threading.Lock()
        self.hits = [0] * count
        self.requests = 0
        self.bytes = 0
        self.marks = []

    def body(self, n):
        # Each target is a little older than the last, and busier.
        elapsed = time.monotonic() - self.started + 600 + 37 * n
        node = [p if isinstance(p, str) else self.counter(p, elapsed) for p in self.pieces]
        return "".join(node) + self.app(n, elapsed)

    def counter(self, slot, elapsed):
        base = self.bases[slot]
        value = base + elapsed * (0.01 + (slot % 7) * 0.3)
        # Integer counters (bytes, packets) stay integers.
        return str(int(value)) if base.is_integer() else f"{value:.3f}"

    def app(self, n, elapsed):
        rps = 20.0 + 5 * (n % 40)  # requests per second across all handlers
        out = [
            "# HELP http_requests_total Total HTTP requests handled, by status.\n",
            "# TYPE http_requests_total counter\n",
        ]
        for h, handler in enumerate(HANDLERS):
            share = (len(HANDLERS) - h) / 15.0
            for method, status, part in MIX:
                if status.startswith("5") and n % FAILING_EVERY == 7:
                    part *= 10
                value = int(rps * elapsed * share * part)
                out.append(
                    f'http_requests_total{{handler="{handler}",method="{method}",status="{status}"}} {value}\n'
                )
        out += [
            "# HELP http_request_duration_seconds Time spent serving HTTP requests.\n",
            "# TYPE http_request_duration_seconds histogram\n",
        ]
        for h, handler in enumerate(HANDLERS):
            share = (len(HANDLERS) - h) / 15.0
            for method in ("GET", "POST"):
                total = int(rps * elapsed * share * (0.9 if method == "GET" else 0.1))
                labels = f'handler="{handler}",method="{method}"'
                for le, cdf in zip(BUCKETS, CDF):
                    out.append(
                        f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {int(total * cdf)}\n'
                    )
                out.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {total}\n')
                out.append(f"http_request_duration_seconds_sum{{{labels}}} {total * 0.061:.3f}\n")
                out.append(f"http_request_duration_seconds_count{{{labels}}} {total}\n")
        return "".join(out)

    def stats(self):
        with self.lock:
            s = {
                "requests": self.requests,
                "min": min(self.hits),
                "max": max(self.hits),
                "targets_hit": sum(1 for h in self.hits if h),
                "bytes": self.bytes,
                "marks": list(self.marks),
            }
            self.marks.append(self.requests)
        return s


def handler_for(targets, use_gzip):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a scraper expects

        def do_GET(self):
            if self.path == "/stats":
                self.reply(200, "application/json", json.dumps(targets.stats()).encode())
                return
            m = PATH.match(self.path)
            n = int(m.group(1)) if m else -1
            if not 0 <= n < targets.count:
                self.reply(404, "text/plain", b"no such target\n")
                return
            body = targets.body(n).encode()
            encoding = None
            if use_gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body, compresslevel=zlib.Z_DEFAULT_COMPRESSION)
                encoding = "gzip"
            with targets.lock:
                targets.hits[n] += 1
                targets.requests += 1
                targets.bytes += len(body)
            self.reply(200, CONTENT_TYPE, body, encoding)

        def reply(self, status, content_type, body, encoding=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # A whole round of scrapes arrives at once.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # A scraper that quits mid-body (opsboard stopped between rounds)
        # is expected; anything else is still reported.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node-exporter", required=True)
    ap.add_argument("--targets", type=int, default=200)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--gzip", action="store_true")
    a = ap.parse_args()
    with open(a.node_exporter, encoding="utf-8") as f:
        node_text = f.read()
    targets = Targets(node_text, a.targets, time.monotonic())
    server = Server(("127.0.0.1", a.port), handler_for(targets, a.gzip))
    print(f"PORT {server.server_address[1]}", flush=True)
    sample = targets.body(0).encode()
    print(f"BODY_BYTES {len(sample)}", flush=True)
    print(f"COUNTERS_ADVANCED {len(targets.bases)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
