"""A running ipcdumpd for the tests, and a workload of numbered pipe messages.

Daemon starts build/ipcdumpd-san on a configuration, waits for its
"tracing" line, keeps its stderr lines, and can wait for a line, signal it
and stop it; every test of the daemon starts it through this one class.  Writer sends N numbered messages ("m00042\\n") through a pipe
across a few seconds, under a comm of its own; numbers() reads them back
from a JSON Lines output.
"""
import base64
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import BUILD

IPCDUMPD = os.environ.get("IPCDUMPD", os.path.join(BUILD, "ipcdumpd-san"))
START_TIMEOUT = 60


class Daemon:
    """ipcdumpd on the configuration at conf, started and waited for.

    Its stderr is read by a thread, line by line, from the start: .lines
    grows as the daemon writes (None at the end), wait_for() waits for a
    line, .stderr is the text so far.  It has started once its "tracing"
    line is there (.start_lines: the lines until then); first_line, a
    pattern, must then match the first line.

    What the tests differ in are options:
    - umask: the daemon's own (None: the test's);
    - settle: seconds stop() waits before its signal, for the last events
      to reach the outputs (0: none);
    - returns: what stop() gives back: "lines" (stderr's lines, the exit
      status asserted), "text" (stderr as text, the status asserted) or
      "status" (the exit status, asserted by the test; stderr in .stderr).
    """

    def __init__(self, conf, umask=None, settle=0, returns="lines", first_line=None):
        assert returns in ("lines", "text", "status")
        self.settle, self.returns = settle, returns
        self.proc = subprocess.Popen([IPCDUMPD, "-c", str(conf)], stderr=subprocess.PIPE,
                                     preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
        self.lines = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        tracing = self.wait_for(r"^ipcdumpd: info: tracing ", START_TIMEOUT)
        if not tracing:
            self.kill()
            raise AssertionError("ipcdumpd did not start:\n" + self.stderr)
        with self.changed:
            # what it said while it started, its "tracing" line the last
            self.start_lines = self.lines[:self.lines.index(tracing) + 1]
        if first_line:
            assert re.search(first_line, self.lines[0]), self.stderr

    def _read(self):
        for raw in self.proc.stderr:
            with self.changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append(None)  # the end
            self.changed.notify_all()

    @property
    def stderr(self):
        """Its stderr so far, as text."""
        with self.changed:
            return "".join(l + "\n" for l in self.lines if l is not None)

    def wait_for(self, pattern, timeout=10, after=0):
        """The first stderr line from index `after` on that matches, or None."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines[after:]:
                    if line is not None and re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or None in self.lines:
                    return None
                self.changed.wait(left)

    def send(self, sig):
        """Sends sig; returns the index of the next stderr line, for wait_for(after=)."""
        with self.changed:
            at = len(self.lines)
        self.proc.send_signal(sig)
        return at

    def stop(self, sig=signal.SIGTERM, status=0, settle=None):
        """sig, after settle seconds (None: the daemon's own); see returns."""
        time.sleep(self.settle if settle is None else settle)
        try:
            self.proc.send_signal(sig)
            rc = self.proc.wait(timeout=60)
        finally:
            self.kill()
        self.reader.join(timeout=10)
        if self.returns == "status":
            return rc
        assert rc == status, "ipcdumpd exited %d:\n%s" % (rc, self.stderr)
        if self.returns == "text":
            return self.stderr
        return [l for l in self.lines if l is not None]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


WRITER = r"""
import os, sys, time
comm, n, gap, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "hold"
open("/proc/self/comm", "w").write(comm)
r, w = os.pipe()
if os.fork() == 0:
    os.close(w)
    while os.read(r, 4096):
        pass
    os._exit(0)
os.close(r)
print("ready", flush=True)
if hold:
    sys.stdin.readline()
for i in range(n):
    os.write(w, b"m%05d\n" % i)
    time.sleep(gap)
os.close(w)
os.wait()
"""


class Writer:
    """N numbered pipe messages, one every `gap` seconds, under a comm of its own."""

    def __init__(self, n, gap=0.01, hold=False):
        """hold: it waits, its comm known, until go()."""
        self.comm = "ipcdw%05d" % random.randrange(100000)
        self.n = n
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER, self.comm, str(n), str(gap),
                                      "hold" if hold else "go"],
                                     stdin=subprocess.PIPE if hold else None, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def go(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.close()

    def wait(self):
        assert self.proc.wait(timeout=120) == 0


def numbers(path, comm):
    """The message numbers a JSON Lines output holds from comm's writes, in file order."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e.get("type") != "pipe" or e.get("src_comm") != comm or "bytes" not in e:
                continue
            data = base64.b64decode(e["bytes"])
            for m in re.findall(rb"m(\d{5})\n", data):
                out.append(int(m))
    return out


def file_output(path, filt=None, extra=""):
    text = "  - type: file\n    path: %s\n    format: json\n" % path
    if filt:
        text += "    filter: '%s'\n" % filt
    return text + extra


@pytest.fixture
def daemons():
    """Starts daemons for a test (Daemon's arguments); kills any still running at its end."""
    started = []

    def start(conf, **options):
        d = Daemon(conf, **options)
        started.append(d)
        return d

    yield start
    for d in started:
        d.kill()
