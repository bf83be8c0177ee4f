"""Pipes and FIFOs: both ends, exact bytes, payloads, odd cases."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import (IPCDUMP, IPCGEN, PIECES, Gated, assert_pieces_carry_their_bytes, ipcgen, payload,
                      pipe_events, read_in_pieces)


def assert_endpoint(event, side, pid, comm):
    assert event[side + "_pid"] == pid, event
    assert event[side + "_comm"] == comm, event


def test_write_then_read_names_both_ends(tracer):
    t = tracer("-t", "pipe", "-x", "-B", "64")
    r = ipcgen("pipe", "hello, pipe!\n")
    events = pipe_events(t.stop(), r["ino"])
    assert len(events) == 1, events
    e = events[0]
    assert_endpoint(e, "src", r["writer"], "ipct-writer")
    assert_endpoint(e, "dst", r["reader"], "ipct-reader")
    assert e["size"] == 13
    assert payload(e) == b"hello, pipe!\n"
    assert e["meta"]["src_call"] == "write" and e["meta"]["dst_call"] == "read"
    assert e["meta"]["latency_ns"] > 0
    assert e["dst_ppid"] == r["writer"]
    assert e["dst_pcomm"] == "ipct-writer"  # renamed by prctl after the exec
    assert "pipe_name" not in e["meta"]


def test_payload_limited_by_B(tracer):
    t = tracer("-t", "p", "-x", "-B", "4")
    r = ipcgen("pipe", "0123456789")
    [e] = pipe_events(t.stop(), r["ino"])
    assert e["size"] == 10
    assert payload(e) == b"0123"
    assert "truncated" in e["meta"]["flags"]


def test_no_payload_without_x(tracer):
    t = tracer("-t", "pipe")
    r = ipcgen("pipe", "secret")
    [e] = pipe_events(t.stop(), r["ino"])
    assert e["size"] == 6 and "bytes" not in e


def test_processes_that_live_under_a_millisecond(tracer):
    t = tracer("-t", "pipe", "-x")
    runs = [ipcgen("short", "brief-%d" % i) for i in range(20)]
    events = t.stop()
    for i, r in enumerate(runs):
        [e] = pipe_events(events, r["ino"])
        assert_endpoint(e, "src", r["writer"], "ipct-short-w")
        assert_endpoint(e, "dst", r["reader"], "ipct-short-r")
        assert e["src_pcomm"] == e["dst_pcomm"] == "ipcgen"
        assert payload(e) == b"brief-%d" % i
        assert e["size"] == len(b"brief-%d" % i)


def test_one_read_of_several_writers_gives_one_event_per_writer(tracer):
    t = tracer("-t", "pipe", "-x")
    r = ipcgen("multi", 3)
    events = pipe_events(t.stop(), r["ino"])
    assert len(events) == 3, events
    for i, (e, writer) in enumerate(zip(events, r["writers"])):
        assert_endpoint(e, "src", writer, "ipct-w%d" % i)
        assert_endpoint(e, "dst", r["reader"], "ipct-reader")
        assert payload(e) == b"msg-from-writer-%d;" % i
        assert e["size"] == len(payload(e))
        assert "order_uncertain" not in e["meta"]["flags"]


def test_concurrent_writers_are_right_or_flagged(tracer):
    t = tracer("-t", "pipe", "-x")
    r = ipcgen("race", 300)
    events = [e for e in t.stop() if e["type"] == "pipe" and e["dst_pid"] == r["reader"]]
    assert sum(e["size"] for e in events) == 2 * 300 * 32
    for e in events:
        expected = {r["a"]: b"A", r["b"]: b"B"}[e["src_pid"]]
        data = payload(e)
        assert e["size"] == len(data)
        if data != expected * len(data):
            assert "order_uncertain" in e["meta"]["flags"], e


def test_concurrent_readers_get_what_they_read_or_a_flag(tracer, tmp_path):
    """Two readers drain one pipe at once; each keeps what it read.  Every
    event must name the bytes its reader really got, unless flagged."""
    t = tracer("-t", "pipe", "-x")
    r = ipcgen("readrace", 400, tmp_path)
    events = pipe_events(t.stop(), r["ino"])
    assert sum(e["size"] for e in events) == 400 * 32
    for who in ("a", "b"):
        got = (tmp_path / who).read_bytes()
        mine = sorted((e for e in events if e["dst_pid"] == r[who]), key=lambda e: int(e["ts_ns"]))
        assert sum(e["size"] for e in mine) == len(got)
        pos = 0
        for e in mine:
            assert e["src_pid"] == r["writer"] and e["dst_comm"] == "ipct-rr-" + who
            data = payload(e)
            if data != got[pos:pos + len(data)]:
                assert "order_uncertain" in e["meta"]["flags"], e
            pos += e["size"]


def test_fifo_has_its_path(tracer, tmp_path):
    path = str(tmp_path / "ipct-fifo")
    t = tracer("-t", "pipe", "-x")
    r = ipcgen("fifo", path, "through the fifo")
    [e] = pipe_events(t.stop(), r["ino"])
    assert e["meta"]["pipe_name"] == os.path.realpath(path)
    assert "fifo" in e["meta"]["flags"]
    assert_endpoint(e, "src", r["writer"], "ipct-fifo-w")
    assert_endpoint(e, "dst", r["reader"], "ipct-fifo-r")
    assert payload(e) == b"through the fifo"


def test_writev_payload_spans_every_iovec(tracer):
    t = tracer("-t", "pipe", "-x")
    r = ipcgen("writev")
    [e] = pipe_events(t.stop(), src_pid=r["writer"], dst_pid=r["reader"])
    assert payload(e) == b"abcdefghi" and e["size"] == 9
    assert_endpoint(e, "dst", r["reader"], "ipct-readv")
    assert e["meta"]["src_call"] == "writev" and e["meta"]["dst_call"] == "readv"


def traced_move(tracer, how, data, call_into_b):
    """Runs the splice/tee/vmsplice/sendfile scenario traced; checks the
    event out of pipe B and returns the events into pipe A and the report."""
    t = tracer("-t", "pipe", "-x")
    r = ipcgen(how, data.decode())
    events = t.stop()
    [b] = pipe_events(events, r["ino_b"])
    assert_endpoint(b, "src", r["mover"], "ipct-mover")
    assert_endpoint(b, "dst", r["sink"], "ipct-sink")
    assert b["size"] == len(data) and b["meta"]["src_call"] == call_into_b
    # the mover's bytes were never in its memory, but they are in the sink's buffer
    assert payload(b) == data and "payload_unavailable" not in b["meta"]["flags"]
    return pipe_events(events, r["ino_a"]), r


def test_splice_moves_bytes_between_pipes(tracer):
    data = b"moved without copying"
    [a], r = traced_move(tracer, "splice", data, "splice")
    assert_endpoint(a, "src", r["source"], "ipct-source")
    assert_endpoint(a, "dst", r["mover"], "ipct-mover")
    assert payload(a) == data and a["meta"]["dst_call"] == "splice"


def test_tee_copies_and_leaves_the_source_unread(tracer):
    data = b"copied by tee"
    [a], r = traced_move(tracer, "tee", data, "tee")
    assert_endpoint(a, "src", r["source"], "ipct-source")
    assert_endpoint(a, "dst", r["drain"], "ipct-drain")
    assert payload(a) == data


def test_vmsplice_payload_is_captured(tracer):
    data = b"user pages into a pipe"
    [a], r = traced_move(tracer, "vmsplice", data, "splice")
    assert_endpoint(a, "src", r["source"], "ipct-source")
    assert a["meta"]["src_call"] == "vmsplice" and payload(a) == data


def test_sendfile_into_a_pipe(tracer):
    into_a, _ = traced_move(tracer, "sendfile", b"from a file", "sendfile")
    assert into_a == []  # the bytes came from a file, not through pipe A


def test_bytes_written_before_tracing_have_an_unknown_writer(tracer):
    g = Gated("preexisting", "early bytes")
    t = tracer("-t", "pipe", "-x")
    g.go()
    r = g.finish()
    [e] = pipe_events(t.stop(), g.first["ino"])
    assert e["src_pid"] == -1 and e["src_comm"] is None
    assert_endpoint(e, "dst", r["reader"], "ipct-late-r")
    assert e["size"] == len("early bytes")
    assert "writer_unknown" in e["meta"]["flags"]


def test_read_begun_before_tracing_is_attributed(tracer):
    g = Gated("blocked", "wake up")
    time.sleep(0.2)  # the reader is now asleep in read()
    t = tracer("-t", "pipe", "-x")
    g.go()
    g.finish()
    [e] = pipe_events(t.stop(), g.first["ino"])
    assert_endpoint(e, "src", g.first["writer"], "ipct-late-w")
    assert_endpoint(e, "dst", g.first["reader"], "ipct-blocked")
    assert payload(e) == b"wake up" and e["size"] == 7
    assert "started_before" in e["meta"]["flags"]


def test_data_never_read_is_reported_at_exit(tracer):
    t = tracer("-t", "pipe", "-x")
    g = Gated("unread", "nobody reads this")
    events = t.stop()
    g.go()
    g.finish()
    [e] = pipe_events(events, g.first["ino"])
    assert_endpoint(e, "src", g.first["writer"], "ipct-lonely")
    assert e["dst_pid"] == -1 and e["dst_comm"] is None
    assert "unread" in e["meta"]["flags"]
    assert payload(e) == b"nobody reads this"


def test_joining_a_conversation_already_under_way(tracer):
    """Tracing starts while two processes ping-pong: only a message in flight
    when tracing starts or stops may lack an end; every other has both."""
    proc = subprocess.Popen([IPCGEN, "pingpong", "4000"], stdout=subprocess.PIPE)
    first = json.loads(proc.stdout.readline())
    time.sleep(0.2)
    t = tracer("-t", "pipe")
    time.sleep(0.5)
    events = t.stop(settle=0)
    pong = json.loads(proc.communicate(timeout=60)[0].decode().splitlines()[-1])["pong"]
    lost = int(re.search(r"(\d+) lost", t.summary()[0]).group(1))
    for ino, writer, reader in ((first["there"], first["ping"], pong), (first["back"], pong, first["ping"])):
        got = sorted(pipe_events(events, ino), key=lambda e: int(e["ts_ns"]))
        assert len(got) > 50, len(got)
        for e in got:
            assert e["size"] == 64
            assert (e["src_pid"], e["dst_pid"]) in ((writer, reader), (writer, -1), (-1, reader)), e
        partial = [i for i, e in enumerate(got) if -1 in (e["src_pid"], e["dst_pid"])]
        if not lost:
            assert set(partial) <= {0, len(got) - 1}, [got[i] for i in partial]


UNREAD_WRITER = r"""
import os, socket, sys
a, b = os.pipe(), os.pipe()
u = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
for fd, data in ((a[1], b"a1"), (b[1], b"b1"), (u[0], b"u1"), (a[1], b"a2"), (b[1], b"b2"), (u[0], b"u2")):
    if isinstance(fd, socket.socket):
        fd.send(data)
    else:
        os.write(fd, data)
