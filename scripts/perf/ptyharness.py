"""Run a program inside a pseudo-terminal and watch it from outside.

Shared by the scripts in scripts/perf/. Linux only (reads /proc).
Python 3 standard library only.
"""

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class Child:
    """A process whose stdin/stdout/stderr is the slave side of a pty.

    The pty has a controlling terminal and a window size, as an interactive
    terminal would. Everything the program writes is read (and so drained)
    by `read`/`drain`; a program whose output is not drained blocks once the
    pty buffer fills.
    """

    def __init__(self, argv, cols, rows, env=None):
        self.spawned_at = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal, then become the program
            try:
                fcntl.ioctl(
                    0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0)
                )
                os.execvpe(argv[0], argv, env if env is not None else os.environ)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd
        self.exited = None
        self.total_bytes = 0

    def read(self, timeout):
        """One chunk of output, b"" on timeout, None at EOF."""
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return b""
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the slave side is closed (program exited)
            return None
        if not data:
            return None
        self.total_bytes += len(data)
        return data

    def read_until(self, needle, timeout):
        """Reads until `needle` (bytes) has appeared in the output.

        Returns (monotonic time it was seen, all output so far), or
        (None, output) on timeout or exit."""
        deadline = time.monotonic() + timeout
        buf = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, buf
            data = self.read(left)
            if data is None:
                return None, buf
            if data:
                seen = time.monotonic()
                # Search only the new tail (plus overlap) to stay linear.
                start = max(0, len(buf) - len(needle))
                buf += data
                if buf.find(needle, start) >= 0:
                    return seen, buf

    def drain(self, duration, record=False):
        """Reads for `duration` seconds. With `record`, returns
        [(monotonic time, bytes)] for every read."""
        chunks = []
        deadline = time.monotonic() + duration
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return chunks
            data = self.read(left)
            if data is None:
                return chunks
            if data and record:
                chunks.append((time.monotonic(), data))

    def stop(self, key=b"q", grace=3.0):
        """Asks the program to quit with `key`, then SIGTERM, then SIGKILL.
        Returns the wait status."""
        if self.exited is not None:
            return self.exited
        steps = []
        if key:
            steps.append(lambda: os.write(self.fd, key))
        steps.append(lambda: os.kill(self.pid, signal.SIGTERM))
        steps.append(lambda: os.kill(self.pid, signal.SIGKILL))
        for step in steps:
            try:
                step()
            except OSError:
                pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self.exited = status
                    self._close()
                    return status
                # Keep draining so a blocked write cannot stall the exit.
                if self.read(0.05) is None:
                    time.sleep(0.01)
        _, status = os.waitpid(self.pid, 0)
        self.exited = status
        self._close()
        return status

    def _close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads, live and exited)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory_kib(pid):
    """VmRSS and VmHWM (peak RSS) in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


def cpu_percent_over(pids, seconds, child=None):
    """CPU % of one core used by each pid over the next `seconds`, while
    draining `child`'s output. Returns ({pid: percent}, wall seconds)."""
    before = {p: cpu_seconds(p) for p in pids}
    t0 = time.monotonic()
    if child is not None:
        child.drain(seconds)
    else:
        time.sleep(seconds)
    wall = time.monotonic() - t0
    after = {p: cpu_seconds(p) for p in pids}
    return {p: 100.0 * (after[p] - before[p]) / wall for p in pids}, wall


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
