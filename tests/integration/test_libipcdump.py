"""libipcdump as a program outside the tree sees it: `make install DESTDIR=...`, the
examples (examples/) built with pkg-config against that install, shared and static,
and run: the live one as root against real processes, the summariser on a capture
made here with ipcdump -w (and the store made of it), compared with ipcdump's own
--stats."""
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import pytest

from conftest import BUILD, IPCDUMP, ROOT, ipcgen

EXAMPLES = os.path.join(ROOT, "examples")
HEADER = os.path.join(ROOT, "include", "ipcdump", "ipcdump.h")
START_TIMEOUT = 60


def header_version():
    text = open(HEADER).read()
    return ".".join(re.search(r"#define IPCDUMP_VERSION_%s (\d+)" % part, text).group(1)
                    for part in ("MAJOR", "MINOR", "PATCH"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The tree installed under a DESTDIR, as a package build would."""
    dest = tmp_path_factory.mktemp("libipcdump") / "root"
    res = subprocess.run(["make", "-s", "-C", ROOT, "BUILD=" + os.path.abspath(BUILD), "install", "PREFIX=/usr",
                          "DESTDIR=" + str(dest)], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    return dest


def pkg_env(dest):
    """pkg-config reading the install's ipcdump.pc, its paths under DESTDIR."""
    return dict(os.environ, PKG_CONFIG_PATH=str(dest / "usr/lib/pkgconfig"), PKG_CONFIG_SYSROOT_DIR=str(dest))


def build_examples(dest, where, *make_args):
    shutil.copytree(EXAMPLES, where)
    res = subprocess.run(["make", "-C", str(where), *make_args], capture_output=True, text=True, timeout=300,
                         env=pkg_env(dest))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "-Werror" not in res.stdout  # the examples build with the user's flags, not the tree's
    return where


@pytest.fixture(scope="module")
def shared(installed, tmp_path_factory):
    """The examples linked with the installed libipcdump.so, found through their rpath."""
    where = tmp_path_factory.mktemp("shared") / "examples"
    return build_examples(installed, where, "LDFLAGS=-Wl,-rpath," + str(installed / "usr/lib"))


@pytest.fixture(scope="module")
def static(installed, tmp_path_factory):
    """The examples linked with libipcdump.a."""
    where = tmp_path_factory.mktemp("static") / "examples"
    return build_examples(installed, where, "STATIC=1")


# ---- the install -------------------------------------------------------------


def test_the_shared_library_has_its_soname_and_exports_only_the_api(installed):
    lib = installed / "usr/lib"
    version = header_version()
    assert os.readlink(lib / "libipcdump.so") == "libipcdump.so.0"
    assert os.readlink(lib / "libipcdump.so.0") == "libipcdump.so.0." + version.split(".", 1)[1]
    real = lib / os.readlink(lib / "libipcdump.so.0")
    dyn = subprocess.run(["readelf", "-d", str(real)], capture_output=True, text=True, check=True).stdout
    assert "Library soname: [libipcdump.so.0]" in dyn
    assert "libyaml" not in dyn  # the service's library is not the engine's
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(real)], capture_output=True, text=True,
                             check=True).stdout.split("\n")
    exported = [line.split()[-1] for line in symbols if line.strip()]
    # every one versioned, every one the API's; the node itself is an absolute symbol
    assert "IPCDUMP_0.1" in exported
    functions = [s for s in exported if s != "IPCDUMP_0.1"]
    assert functions and all(re.fullmatch(r"ipcdump_\w+@@IPCDUMP_0\.1", s) for s in functions), functions
    declared = set(re.findall(r"IPCDUMP_API [^(]*?\**(ipcdump_\w+)\(", open(HEADER).read()))
    assert {s.split("@")[0] for s in functions} == declared


def test_pkg_config_finds_the_installed_header_and_library(installed):
    env = pkg_env(installed)
    version = subprocess.run(["pkg-config", "--modversion", "ipcdump"], capture_output=True, text=True, env=env,
                             check=True).stdout.strip()
    assert version == header_version()
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "ipcdump"], capture_output=True, text=True,
                           env=env, check=True).stdout.split()
    assert "-I%s/usr/include" % installed in flags and "-lipcdump" in flags
    assert (installed / "usr/include/ipcdump/ipcdump.h").read_text() == open(HEADER).read()