print("written", flush=True)
sys.stdin.readline()
"""


def test_writes_unread_at_exit_print_in_time_order(tracer):
    """Writes to two pipes and a socket that nobody reads come out, at exit, in the order they were made."""
    t = tracer("-x")
    w = subprocess.Popen(["python3", "-c", UNREAD_WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert w.stdout.readline() == b"written\n"
        events = [e for e in t.stop() if e["src_pid"] == w.pid and "unread" in e["meta"].get("flags", [])]
    finally:
        w.communicate(b"go\n", timeout=60)
    assert [payload(e) for e in events] == [b"a1", b"b1", b"u1", b"a2", b"b2", b"u2"], events
    assert [e["ts_ns"] for e in events] == sorted((e["ts_ns"] for e in events), key=int)


def test_each_piece_of_a_long_write_has_its_own_payload(tracer):
    t = tracer("-t", "pipe", "-x")
    r = read_in_pieces("pipe", *PIECES)
    events = pipe_events(t.stop(), r["ino"])
    assert all(e["src_pid"] == r["writer"] and e["dst_pid"] == r["reader"] for e in events), events
    assert_pieces_carry_their_bytes(events, 16384, PIECES)


def test_each_piece_has_its_own_first_B_bytes(tracer):
    t = tracer("-t", "pipe", "-x", "-B", "64")
    r = read_in_pieces("pipe", *PIECES)
    assert_pieces_carry_their_bytes(pipe_events(t.stop(), r["ino"]), 64, PIECES)


def test_a_capture_keeps_each_piece_s_payload(tracer, tmp_path):
    cap = str(tmp_path / "pieces.ipcd")
    t = tracer("-t", "pipe", "-x", "-w", cap, fmt=None)
    r = read_in_pieces("pipe", *PIECES)
    t.stop()
    out = subprocess.run([IPCDUMP, "-r", cap, "-f", "json", "-x"], capture_output=True, timeout=60, check=True)
    events = pipe_events([json.loads(l) for l in out.stdout.decode().splitlines()], r["ino"])
    assert_pieces_carry_their_bytes(events, 16384, PIECES)


def test_gzip_gunzip_pipeline_events_each_carry_their_bytes(tmp_path):
    """The pipeline of the report: gunzip writes 32 KiB and more at once,
    wc reads less; every event carries min(size, -B) bytes.  Traced as a
    tree (-- CMD), so that no other process's pipes count."""
    res = subprocess.run([IPCDUMP, "-f", "json", "-t", "pipe", "-x", "--", "sh", "-c",
                          "head -c 300000 /dev/urandom | gzip | gunzip | wc -c > %s" % (tmp_path / "count")],
                         capture_output=True, timeout=120, check=True)
    assert (tmp_path / "count").read_text().strip() == "300000"
    events = [e for e in map(json.loads, res.stdout.decode().splitlines()) if e["type"] == "pipe"]
    into_wc = [e for e in events if e["dst_comm"] == "wc"]
    assert sum(e["size"] for e in into_wc) == 300000
    assert len(events) > len(into_wc) > 2
    short = [(e["src_comm"], e["dst_comm"], e["size"], len(payload(e) or b"")) for e in events
             if len(payload(e) or b"") != min(e["size"], 16384)]
    assert short == []


