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


# ---- one long write read in pieces ----------------------------------------

PATTERN = bytes(i % 251 for i in range(65536))
# read sizes: "v" reads into two buffers (readv, recvmsg), "r" with read(2)
PIECES = (4096, "r1000", "v3000", 40000, 17440)

# KIND is pipe, unix (a stream socketpair) or tcp (loopback, IPv4), with
# ":LENGTH" to send only the first LENGTH bytes of PATTERN.  The writer
# sends them with one call and exits; the reader then waits until
# every byte is there and reads it in the pieces given, so each read is one
# event taken at a known offset of the write.  Sockets read with recv() and
# MSG_WAITALL, so each piece has exactly its size.
PIECES_SCRIPT = r"""
import json, os, socket, sys
kind, sizes = sys.argv[1], sys.argv[2:]
kind, _, length = kind.partition(":")
pattern = bytes(i % 251 for i in range(int(length or 65536)))
if kind == "pipe":
    r, w = os.pipe()
    rs = None
elif kind == "unix":
    rs, ws = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    r, w = rs.fileno(), ws.fileno()
else:
    lsn = socket.create_server(("127.0.0.1", 0))
    ws = socket.create_connection(lsn.getsockname())
    rs, _ = lsn.accept()
    r, w = rs.fileno(), ws.fileno()
writer = os.fork()
if writer == 0:
    open("/proc/self/comm", "w").write("ipct-bigw")
    assert os.write(w, pattern) == len(pattern)
    os._exit(0)
os.waitpid(writer, 0)
if rs is not None:
    ws.close()
else:
    os.close(w)
reader = os.fork()
if reader == 0:
    open("/proc/self/comm", "w").write("ipct-pieces")
    if rs is not None:
        rs.recv(len(pattern), socket.MSG_PEEK | socket.MSG_WAITALL)
    got = b""
    for s in sizes:
        if s.startswith("v"):
            bufs = [bytearray(10), bytearray(int(s[1:]) - 10)]
            if rs is None:
                n = os.readv(r, bufs)
            else:
                n = rs.recvmsg_into(bufs, 0, socket.MSG_WAITALL)[0]
            got += (bytes(bufs[0]) + bytes(bufs[1]))[:n]
        elif s.startswith("r") or rs is None:
            got += os.read(r, int(s.lstrip("r")))
        else:
            got += rs.recv(int(s), socket.MSG_WAITALL)
    assert got == pattern[:len(got)], len(got)
    os._exit(0)
_, status = os.waitpid(reader, 0)
assert status == 0
print(json.dumps({"writer": writer, "reader": reader, "ino": os.fstat(r).st_ino}))
"""


def read_in_pieces(kind, *sizes):
    """Runs PIECES_SCRIPT; returns the writer's and reader's pids and the reading end's inode."""
    import sys
    res = subprocess.run([sys.executable, "-c", PIECES_SCRIPT, kind, *map(str, sizes)],
                         capture_output=True, timeout=60, check=True)
    return json.loads(res.stdout)


def piece_size(piece):
    return int(str(piece).lstrip("rv"))


def assert_pieces_carry_their_bytes(events, limit, sizes):
    """One event per read, in order; each holds the first `limit` bytes its
    read took, at that read's offset in the pattern."""
    events = sorted(events, key=lambda e: int(e["ts_ns"]))
    assert [e["size"] for e in events] == [piece_size(s) for s in sizes], events
    offset = 0
    for e in events:
        want = PATTERN[offset:offset + min(e["size"], limit)]
        assert payload(e) == want, (offset, e["size"], len(payload(e) or b""))
        assert ("truncated" in e["meta"]["flags"]) == (e["size"] > limit), e
        offset += e["size"]


def mounted_tmpfs(tmp_path, size):
    """A tmpfs of the test's own, to fill; unmounted at the end."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=True)


@pytest.fixture
def small_tmpfs(tmp_path):
    """1 MiB: a file output holds only the events its filter keeps."""
    yield from mounted_tmpfs(tmp_path, "1M")


@pytest.fixture
def capture_tmpfs(tmp_path):
    """128 MiB: a capture holds every record of the machine, which the whole suite's other tests make by
    the ten thousand a second; a small disk freed again would fill again before the test's last events."""
    yield from mounted_tmpfs(tmp_path, "128M")


def fill(path):
    """Writes path until the disk refuses."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    with open(path, "ab", buffering=0) as f:  # the last partial page too
        try:
            while True:
                f.write(b"\0")
        except OSError:
            pass
