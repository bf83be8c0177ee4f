"""The command line: filters, -c, stopping, errors, losses, self-tracing."""
import base64
import csv
import io
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import IPCDUMP, IPCGEN, Gated, Tracer, ipcgen, payload, pipe_events


def wait_until_tracing(proc):
    """Reads stderr up to the line that says events now count."""
    while True:
        line = proc.stderr.readline().decode()
        assert line, "ipcdump exited before tracing"
        if line.startswith("ipcdump: tracing"):
            return


def test_filter_by_source_comm_in_the_kernel(tracer):
    t = tracer("-t", "pipe", "-S", "ipct-writer")
    r = ipcgen("pipe", "x")
    events = t.stop()
    assert events and all(e["src_comm"] == "ipct-writer" for e in events)
    assert pipe_events(events, r["ino"])[0]["dst_pid"] == r["reader"]


def test_filter_by_destination_comm(tracer):
    t = tracer("-t", "pipe", "-D", "ipct-reader")
    r = ipcgen("multi", 2)
    events = t.stop()
    assert len(events) == 2 and all(e["dst_pid"] == r["reader"] for e in events)
    assert [e["src_pid"] for e in events] == r["writers"]


def test_filter_by_pid_either_end(tracer):
    g = Gated("--gate", "pipe", "either end")
    t = tracer("-p", str(g.first["pid"]))
    g.go()
    r = g.finish()
    events = t.stop()
    assert events
    assert all(g.first["pid"] in (e["src_pid"], e["dst_pid"]) for e in events)
    assert pipe_events(events, r["ino"])[0]["dst_pid"] == r["reader"]


def test_flags_of_different_kinds_are_anded(tracer):
    t = tracer("-t", "pipe", "-S", "ipct-writer", "-D", "nobody-has-this")
    control = tracer("-t", "pipe", "-S", "ipct-writer")  # the same run without -D: the write is there
    r = ipcgen("pipe", "x")
    assert t.stop() == []
    assert pipe_events(control.stop(), r["ino"])


def test_unknown_pid_passes_no_filter(tracer):
    g = Gated("preexisting", "early")
    t = tracer("-t", "pipe", "-S", "ipct-late-r")
    control = tracer("-t", "pipe", "-D", "ipct-late-r")  # the same run: the read is traced
    g.go()
    r = g.finish()
    assert t.stop() == []
    [read] = pipe_events(control.stop(), g.first["ino"])
    assert (read["src_pid"], read["dst_pid"]) == (-1, r["reader"])


def test_type_filter(tracer):
    t = tracer("-t", "signal")
    ipcgen("pipe", "x")
    ipcgen("signals")
    events = t.stop()
    assert events and all(e["type"] == "signal" for e in events)