def capture_io_records(path, kind, dir_at, payload_len_at):
    """(pid, dir, payload_len) of each record of one kind in a capture file:
    records follow the 168-byte header; task.pid is at 16, dir (u8) and
    payload_len (u16) where records.h puts them in that kind."""
    import struct
    data, at, out = open(path, "rb").read(), 168, []
    while at + 16 <= len(data):
        k, size = struct.unpack_from("<HH", data, at)
        if k == kind:
            pid, = struct.unpack_from("<I", data, at + 16)
            out.append((pid, data[at + dir_at], struct.unpack_from("<H", data, at + payload_len_at)[0]))
        at += size
    return out


@pytest.mark.parametrize("kind,rec_kind,dir_at,payload_len_at", [("pipe", 1, 60, 62), ("unix", 6, 112, 116)])
def test_a_read_within_whole_writes_copies_nothing_more(tracer, tmp_path, kind, rec_kind, dir_at, payload_len_at):
    """Reads whose first -B bytes the write records hold send no bytes of
    their own (one copy per byte, not two), and their events still have
    them all; a read of a later piece of a write too long for -B brings its own."""
    cap = str(tmp_path / "copies.ipcd")
    t = tracer("-t", "pipe", "-t", "unix-stream", "-x", "-w", cap, fmt=None)
    whole = read_in_pieces(kind + ":1000", 600, 400)
    long = read_in_pieces(kind, 16384, 49152)
    t.stop()
    records = capture_io_records(cap, rec_kind, dir_at, payload_len_at)
    assert [(d, n) for pid, d, n in records if pid == whole["writer"]] == [(1, 1000)]
    assert [(d, n) for pid, d, n in records if pid == whole["reader"]] == [(2, 0), (2, 0)]
    assert [(d, n) for pid, d, n in records if pid == long["reader"]] == [(2, 0), (2, 16384)]
    out = subprocess.run([IPCDUMP, "-r", cap, "-f", "json", "-x"], capture_output=True, timeout=60, check=True)
    events = [json.loads(l) for l in out.stdout.decode().splitlines()]
    assert_pieces_carry_their_bytes([e for e in events if e["dst_pid"] == whole["reader"]], 16384, (600, 400))
    assert_pieces_carry_their_bytes([e for e in events if e["dst_pid"] == long["reader"]], 16384, (16384, 49152))