def test_the_header_stands_alone_in_strict_c(installed, tmp_path):
    """A user's strictest flags: C99 and C11, pedantic, every warning an error."""
    src = tmp_path / "strict.c"
    src.write_text('#include <ipcdump/ipcdump.h>\n'
                   'int main(void)\n{\n\tIPCDUMP_OPTS(opts, .types = "pipe");\n\n'
                   '\t(void)opts;\n\treturn ipcdump_version() == IPCDUMP_VERSION ? 0 : 1;\n}\n')
    flags = subprocess.run(["pkg-config", "--cflags", "ipcdump"], capture_output=True, text=True, check=True,
                           env=pkg_env(installed)).stdout.split()
    for std in ("c99", "c11"):
        res = subprocess.run(["cc", "-std=" + std, "-pedantic", "-Wall", "-Wextra", "-Wpadded", "-Werror", *flags,
                              "-c", str(src), "-o", str(tmp_path / "strict.o")], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr


def test_examples_link_the_library_they_were_built_against(installed, shared, static):
    ldd = subprocess.run(["ldd", str(shared / "capture_summary")], capture_output=True, text=True,
                         check=True).stdout
    assert "libipcdump.so.0 => %s/usr/lib/libipcdump.so.0" % installed in ldd
    ldd = subprocess.run(["ldd", str(static / "capture_summary")], capture_output=True, text=True,
                         check=True).stdout
    assert "libipcdump" not in ldd


# ---- the capture summariser ---------------------------------------------------


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    """A capture of pipes and signals between real processes, written by ipcdump -w."""
    path = tmp_path_factory.mktemp("capture") / "trace.ipcd"
    lines = []
    ready = threading.Event()
    proc = subprocess.Popen([IPCDUMP, "-t", "pipe,signal", "-w", str(path)], stderr=subprocess.PIPE)

    def read_stderr():
        for raw in proc.stderr:
            lines.append(raw.decode(errors="replace").rstrip("\n"))
            if lines[-1].startswith("ipcdump: tracing"):
                ready.set()
        ready.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        assert ready.wait(START_TIMEOUT) and proc.poll() is None, lines
        ipcgen("multi", 3)
        ipcgen("pipe", "hello, library!\n")
        ipcgen("signals")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, lines
    return path


def summary(program, path, *args):
    res = subprocess.run([str(program), str(path), *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    totals, types, pairs = {}, {}, {}
    for line in res.stdout.splitlines():
        f = line.split("\t")
        if f[0] == "events":
            totals = {"events": int(f[1]), "bytes": int(f[3]), "lost": int(f[5])}
        elif f[0] == "type":
            types[f[1]] = (int(f[2]), int(f[3]))
        else:
            assert f[0] == "pair", line
            pairs[(f[1], int(f[2]), f[3], int(f[4]), f[5])] = (int(f[6]), int(f[7]))
    return totals, types, pairs


def ipcdump_stats(path, *args):
    """What ipcdump -r FILE --stats -f json counts, in the summariser's terms."""
    res = subprocess.run([IPCDUMP, "-r", str(path), "--stats", "-f", "json", *args], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    stats = json.loads(res.stdout)
    types, pairs = {}, {}
    for c in stats["channels"]:
        n, b = types.get(c["type"], (0, 0))
        types[c["type"]] = (n + c["messages"], b + c["bytes"])
    for p in stats["pairs"]:
        key = (p["type"], p["src_pid"] if p["src_pid"] is not None else -1, p["src_comm"] or "",
               p["dst_pid"] if p["dst_pid"] is not None else -1, p["dst_comm"] or "")
        n, b = pairs.get(key, (0, 0))
        pairs[key] = (n + p["messages"], b + p["bytes"])
    totals = {"events": sum(n for n, _ in types.values()), "bytes": sum(b for _, b in types.values())}
    return totals, types, pairs


def test_capture_summary_counts_what_ipcdump_stats_counts(capture, shared, static):
    totals, types, pairs = summary(shared / "capture_summary", capture)
    want_totals, want_types, want_pairs = ipcdump_stats(capture)
    assert {"pipe", "signal"} <= set(types)
    assert totals["lost"] == 0
    assert {k: totals[k] for k in ("events", "bytes")} == want_totals
    assert types == want_types
    assert pairs == want_pairs
    # the multi scenario's writers, by name, each to its reader
    assert any(k[0] == "pipe" and k[2].startswith("ipct-") for k in pairs)
    # the static build reads the same
    assert summary(static / "capture_summary", capture) == (totals, types, pairs)


def test_capture_summary_filters_as_ipcdump_does(capture, shared):
    totals, types, pairs = summary(shared / "capture_summary", capture, "type == pipe and bytes > 5")
    want_totals, want_types, want_pairs = ipcdump_stats(capture, "type == pipe and bytes > 5")
    assert set(types) == {"pipe"}
    assert {k: totals[k] for k in ("events", "bytes")} == want_totals
    assert (types, pairs) == (want_types, want_pairs)


def test_capture_summary_reads_a_store_as_the_capture_it_was_made_of(capture, shared, tmp_path):
    store = tmp_path / "trace.db"
    res = subprocess.run([IPCDUMP, "-r", str(capture), "-w", str(store)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert summary(shared / "capture_summary", store) == summary(shared / "capture_summary", capture)


def test_capture_summary_says_why_a_file_does_not_open(shared, tmp_path):
    res = subprocess.run([str(shared / "capture_summary"), str(tmp_path / "missing.ipcd")], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr == "capture_summary: cannot read %s: No such file or directory\n" % (tmp_path / "missing.ipcd")
    res = subprocess.run([str(shared / "capture_summary"), "/dev/null"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 1 and "not an ipcdump capture file" in res.stderr


# ---- who talks to my pid -------------------------------------------------------

# A target that reads a pipe to its end; once told to go, short-lived writers,
# one after the other, each named and writing a known number of bytes into it.
WORKLOAD = r"""
import json, os, sys
sizes = [int(s) for s in sys.argv[1:]]
r, w = os.pipe()
target = os.fork()
if target == 0:
    os.close(w)
    open("/proc/self/comm", "w").write("ipct-target")
    while os.read(r, 65536):
        pass
    os._exit(0)
os.close(r)
print(json.dumps({"target": target}), flush=True)
sys.stdin.readline()
writers = []
for i, n in enumerate(sizes):
    pid = os.fork()
    if pid == 0:
        open("/proc/self/comm", "w").write("ipct-talk%d" % i)
        assert os.write(w, b"x" * n) == n
        os._exit(0)
    os.waitpid(pid, 0)
    writers.append(pid)
os.close(w)
os.waitpid(target, 0)
print(json.dumps({"writers": writers}), flush=True)
"""

SIZES = [100, 2000, 5000]


class WhoTalks:
    def __init__(self, program, pid, seconds):
        self.lines = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen([str(program), str(pid), str(seconds)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        threading.Thread(target=self._read_stderr, daemon=True).start()
        if not self.ready.wait(START_TIMEOUT) or self.proc.poll() is not None:
            self.proc.kill()
            raise AssertionError("who_talks did not start: %r" % self.lines)

    def _read_stderr(self):
        for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            if self.lines[-1].startswith("who_talks: tracing"):
                self.ready.set()
        self.ready.set()

    def rows(self, sig=None):
        if sig is not None:
            self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, self.lines
        rows = [line.split("\t") for line in out.decode().splitlines()]
        return [(d, int(pid), comm, typ, int(events), int(size)) for d, pid, comm, typ, events, size in rows]


def test_who_talks_names_every_writer_to_a_pid_with_its_bytes(shared):
    work = subprocess.Popen([sys.executable, "-c", WORKLOAD, *map(str, SIZES)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    try:
        target = json.loads(work.stdout.readline())["target"]
        who = WhoTalks(shared / "who_talks", target, 120)
        work.stdin.write(b"go\n")
        work.stdin.flush()
        writers = json.loads(work.stdout.readline())["writers"]
        assert work.wait(timeout=60) == 0
    finally:
        if work.poll() is None:
            work.kill()
    rows = who.rows(signal.SIGINT)
    into_pipe = [r for r in rows if r[0] == "in" and r[3] == "pipe"]
    # one row per writer: its pid, its name, every byte it wrote (in one event or more)
    assert sorted((pid, comm, size) for _, pid, comm, _, _, size in into_pipe) == \
        [(pid, "ipct-talk%d" % i, SIZES[i]) for i, pid in enumerate(writers)]
    assert all(events >= 1 for *_, events, _ in into_pipe)
    # the target wrote nothing into a pipe
    assert not [r for r in rows if r[0] == "out" and r[3] == "pipe"]


def test_who_talks_ends_on_its_own_after_its_seconds(shared):
    quiet = subprocess.Popen(["sleep", "60"])
    try:
        who = WhoTalks(shared / "who_talks", quiet.pid, 1)
        assert who.rows() == []
    finally:
        quiet.kill()
        quiet.wait()


def test_who_talks_says_why_it_cannot_trace_when_not_root(static, tmp_path_factory):
    # a place nobody may read (pytest's own is root's alone), the static build needing no library
    where = tmp_path_factory.mktemp("open")
    os.chmod(where, 0o755)
    shutil.copy(static / "who_talks", where / "who_talks")
    res = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                          str(where / "who_talks"), "1", "1"], capture_output=True, text=True, timeout=60)
    assert (res.returncode, res.stdout) == (1, "")
    assert res.stderr.startswith("who_talks: ") and "root" in res.stderr, res.stderr


# ---- the API itself, from Python (ctypes) ---------------------------------------


class Opts(ctypes.Structure):
    _fields_ = [("sz", ctypes.c_size_t), ("types", ctypes.c_char_p), ("filter", ctypes.c_char_p),
                ("payload_size", ctypes.c_uint32), ("since_ns", ctypes.c_int64), ("until_ns", ctypes.c_int64)]


def opts(types=None, filter=None, payload_size=0):
    return Opts(ctypes.sizeof(Opts), types and types.encode(), filter and filter.encode(), payload_size, 0, 0)


class Lib:
    """The installed libipcdump.so, each function declared as the header declares it."""

    def __init__(self, dest):
        self.so = ctypes.CDLL(str(dest / "usr/lib/libipcdump.so.0"))
        P, S, I, U = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint
        for name, res, args in [
                ("ipcdump_open_capture", I, [ctypes.POINTER(P), S, ctypes.POINTER(Opts), S, ctypes.c_size_t]),
                ("ipcdump_open_live", I, [ctypes.POINTER(P), ctypes.POINTER(Opts), S, ctypes.c_size_t]),
                ("ipcdump_start", I, [P]), ("ipcdump_stop", None, [P]), ("ipcdump_close", None, [P]),
                ("ipcdump_next", I, [P, ctypes.POINTER(P), I]),
                ("ipcdump_errmsg", I, [P, S, ctypes.c_size_t]),
                ("ipcdump_event_type", S, [P]), ("ipcdump_event_channel", S, [P]),
                ("ipcdump_event_comm", S, [P, I]), ("ipcdump_event_pid", ctypes.c_int64, [P, I]),
                ("ipcdump_event_bytes", ctypes.c_uint64, [P]), ("ipcdump_event_latency_ns", ctypes.c_int64, [P]),
                ("ipcdump_event_signal", I, [P]), ("ipcdump_event_signal_name", S, [P]),
                ("ipcdump_event_payload", P, [P, ctypes.POINTER(ctypes.c_size_t)]),
                ("ipcdump_event_format", I, [P, I, U, S, ctypes.c_size_t])]:
            fn = getattr(self.so, name)
            fn.restype, fn.argtypes = res, args
            setattr(self, name[len("ipcdump_"):], fn)

    def check(self, rc, session=None, err=None):
        if rc < 0:
            msg = err.value if err is not None else ctypes.create_string_buffer(512)
            if session is not None:
                self.errmsg(session, msg, 512)
            raise AssertionError("libipcdump: %d %r" % (rc, getattr(msg, "value", msg)))
        return rc

    def events(self, session):
        """Each event, as the accessors and the JSON and text formats see it."""
        ev = ctypes.c_void_p()
        while self.check(self.next(session, ctypes.byref(ev), -1), session) > 0:
            size = ctypes.c_size_t()
            data = self.event_payload(ev, ctypes.byref(size))
            yield {
                "type": self.event_type(ev).decode(),
                "src_pid": self.event_pid(ev, 0), "dst_pid": self.event_pid(ev, 1),
                "src_comm": self.event_comm(ev, 0).decode(), "dst_comm": self.event_comm(ev, 1).decode(),
                "bytes": self.event_bytes(ev), "latency": self.event_latency_ns(ev),
                "channel": self.event_channel(ev).decode(),
                "signal": self.event_signal(ev), "signal_name": self.event_signal_name(ev),
                "payload": ctypes.string_at(data, size.value) if data else None,
                "json": self.format(ev, 1, 1), "text": self.format(ev, 0, 0),
            }

    def format(self, ev, fmt, flags):
        need = self.check(self.event_format(ev, fmt, flags, None, 0))
        buf = ctypes.create_string_buffer(need + 1)
        assert self.event_format(ev, fmt, flags, buf, need + 1) == need
        return buf.value.decode()


@pytest.fixture(scope="module")
def lib(installed):
    return Lib(installed)


def test_events_format_as_ipcdump_prints_them(lib, capture):
    err = ctypes.create_string_buffer(512)
    session = ctypes.c_void_p()
    o = opts(payload_size=1 << 20)
    lib.check(lib.open_capture(ctypes.byref(session), str(capture).encode(), ctypes.byref(o), err, 512), err=err)
    try:
        events = list(lib.events(session))
    finally:
        lib.close(session)
    as_json = subprocess.run([IPCDUMP, "-r", str(capture), "-f", "json", "-x"], capture_output=True, text=True,
                             check=True, timeout=120).stdout.splitlines()
    as_text = subprocess.run([IPCDUMP, "-r", str(capture)], capture_output=True, text=True, check=True,
                             timeout=120).stdout.splitlines()
    assert [e["json"] for e in events] == as_json
    assert [e["text"] for e in events] == as_text
    for e, line in zip(events, as_json):
        printed = json.loads(line)
        assert (e["type"], e["src_comm"], e["dst_comm"], e["bytes"]) == \
            (printed["type"], printed["src_comm"] or "", printed["dst_comm"] or "", printed["size"])
    hello = [e for e in events if e["payload"] == b"hello, library!\n"]
    assert len(hello) == 1 and hello[0]["channel"].startswith("pipe:[") and hello[0]["latency"] >= 0
    signals = [e for e in events if e["type"] == "signal"]
    assert signals and all(e["signal"] > 0 and e["signal_name"].startswith(b"SIG") for e in signals)
    assert all(e["signal"] == 0 and e["signal_name"] is None for e in events if e["type"] != "signal")


def test_a_live_session_sees_a_workload_started_after_it_with_payloads(lib):
    err = ctypes.create_string_buffer(512)
    session = ctypes.c_void_p()
    o = opts(types="pipe", filter='comm == "ipct-*"', payload_size=8)
    lib.check(lib.open_live(ctypes.byref(session), ctypes.byref(o), err, 512), err=err)
    try:
        lib.check(lib.start(session), session)
        r = ipcgen("pipe", "live from the library\n")
        lib.stop(session)
        events = list(lib.events(session))
    finally:
        lib.close(session)
    # (the writer's report to this test goes through a pipe too)
    mine = [e for e in events if e["channel"] == "pipe:[%d]" % r["ino"]]
    assert len(mine) == 1, events
    e = mine[0]
    assert (e["type"], e["src_pid"], e["src_comm"], e["dst_pid"], e["dst_comm"], e["bytes"]) == \
        ("pipe", r["writer"], "ipct-writer", r["reader"], "ipct-reader", len("live from the library\n"))
    assert e["payload"] == b"live fro"  # payload_size bytes of it


def test_a_reader_that_falls_behind_a_live_session_is_told_what_was_lost(lib):
    """The queue (4096 events) full, the kernel's ring (16 MiB) fills behind it: losses come as events."""
    err = ctypes.create_string_buffer(512)
    session = ctypes.c_void_p()
    o = opts(types="pipe", filter='comm == "ipct-*"', payload_size=1 << 20)
    lib.check(lib.open_live(ctypes.byref(session), ctypes.byref(o), err, 512), err=err)
    try:
        lib.check(lib.start(session), session)
        ipcgen("flood", 20000, 8192)  # 160 MiB of payloads while nothing reads
        lib.stop(session)
        events = list(lib.events(session))
    finally:
        lib.close(session)
    lost = [e for e in events if e["type"] == "lost"]
    # they pass the filter; they have no ends
    assert lost and all(e["src_pid"] == -1 and e["dst_pid"] == -1 and e["src_comm"] == "" for e in lost)
    assert all(json.loads(e["json"])["count"] > 0 for e in lost)
    assert sum(1 for e in events if e["type"] == "pipe") >= 4096
