"""A running ipcdumpd for the tests, and a workload of numbered pipe messages.

Daemon starts build/ipcdumpd-san on a configuration, waits for its
"tracing" line, keeps its stderr lines, and can wait for a line, signal it
and stop it.  Writer sends N numbered messages ("m00042\\n") through a pipe
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
    def __init__(self, conf):
        self.proc = subprocess.Popen([IPCDUMPD, "-c", str(conf)], stderr=subprocess.PIPE)
        self.lines = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.wait_for(r"^ipcdumpd: info: tracing ", START_TIMEOUT):
            self.proc.kill()
            raise AssertionError("ipcdumpd did not start: %r" % self.lines)

    def _read(self):
        for raw in self.proc.stderr:
            with self.changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append(None)  # the end
            self.changed.notify_all()

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

    def stop(self, sig=signal.SIGTERM, status=0):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        assert rc == status, "ipcdumpd exited %d:\n%s" % (rc, "\n".join(l for l in self.lines if l))
        return [l for l in self.lines if l is not None]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


WRITER = r"""
import os, sys, time
comm, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
open("/proc/self/comm", "w").write(comm)
r, w = os.pipe()
if os.fork() == 0:
    os.close(w)
    while os.read(r, 4096):
        pass
    os._exit(0)
os.close(r)
print("ready", flush=True)
for i in range(n):
    os.write(w, b"m%05d\n" % i)
    time.sleep(gap)
os.close(w)
os.wait()
"""


class Writer:
    """N numbered pipe messages, one every `gap` seconds, under a comm of its own."""

    def __init__(self, n, gap=0.01):
        self.comm = "ipcdw%05d" % random.randrange(100000)
        self.n = n
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER, self.comm, str(n), str(gap)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

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
    """Starts daemons for a test; kills any still running at its end."""
    started = []

    def start(conf):
        d = Daemon(conf)
        started.append(d)
        return d

    yield start
    for d in started:
        d.kill()