def test_count_prints_exactly_n_and_exits_zero():
    proc = subprocess.Popen([IPCDUMP, "-t", "pipe", "-f", "json", "-c", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_until_tracing(proc)
    for i in range(50):
        ipcgen("pipe", "ping %d" % i)
        if proc.poll() is not None:
            break
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert len(out.decode().splitlines()) == 3


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_stop_signals_flush_and_summarise(tracer, sig):
    t = tracer("-t", "pipe")
    r = ipcgen("pipe", "flush me")
    events = t.stop(sig)
    assert len(pipe_events(events, r["ino"])) == 1
    [line] = t.summary()
    assert re.fullmatch(r"ipcdump: \d+ events? printed, 0 lost", line)


@pytest.mark.parametrize("args", [
    ["-t", "bogus"], ["-p", "abc"], ["-p", "0"], ["-s", "-5"], ["-c", "0"], ["-c", "x"],
    ["-f", "xml"], ["-B", "-1"], ["--buffer-size", "12Q"], ["-Z"], ["--nope"], ["-t"],
    ["-p", " 12"],
])
def test_bad_input_is_one_line_and_exit_2(args):
    res = subprocess.run([IPCDUMP, *args], capture_output=True, timeout=30)
    assert res.returncode == 2, res
    lines = res.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ipcdump: "), lines
    assert res.stdout == b""


def test_help_and_version():
    res = subprocess.run([IPCDUMP, "--help"], capture_output=True, timeout=30)
    assert res.returncode == 0 and b"-t, --type" in res.stdout
    res = subprocess.run([IPCDUMP, "--version"], capture_output=True, timeout=30)
    assert res.returncode == 0 and res.stdout.startswith(b"ipcdump ")


def test_not_root_is_one_line_and_exit_1():
    res = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", IPCDUMP],
                         capture_output=True, timeout=30)
    assert res.returncode == 1
    assert res.stderr.decode().splitlines() == ["ipcdump: must run as root (needs CAP_BPF and CAP_PERFMON)"]


def test_losses_are_counted_and_reported(tracer):
    t = tracer("-t", "pipe", "-x", "-B", "0", "--buffer-size", "64K")
    ipcgen("flood", 3000, 8192)
    events = t.stop()
    lost = [e for e in events if e["type"] == "lost"]
    # a full ring drops whatever comes: process records too, not only pipe records
    assert lost and all(e["collector"] in ("pipe", "process") and e["count"] > 0 for e in lost)
    [line] = t.summary()
    total = int(re.search(r"(\d+) lost", line).group(1))
    assert total == sum(e["count"] for e in lost)
    for collector in ("pipe", "process"):
        n = sum(e["count"] for e in lost if e["collector"] == collector)
        assert (("(%s: %d)" % (collector, n)) in line) == (n > 0), line
    assert re.search(r"\(pipe: [1-9]\d*\)", line)


def test_quiet_lost_keeps_the_summary(tracer):
    t = tracer("-t", "pipe", "-x", "-B", "0", "--buffer-size", "64K", "-L")
    ipcgen("flood", 3000, 8192)
    events = t.stop()
    assert not [e for e in events if e["type"] == "lost"]
    [line] = t.summary()
    assert int(re.search(r"(\d+) lost", line).group(1)) > 0


def test_does_not_trace_its_own_output_pipe():
    proc = subprocess.Popen([IPCDUMP, "-t", "pipe", "-f", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    wait_until_tracing(proc)
    r = ipcgen("pipe", "mine")
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    events = [json.loads(l) for l in out.decode().splitlines()]
    assert pipe_events(events, r["ino"])
    me = proc.pid
    assert not [e for e in events if me in (e.get("src_pid"), e.get("dst_pid"))]


def test_text_output_with_hexdump(tracer):
    t = tracer("-t", "pipe", "-x", fmt="text")
    r = ipcgen("pipe", "hello world\n")
    t.stop()
    lines = t.text.splitlines()
    i = next(i for i, l in enumerate(lines) if "pipe %d(ipct-writer) > %d(ipct-reader)" % (r["writer"], r["reader"]) in l)
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{9} pipe %d\(ipct-writer\) > %d\(ipct-reader\): "
                        r"pipe_inode %d, size 12, latency_ns \d+" % (r["writer"], r["reader"], r["ino"]), lines[i])
    assert lines[i + 1] == "\t00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0a              |hello world.|"


def test_signals_to_ipcdump_itself_are_not_reported(tracer):
    t = tracer("-t", "signal")
    r = ipcgen("signals")
    events = t.stop(signal.SIGINT)  # this SIGINT is one
    assert [e for e in events if e["dst_pid"] == r["receiver"]]
    assert not [e for e in events if t.proc.pid in (e["src_pid"], e["dst_pid"])]


def test_a_collector_that_cannot_attach_is_named_and_the_others_run(tracer, monkeypatch):
    monkeypatch.setenv("IPCD_TEST_REFUSE", "pipe")
    t = tracer()
    r = ipcgen("signals")
    ipcgen("pipe", "not traced")
    events = t.stop()
    assert "ipcdump: warning: pipe collector not attached (IPCD_TEST_REFUSE: Operation not permitted); " \
           "tracing the others" in t.stderr_lines
    [tracing] = [l for l in t.stderr_lines if l.startswith("ipcdump: tracing ")]
    assert "signal" in tracing and "pipe" not in tracing, tracing
    assert [e for e in events if e["type"] == "signal" and e["dst_pid"] == r["receiver"]]
    assert not [e for e in events if e["type"] == "pipe"]


def test_no_collector_attached_is_exit_1():
    env = dict(os.environ, IPCD_TEST_REFUSE="*")
    res = subprocess.run([IPCDUMP], capture_output=True, timeout=60, env=env)
    assert res.returncode == 1
    lines = res.stderr.decode().splitlines()
    assert lines[-1] == "ipcdump: no collector could be attached (set IPCD_DEBUG=1 for details)"


def test_csv_output_parses_with_a_csv_reader(tracer):
    import csv
    import io
    t = tracer("-t", "pipe", "-f", "csv", "-x", fmt=None)
    r = ipcgen("pipe", "comma, \"quote\"")
    t.stop()
    rows = list(csv.DictReader(io.StringIO(t.text)))
    [row] = [x for x in rows if x["channel"] == "pipe:[%d]" % r["ino"]]
    assert (row["type"], row["src_pid"], row["src_comm"], row["dst_pid"], row["dst_comm"]) == \
        ("pipe", str(r["writer"]), "ipct-writer", str(r["reader"]), "ipct-reader")
    assert row["size"] == str(len('comma, "quote"'))
    assert bytes.fromhex(row["payload_hex"]) == b'comma, "quote"'


def test_filter_expression_as_trailing_arguments(tracer):
    t = tracer("-t", "pipe", "-x", "comm", "==", "ipct-w*", "and", "payload", "contains", "writer-1")
    r = ipcgen("multi", 3)
    events = t.stop()
    assert [e["src_pid"] for e in events] == [r["writers"][1]], events


def test_filter_expression_with_F_and_the_ipcdump_flags_together(tracer):
    t = tracer("-t", "pipe", "-F", "bytes > 17", "-D", "ipct-reader")
    r = ipcgen("pipe", "0123456789abcdefghij")  # 20 bytes: passes
    ipcgen("pipe", "short")                      # 5 bytes: does not
    events = t.stop()
    assert [(e["src_pid"], e["size"]) for e in events] == [(r["writer"], 20)], events


def test_filter_errors_point_at_the_column():
    res = subprocess.run([IPCDUMP, "pid", "==", "1", "and", "nonsense", "==", "2"], capture_output=True, timeout=30)
    assert res.returncode == 2
    lines = res.stderr.decode().splitlines()
    assert lines[0] == "ipcdump: filter: unknown field 'nonsense' at column 14"
    assert lines[1] == "  pid == 1 and nonsense == 2"
    assert lines[2] == "  " + " " * 13 + "^"
    res = subprocess.run([IPCDUMP, "-F", "pid == 1", "pid == 2"], capture_output=True, timeout=30)
    assert res.returncode == 2 and b"-F and after the options" in res.stderr


def test_stats_count_a_known_workload(tracer):
    t = tracer("-t", "pipe", "--stats", "--top", "1000", fmt=None)
    r = ipcgen("multi", 3)
    t.stop()
    lines = t.text.splitlines()
    assert not [l for l in lines if " pipe " in l and "> " in l and ": pipe_inode" in l]
    # the window's wall-clock time heads the report
    assert re.fullmatch(r"# \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} to [-\d :.]+ \(\d+\.\d{3} s\); ~ marks an estimate",
                        lines[0]), lines[0]
    # fixed columns: msgs, bytes (with a unit), p50 and p99 (estimates), max, type, label
    row = r"^ *(\d+) +(\d+ B) +(~\S+) +(~\S+) +(\S+) pipe {14}%s$"
    [chan] = [m for m in (re.match(row % re.escape("pipe:[%d]" % r["ino"]), l) for l in lines) if m]
    assert chan.group(1) == "3" and chan.group(2) == "%d B" % (3 * len("msg-from-writer-0;")), chan.group(0)
    assert re.fullmatch(r"~\d+(\.\d+)?(ns|µs|ms|s)", chan.group(3)) and re.fullmatch(r"[\d.]+(ns|µs|ms|s)", chan.group(5))
    for i, w in enumerate(r["writers"]):
        label = "%d(ipct-w%d) > %d(ipct-reader)" % (w, i, r["reader"])
        pair = [l for l in lines if l.endswith(" pipe              " + label)]
        assert pair and pair[0].split()[0] == "1", lines
    assert max(len(l) for l in lines) <= 100


@pytest.mark.parametrize("mode", ["--stats", "--analyze"])
def test_stats_and_analyze_write_csv(tracer, tmp_path, mode):
    path = str(tmp_path / "c.ipcd")
    t = tracer("-t", "pipe", "-w", path, fmt=None)
    r = ipcgen("multi", 3)
    t.stop()
    res = subprocess.run([IPCDUMP, "-r", path, mode, "-f", "csv", "--top", "1000"], capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    tables = [list(csv.reader(block.splitlines())) for block in res.stdout.decode().strip().split("\n\n")]
    # one table per section: a header row naming "section" first, then rows naming theirs
    assert all(t[0][0] == "section" and all(row[0] == t[1][0] for row in t[1:]) for t in tables if len(t) > 1)
    by_section = {t[1][0]: [dict(zip(t[0], row)) for row in t[1:]] for t in tables if len(t) > 1}
    channel = "channel" if mode == "--stats" else "busiest_channel"
    [chan] = [c for c in by_section[channel] if c["channel"] == "pipe:[%d]" % r["ino"]]
    assert chan["type"] == "pipe" and chan["messages"] == "3"
    pairs = by_section["pair" if mode == "--stats" else "top_talker"]
    for w in r["writers"]:
        [p] = [p for p in pairs if p["src_pid"] == str(w)]
        assert (p["dst_pid"], p["dst_comm"], p["messages"]) == (str(r["reader"]), "ipct-reader", "1")


def test_stats_json_every_interval(tracer):
    t = tracer("-t", "pipe", "--stats=0.2", "-f", "json", fmt=None)
    r = ipcgen("pipe", "twelve bytes")
    time.sleep(0.6)
    t.stop()
    reports = [json.loads(l) for l in t.text.splitlines()]
    assert len(reports) >= 3 and all(0.1 < x["window_s"] < 1.5 for x in reports[:-1])
    mine = [c for x in reports for c in x["channels"] if c["channel"] == "pipe:[%d]" % r["ino"]]
    assert len(mine) == 1 and mine[0]["messages"] == 1 and mine[0]["bytes"] == 12
    assert mine[0]["latency_max_ns"] >= mine[0]["latency_p50_ns"] > 0


def test_analyze_reports_talkers_channels_and_peers(tracer, tmp_path):
    path = str(tmp_path / "a.ipcd")
    t = tracer("-t", "pipe", "-w", path, fmt=None)
    r = ipcgen("multi", 3)
    t.stop()
    res = subprocess.run([IPCDUMP, "-r", path, "--analyze", "-f", "json", "--top", "1000"], capture_output=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    [report] = [json.loads(l) for l in res.stdout.decode().splitlines()]
    chan = [c for c in report["busiest_channels"] if c["what"] == "pipe pipe:[%d]" % r["ino"]]
    assert chan and chan[0]["messages"] == 3
    pairs = {p["what"] for p in report["top_talkers"]}
    for i, w in enumerate(r["writers"]):
        assert "%d(ipct-w%d) > %d(ipct-reader)" % (w, i, r["reader"]) in pairs
        [p] = [p for p in report["top_talkers"] if p["src_pid"] == w]
        assert (p["src_comm"], p["dst_pid"], p["dst_comm"]) == ("ipct-w%d" % i, r["reader"], "ipct-reader")
    # the same report under the tool's own name
    alias = subprocess.run([IPCDUMP.replace("ipcdump-san", "ipcdump") + "-analyze", path, "-f", "json", "--top", "1000"],
                           capture_output=True, timeout=60)
    assert alias.returncode == 0 and json.loads(alias.stdout.decode()) == report
    reader = [p for p in report["most_peers"] if p["pid"] == r["reader"]]
    assert reader and reader[0]["peers"] == 3 and reader[0]["comm"] == "ipct-reader"
    assert len(report["slowest"]) >= 3 and report["slowest"][0]["latency_ns"] >= report["slowest"][-1]["latency_ns"]


def test_kernel_and_userspace_filtering_agree(tracer):
    # the exact comm is pushed into the kernel; the wildcard can only be checked in userspace
    kernel = tracer("-t", "pipe", "-x", "src.comm == ipct-writer and dst.comm == ipct-reader")
    user = tracer("-t", "pipe", "-x", "src.comm == \"ipct-writ*\" and dst.comm == \"ipct-rea*\"")
    runs = [ipcgen("pipe", "agree-%d" % i) for i in range(5)]
    ipcgen("multi", 2)  # writers named ipct-w0, ipct-w1: in neither
    # only this run's writers: other programs on the machine may be named ipct-writer too
    mine = {r["writer"] for r in runs}
    strip = lambda evs: sorted((e["src_pid"], e["dst_pid"], e["size"], e["bytes"]) for e in evs
                               if e["src_pid"] in mine)
    k, u = strip(kernel.stop()), strip(user.stop())
    assert k == u and len(k) == len(runs), (k, u)


def three_pipe_events(tracer, tmp_path, *modes):
    """Three real pipe events, captured once, then read as JSON and as text with each --time=MODE.

    (Two tracers stamp the same event a little apart: one capture read
    several ways gives every format the same times.)
    """
    path = str(tmp_path / "three.ipcd")
    t = tracer("-t", "pipe", "-S", "ipct-writer", "-D", "ipct-reader", "-w", path, fmt=None)
    runs = [ipcgen("pipe", "tick\n") for _ in range(3)]
    t.stop()
    # these three, not what other ipcgen runs on the machine did meanwhile
    ours = " or ".join("(src.pid == %d and dst.pid == %d)" % (r["writer"], r["reader"]) for r in runs)

    def read(*args):
        res = subprocess.run([IPCDUMP, "-r", path, *args, ours], capture_output=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return res.stdout.decode().splitlines()

    events = [json.loads(l) for l in read("-f", "json")]
    assert len(events) == 3, events
    lines = {m: read("--time=" + m) for m in modes}
    for m in modes:
        assert len(lines[m]) == 3, (m, lines[m])
    return events, lines, read("-f", "csv", "--time=relative")


def seconds(ns):
    return "%d.%09d" % (ns // 10**9, ns % 10**9)


def test_time_modes_of_real_events(tracer, tmp_path):
    modes = ("clock", "date", "epoch", "delta", "relative", "none")
    events, lines, csv_lines = three_pipe_events(tracer, tmp_path, *modes)
    ts = [int(e["ts_ns"]) for e in events]
    rest = [l[l.index("pipe "):] for l in lines["clock"]]
    for m in modes:
        assert [l[l.index("pipe "):] for l in lines[m]] == rest, m
    for e, clock, date in zip(events, lines["clock"], lines["date"]):
        # JSON's RFC 3339 time: 2026-11-30T18:40:01.123456789+00:00
        day, tod = e["time"][:29].split("T")
        assert clock.startswith(tod + " pipe "), (clock, e["time"])
        assert date.startswith("%s %s pipe " % (day, tod)), (date, e["time"])
    epoch = [int(l.split()[0].replace(".", "")) for l in lines["epoch"]]
    assert re.fullmatch(r"\d{10}\.\d{9}", lines["epoch"][0].split()[0])
    assert [b - a for a, b in zip(epoch, epoch[1:])] == [b - a for a, b in zip(ts, ts[1:])]
    assert [l.split()[0] for l in lines["delta"]] == \
        ["0.000000000", seconds(ts[1] - ts[0]), seconds(ts[2] - ts[1])]
    assert [l.split()[0] for l in lines["relative"]] == \
        ["0.000000000", seconds(ts[1] - ts[0]), seconds(ts[2] - ts[0])]
    assert all(l.startswith("pipe %d(ipct-writer) > " % e["src_pid"]) for l, e in zip(lines["none"], events))
    assert [l.split(",")[0] for l in csv_lines[1:]] == \
        ["0.000000000", seconds(ts[1] - ts[0]), seconds(ts[2] - ts[0])]


def test_ascii_payload_of_a_real_write(tracer):
    g = Gated("--gate", "pipe", "GET / HTTP/1.0\r\nHost: a\tb\x01\r\n\r\nbody")
    t = tracer("-t", "pipe", "-x", "-A", "src.pid == %d and dst.comm == ipct-reader" % g.first["pid"], fmt="text")
    g.go()
    r = g.finish()
    t.stop()
    lines = t.text.splitlines()
    i = next(i for i, l in enumerate(lines) if "pipe %d(ipct-writer) > %d(ipct-reader)" % (r["writer"], r["reader"]) in l)
    assert lines[i + 1:] == ["\tGET / HTTP/1.0", "\tHost: a.b.", "\t", "\tbody"], t.text


def csv_cell(key, value):
    """A JSON value as the CSV prints it (see the column list at output.c's CSV printer)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if key == "flags":
        return "|".join(value)
    if key == "sharers":
        return ";".join(map(str, value))
    if key == "fds":
        return ";".join("%d:%s:%d:%s" % (d["fd"], d["kind"], d["inode"], d["path"] or "") for d in value)
    if key == "payload_hex":
        return base64.b64decode(value).hex()
    return str(value)


def json_as_columns(event):
    """A JSON event's keys, as CSV names them: meta's keys flattened, creds split, shm's size renamed."""
    cols = {k: v for k, v in event.items() if k != "meta"}
    if "bytes" in cols:
        cols["payload_hex"] = cols.pop("bytes")
    for k, v in event.get("meta", {}).items():
        if k == "creds":
            cols.update(("creds_" + ck, cv) for ck, cv in v.items())
        elif k == "size":
            cols["shm_size"] = v
        else:
            cols[k] = v
    if event["type"] == "lost":
        del cols["collector"], cols["count"]
    return cols


def test_csv_carries_every_json_field_of_every_type(tracer, tmp_path):
    from conftest import BUILD
    progs = os.path.join(BUILD, "progs")
    path = str(tmp_path / "all.ipcd")
    t = tracer("-w", path, "--lifecycle", "--kernel-signals", fmt=None)
    runs = [["ipcgen", "pipe"], ["ipcgen", "fifo"], ["ipcgen", "signals"], ["ipcgen", "failkill"],
            ["unixgen", "conn", "stream", "/tmp/ipct-csv.sock", 2], ["unixgen", "conn", "seqpacket", "@ipct-csv", 1],
            ["unixgen", "dgram", "@ipct-csv-dgram", 2], ["unixgen", "passfd", "/etc/hostname"], ["unixgen", "creds"],
            ["netgen", "tcp", 4, 1], ["netgen", "udp", 6], ["ptygen", "talk"], ["mqgen", "sysv"], ["mqgen", "posix"],
            ["shmgen", "sysv"], ["shmgen", "memfd"], ["shmgen", "sem"]]
    for prog, *args in runs:
        subprocess.run([os.path.join(progs, prog), *map(str, args)], capture_output=True, timeout=60, check=True)
    t.stop()

    def read(*args):
        res = subprocess.run([IPCDUMP, "-r", path, "--lifecycle", "-x", *args], capture_output=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return res.stdout.decode()

    events = [json.loads(l) for l in read("-f", "json").splitlines()]
    rows = list(csv.DictReader(io.StringIO(read("-f", "csv"))))
    assert len(rows) == len(events)
    seen = set()
    for event, row in zip(events, rows):
        assert row["type"] == event["type"] and row["ts_ns"] == event["ts_ns"], (row, event)
        for key, value in json_as_columns(event).items():
            assert key in row, "%s: no CSV column %r" % (event["type"], key)
            assert row[key] == csv_cell(key, value), (event["type"], key, row[key], value)
        seen.add(event["type"])
        if event["type"] == "loopback-tcp-conn":
            assert row["event"] in ("connect", "accept", "shutdown", "close"), row
        if event["type"] == "signal":
            assert row["code_name"] and row["result"], row
        if event["type"] == "shm":
            assert row["op"], row
    want = {"pipe", "signal", "unix-stream", "unix-dgram", "unix-seqpacket", "unix-conn", "loopback-tcp",
            "loopback-udp", "loopback-tcp-conn", "pty", "mq-sysv", "mq-posix", "mq-op", "shm"}
    assert want <= seen, want - seen
    assert [r for r in rows if r["fds"]] and [r for r in rows if r["creds_pid"]] and [r for r in rows if r["sharers"]]


# ---- the front end: names, warnings, modes, files ---------------------------

def one_usage_line(*args):
    res = subprocess.run([IPCDUMP, *args], capture_output=True, timeout=30)
    assert res.returncode == 2 and res.stdout == b"", res
    [line] = res.stderr.decode().splitlines()
    return line


@pytest.mark.parametrize("args, hint", [
    (["-t", "pipes"], "unknown type 'pipes' (did you mean 'pipe'?); valid: all, signal, kill, unix,"),
    (["-t", "pipe,unxi"], "unknown type 'unxi' (did you mean 'unix'?); valid: "),
    (["--stas"], "unknown option '--stas' (did you mean '--stats'?)"),
    (["-f", "jsn"], "unknown format 'jsn' (did you mean 'json'?); valid: text, json, csv"),
    (["--time=epoc"], "unknown time mode 'epoc' (did you mean 'epoch'?); valid: clock, date, epoch,"),
])
def test_unknown_names_suggest_the_closest_and_list_the_valid(args, hint):
    assert one_usage_line(*args).startswith("ipcdump: " + hint)


def test_comma_list_of_types(tracer):
    t = tracer("-t", "signal,pipe")
    r = ipcgen("pipe", "x")
    s = ipcgen("signals")
    events = t.stop()
    assert pipe_events(events, r["ino"])
    assert [e for e in events if e["type"] == "signal" and e["dst_pid"] == s["receiver"]]
    assert {e["type"] for e in events} <= {"pipe", "signal"}


@pytest.mark.parametrize("args, warning", [
    (["-x", "-B", "99999"], "ipcdump: warning: -B 99999 is above the 16384 bytes an event can hold: keeping 16384"),
    (["-B", "64"], "ipcdump: warning: -B has no effect without -x (or -w): no payload is captured"),
])
def test_byte_limits_that_cannot_apply_warn_and_tracing_goes_on(tracer, args, warning):
    t = tracer("-t", "pipe", *args)
    r = ipcgen("pipe", "still traced")
    events = t.stop()
    assert warning in t.stderr_lines, t.stderr_lines
    assert pipe_events(events, r["ino"])


def test_capital_v_is_the_version():
    res = subprocess.run([IPCDUMP, "-V"], capture_output=True, timeout=30)
    assert res.returncode == 0 and res.stdout.startswith(b"ipcdump "), res


def analyze_tool(tmp_path):
    """ipcdump-analyze: the sanitizer build under the tool's name."""
    link = tmp_path / "ipcdump-analyze"
    link.symlink_to(os.path.abspath(IPCDUMP))
    return str(link)


def test_analyze_without_a_file_prints_its_usage(tmp_path):
    tool = analyze_tool(tmp_path)
    # before: a live trace of the whole machine that never ended
    res = subprocess.run([tool], capture_output=True, timeout=30)
    assert res.returncode == 2 and res.stdout == b"", res
    assert res.stderr.decode().splitlines() == [
        "Usage: ipcdump-analyze FILE [OPTIONS] (see ipcdump-analyze --help)"]
    res = subprocess.run([tool, "-f", "json"], capture_output=True, timeout=30)
    assert res.returncode == 2 and res.stderr.startswith(b"Usage: ipcdump-analyze FILE"), res
    res = subprocess.run([tool, "--help"], capture_output=True, timeout=30)
    assert res.returncode == 0 and res.stderr == b"", res
    assert res.stdout.startswith(b"Usage: ipcdump-analyze FILE [OPTIONS]")
    res = subprocess.run([tool, "-V"], capture_output=True, timeout=30)
    assert res.returncode == 0 and res.stdout.startswith(b"ipcdump "), res


def test_analyze_takes_its_file_before_or_after_the_options(tmp_path):
    tool = analyze_tool(tmp_path)
    path, [r], _ = capture_of(tmp_path, ("multi", 2))
    reports = []
    for args in ([path, "-f", "json"], ["-f", "json", path], ["-f", "json", "-r", path],
                 ["-f", "json", path, "type == pipe"]):
        res = subprocess.run([tool, *args], capture_output=True, timeout=60)
        assert res.returncode == 0, (args, res.stderr)
        reports.append(json.loads(res.stdout))
    assert all(x["busiest_channels"] == reports[0]["busiest_channels"] for x in reports), reports
    assert [c for c in reports[0]["busiest_channels"] if c["what"] == "pipe pipe:[%d]" % r["ino"]]


def test_output_file_keeps_the_commands_stdout_apart(tmp_path):
    out = tmp_path / "events.json"
    res = subprocess.run([IPCDUMP, "-t", "pipe", "-f", "json", "-x", "-o", str(out), "--",
                          "sh", "-c", "echo from-the-command; %s pipe in-the-file" % IPCGEN],
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    # the command's own stdout only: the echo, then ipcgen's report
    lines = res.stdout.decode().splitlines()
    assert lines[0] == "from-the-command", lines
    assert not [l for l in lines if '"src_pid"' in l], lines
    report = json.loads(lines[-1])
    events = [json.loads(l) for l in out.read_text().splitlines()]
    [e] = pipe_events(events, report["ino"])
    assert payload(e) == b"in-the-file"
    assert os.stat(out).st_mode & 0o777 == 0o600


def test_quiet_says_nothing_but_errors(tmp_path):
    res = subprocess.run([IPCDUMP, "-q", "-t", "pipe", "--", IPCGEN, "pipe", "quiet"],
                         capture_output=True, timeout=60)
    assert res.returncode == 0 and res.stderr == b"", res
    loud = subprocess.run([IPCDUMP, "-t", "pipe", "--", IPCGEN, "pipe", "loud"], capture_output=True, timeout=60)
    err = loud.stderr.decode().splitlines()
    assert err[0].startswith("ipcdump: tracing ") and re.fullmatch(r"ipcdump: \d+ events? printed, 0 lost", err[-1])
    res = subprocess.run([IPCDUMP, "-q", "-t", "bogus"], capture_output=True, timeout=30)
    assert res.returncode == 2 and res.stderr.startswith(b"ipcdump: unknown type"), res


def test_a_command_left_running_untraced_is_named():
    # -c 1 ends tracing at ipcgen's first event; the command goes on (its fds let go of our pipes)
    proc = subprocess.Popen([IPCDUMP, "-t", "pipe", "-c", "1", "--", "sh", "-c",
                             "%s pipe one >/dev/null; exec sleep 60 >/dev/null 2>&1" % IPCGEN],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=60)
    m = re.search(rb"ipcdump: tracing stopped; sh \(pid (\d+)\) goes on running, untraced\n", err)
    pid = int(m.group(1)) if m else None
    try:
        assert proc.returncode == 0, err
        assert m, err
        assert os.path.exists("/proc/%d" % pid)
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)


def capture_of(tmp_path, *scenarios, name="cap.ipcd", args=()):
    path = str(tmp_path / name)
    t = Tracer("-t", "pipe", "-w", path, *args, fmt=None)
    runs = [ipcgen(*s) for s in scenarios]
    t.stop()
    return path, runs, t


def summary_lines(res):
    return [l for l in res.stderr.decode().splitlines() if re.search(r" events? \w+, \d+ lost", l)]


def test_summary_says_what_was_done(tmp_path):
    path, [r], t = capture_of(tmp_path, ("multi", 3))
    assert [l for l in t.stderr_lines if re.fullmatch(r"ipcdump: \d+ events? captured, 0 lost", l)]
    one = "src.pid == %d" % r["writers"][0]
    res = subprocess.run([IPCDUMP, "-r", path, one], capture_output=True, timeout=60)
    assert summary_lines(res) == ["ipcdump: 1 event printed, 0 lost"], res.stderr
    res = subprocess.run([IPCDUMP, "-r", path, "--stats", one], capture_output=True, timeout=60)
    assert summary_lines(res) == ["ipcdump: 1 event counted, 0 lost"], res.stderr
    res = subprocess.run([IPCDUMP, "-r", path, "--analyze", "-f", "json"], capture_output=True, timeout=60)
    [line] = summary_lines(res)
    assert re.fullmatch(r"ipcdump: \d+ events analyzed, 0 lost", line), line
    small = str(tmp_path / "small.ipcd")
    res = subprocess.run([IPCDUMP, "-r", path, "-w", small, one], capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert summary_lines(res) == ["ipcdump: 1 event matched, 0 lost"], res.stderr


def test_capture_files_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        path, _, _ = capture_of(tmp_path, *[("pipe", "rotated-%02d" % i) for i in range(30)], args=("-C", "8K"))
        files = sorted(p for p in os.listdir(tmp_path) if p.startswith("cap.ipcd"))
        assert len(files) >= 2, files
        small = str(tmp_path / "small.ipcd")
        res = subprocess.run([IPCDUMP, "-r", path, "-w", small, "-z", "type == pipe"],
                             capture_output=True, timeout=60)
        assert res.returncode == 0, res.stderr
        for name in files + ["small.ipcd"]:
            assert os.stat(tmp_path / name).st_mode & 0o777 == 0o600, name
    finally:
        os.umask(old)


def test_help_fits_80_columns_and_names_the_filter_fields():
    res = subprocess.run([IPCDUMP, "--help"], capture_output=True, timeout=30)
    assert res.returncode == 0
    text = res.stdout.decode()
    too_wide = [l for l in text.splitlines() if len(l) > 79]
    assert not too_wide, too_wide
    assert "ipcdump-filter(7)" in text
    # every field the filter language knows (its table in filter_expr.c) is named
    source = open(os.path.join(os.path.dirname(__file__), "..", "..", "src", "filter", "filter_expr.c")).read()
    fields = re.findall(r'\{ "([a-z.]+)", F_[A-Z_]+', source)
    assert len(fields) >= 10, fields
    words = set(re.findall(r"[a-z.]+", text))
    assert not [f for f in fields if f not in words], [f for f in fields if f not in words]


COLLECTORS = ["pipe", "signal", "unix", "pty", "shm", "mq", "loopback", "process"]


def test_version_names_libbpf_the_kernel_and_what_it_allows():
    res = subprocess.run([IPCDUMP, "--version"], capture_output=True, timeout=30)
    assert res.returncode == 0 and res.stderr == b"", res
    lines = res.stdout.decode().splitlines()
    assert re.fullmatch(r"ipcdump \S+", lines[0]), lines
    assert re.fullmatch(r"libbpf \d+\.\d+", lines[1]), lines
    assert lines[2] == "kernel %s %s %s" % (os.uname().sysname, os.uname().release, os.uname().machine)
    assert lines[3].startswith("collectors")
    status = dict(re.fullmatch(r"  (\S+) +(.+)", l).groups() for l in lines[4:])
    # this kernel loads every collector (KERNEL.md): each is loaded and verified to say so
    assert status == {c: "can load" for c in COLLECTORS}, lines


def test_version_says_why_a_collector_cannot_run():
    env = dict(os.environ, IPCD_TEST_REFUSE="pty")
    res = subprocess.run([IPCDUMP, "-V"], capture_output=True, timeout=30, env=env)
    assert res.returncode == 0, res
    assert "  pty       cannot attach: IPCD_TEST_REFUSE" in res.stdout.decode().splitlines()


def test_version_without_root_says_it_cannot_probe():
    res = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", IPCDUMP, "--version"],
                         capture_output=True, timeout=30)
    assert res.returncode == 0, res
    lines = res.stdout.decode().splitlines()
    assert lines[0].startswith("ipcdump ") and lines[1].startswith("libbpf ")
    assert lines[-1] == "collectors: not probed: loading BPF needs root (run ipcdump --version as root)"


def signal_pending(pid, sig):
    """sig waits to be delivered to pid (to the thread group or one of its threads)."""
    bit = 1 << (sig - 1)
    status = open("/proc/%d/status" % pid).read()
    masks = re.findall(r"^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$", status, re.M)
    return any(int(m, 16) & bit for m in masks)


def test_a_second_interrupt_names_the_command_it_leaves_running(tmp_path):
    armed = tmp_path / "armed"
    # the command ignores ^C: the first goes to it, the second stops ipcdump
    proc = subprocess.Popen([IPCDUMP, "-t", "pipe", "--", "sh", "-c",
                             "trap '' INT; touch %s; exec sleep 60 >/dev/null 2>&1" % armed],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_tracing(proc)
    deadline = time.time() + 30
    while not armed.exists():
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    # two ^C pending at once are one: the second is sent once the first was taken
    while signal_pending(proc.pid, signal.SIGINT):
        assert time.time() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    m = re.search(rb"ipcdump: tracing stopped; sh \(pid (\d+)\) goes on running, untraced\n", err)
    try:
        assert proc.returncode == 0 and m, err
        assert os.path.exists("/proc/%s" % m.group(1).decode())
    finally:
        if m:
            os.kill(int(m.group(1)), signal.SIGKILL)
