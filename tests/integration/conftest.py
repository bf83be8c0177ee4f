"""End-to-end harness: the real tracer, as root, against real processes.

Tracer starts ipcdump (the sanitizer build unless IPCDUMP says otherwise),
waits for its "tracing" line, and on stop() returns the JSON events it
printed.  ipcgen (tests/progs/ipcgen.c) runs the scenarios.
"""
import base64
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("IPCD_BUILD", os.path.join(ROOT, "build"))
IPCDUMP = os.environ.get("IPCDUMP", os.path.join(BUILD, "ipcdump-san"))
IPCGEN = os.path.join(BUILD, "progs", "ipcgen")
START_TIMEOUT = 60

# Sanitizer reports fail the run: leaks included, and any UBSan finding.
os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=99")
os.environ.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1:exitcode=98")


class Tracer:
    def __init__(self, *args, fmt="json"):
        self.args = [IPCDUMP, "-f", fmt, *args] if fmt else [IPCDUMP, *args]
        self.out = tempfile.TemporaryFile()
        self.stderr_lines = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(self.args, stdout=self.out, stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        if not self.ready.wait(START_TIMEOUT):
            self.proc.kill()
            raise AssertionError("ipcdump did not start: %r" % self.stderr_lines)
        if self.proc.poll() is not None:
            raise AssertionError("ipcdump exited at start: %r" % self.stderr_lines)

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.stderr_lines.append(line)
            if line.startswith("ipcdump: tracing"):
                self.ready.set()
        self.ready.set()

    def stop(self, sig=signal.SIGINT, settle=0.3):
        """Stops the tracer and returns the events it printed."""
        time.sleep(settle)
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.returncode = self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        self.out.seek(0)
        self.text = self.out.read().decode(errors="replace")
        self.out.close()
        assert self.returncode == 0, "ipcdump exited %d: %s" % (self.returncode, "\n".join(self.stderr_lines))
        self.events = [json.loads(l) for l in self.text.splitlines()] if self.args[1:3] == ["-f", "json"] else []
        return self.events

    def summary(self):
        return [l for l in self.stderr_lines if re.search(r" events? printed, ", l)]


@pytest.fixture
def tracer():
    started = []

    def start(*args, **kw):
        t = Tracer(*args, **kw)
        started.append(t)
        return t

    yield start
    for t in started:
        if t.proc.poll() is None:
            t.proc.kill()
            t.proc.wait()


def ipcgen(*args):
    """Runs a scenario to its end and returns its report."""
    res = subprocess.run([IPCGEN, *map(str, args)], capture_output=True, timeout=60, check=True)
    return json.loads(res.stdout.decode().splitlines()[-1])


class Gated:
    """A scenario that waits for a go-ahead on stdin (see ipcgen.c)."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([IPCGEN, *map(str, args)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.first = json.loads(self.proc.stdout.readline())

    def go(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def finish(self):
        out, _ = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0
        lines = out.decode().splitlines()
        return json.loads(lines[-1]) if lines else {}


def payload(event):
    return base64.b64decode(event["bytes"]) if "bytes" in event else None


def pipe_events(events, ino=None, **match):
    out = [e for e in events if e["type"] == "pipe"]
    if ino is not None:
        out = [e for e in out if e["meta"]["pipe_inode"] == ino]
    for k, v in match.items():
        out = [e for e in out if e.get(k) == v]
    return out


def capture_comms(path, kind):
    """The comms of the tasks in every record of one kind in a capture file.

    Records follow the 168-byte header; each starts with kind and size
    (u16, u16), flags (u32) and a timestamp (u64), and every I/O record has
    its task next: pid, tid, ppid, pad (u32 each), then the comm.
    """
    import struct
    data = open(path, "rb").read()
    at, comms = 168, []
    while at + 16 <= len(data):
        k, size = struct.unpack_from("<HH", data, at)
        assert size >= 16, "a record of %d bytes at %d" % (size, at)
        if k == kind:
            comms.append(data[at + 32:at + 48].split(b"\0")[0].decode(errors="replace"))
        at += size
    return comms
