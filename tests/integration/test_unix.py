"""Unix domain sockets: stream, dgram, seqpacket; both ends, names, payload, passed fds."""
import json
import os
import subprocess

import pytest

from conftest import (BUILD, PIECES, Tracer, assert_pieces_carry_their_bytes, capture_comms, payload, pipe_events,
                      read_in_pieces)

UNIXGEN = os.path.join(BUILD, "progs", "unixgen")


def unixgen(*args):
    res = subprocess.run([UNIXGEN, *map(str, args)], capture_output=True, timeout=60, check=True)
    return json.loads(res.stdout.decode().splitlines()[-1])


def of_type(events, type_, **match):
    out = [e for e in events if e["type"] == type_]
    for k, v in match.items():
        out = [e for e in out if e.get(k) == v]
    return out


def assert_ends(e, src_pid, src_comm, dst_pid, dst_comm):
    assert (e["src_pid"], e["src_comm"]) == (src_pid, src_comm), e
    assert (e["dst_pid"], e["dst_comm"]) == (dst_pid, dst_comm), e


@pytest.mark.parametrize("name", ["/tmp/ipct-stream.sock", "@ipct-stream-abstract", "pair"])
def test_stream_messages_name_both_ends_and_the_socket(tracer, name):
    t = tracer("-t", "unix-stream", "-x")
    r = unixgen("conn", "stream", name, 4)
    events = of_type(t.stop(), "unix-stream", dst_pid=r["server"])
    # one event per write, even when one read took several
    assert [payload(e) for e in events] == [b"msg-%d;" % i for i in range(4)], events
    for e in events:
        assert_ends(e, r["client"], "ipct-uclient", r["server"], "ipct-userver")
        assert e["size"] == 6
        m = e["meta"]
        assert m["src_inode"] == r["client_ino"] and m["dst_inode"] == r["server_ino"]
        assert m["src_call"] == "write" and m["dst_call"] == "read"
        assert 0 <= m["latency_ns"] < 10**9
        if name == "pair":
            assert m["path"] is None and m["socketpair"] is True
        else:
            assert m["path"] == name and m["socketpair"] is False


def test_seqpacket_is_its_own_type(tracer):
    t = tracer("-t", "uq", "-x")
    r = unixgen("conn", "seqpacket", "@ipct-seqpacket", 3)
    events = t.stop()
    assert not of_type(events, "unix-stream") and not of_type(events, "unix-dgram")
    mine = of_type(events, "unix-seqpacket", dst_pid=r["server"])
    assert [payload(e) for e in mine] == [b"msg-0;", b"msg-1;", b"msg-2;"]
    for e in mine:
        assert_ends(e, r["client"], "ipct-uclient", r["server"], "ipct-userver")
        assert e["meta"]["path"] == "@ipct-seqpacket"
        assert e["meta"]["dst_inode"] == r["server_ino"]


@pytest.mark.parametrize("name", ["/tmp/ipct-dgram.sock", "@ipct-dgram"])
def test_several_short_lived_senders_on_one_dgram_socket(tracer, name):
    t = tracer("-t", "ud", "-x")
    r = unixgen("dgram", name, 5)
    events = of_type(t.stop(), "unix-dgram", dst_pid=r["receiver"])
    assert len(events) == 5, events
    for i, (e, sender) in enumerate(zip(events, r["senders"])):
        assert_ends(e, sender, "ipct-uds-%d" % i, r["receiver"], "ipct-udrecv")
        assert payload(e) == b"dgram-from-%d" % i and e["size"] == len(payload(e))
        assert e["meta"]["dst_inode"] == r["ino"]
        assert e["meta"]["path"] == name and e["meta"]["sendto_path"] == name
        assert e["meta"]["src_call"] == "sendto" and e["meta"]["dst_call"] == "recvfrom"
        assert "writer_unknown" not in e["meta"]["flags"]


def test_a_forked_child_sending_on_an_inherited_socket_is_the_source(tracer):
    t = tracer("-t", "unix", "-x")
    r = unixgen("inherit")
    [e] = of_type(t.stop(), "unix-stream", dst_pid=r["parent"])
    assert_ends(e, r["heir"], "ipct-uheir", r["parent"], "ipct-uparent")
    assert payload(e) == b"from-the-heir"
    assert e["meta"]["src_call"] == "writev" and e["meta"]["dst_call"] == "readv"


def test_fds_passed_with_scm_rights_and_then_used(tracer):
    t = tracer("-t", "unix", "-t", "pipe", "-x")
    r = unixgen("passfd", "/etc/hostname")
    events = t.stop()
    [e] = of_type(events, "unix-stream", src_pid=r["a"])
    assert_ends(e, r["a"], "ipct-upass-a", r["b"], "ipct-upass-b")
    assert payload(e) == b"fds" and e["meta"]["src_call"] == "sendmsg"
    assert e["meta"]["dst_call"] == "recvmsg"
    fds = e["meta"]["fds"]
    assert e["meta"]["nfds"] == 4
    assert [(f["kind"], f["inode"]) for f in fds] == [
        ("pipe", r["pipe_ino"]), ("file", r["file_ino"]), ("memfd", r["memfd_ino"]),
        ("socket", r["sock_ino"])]
    assert fds[0]["path"] == "pipe:[%d]" % r["pipe_ino"]
    assert fds[1]["path"] == "/etc/hostname"
    assert fds[2]["path"] == "memfd:ipct-memfd"
    assert fds[3]["path"] == "socket:[%d]" % r["sock_ino"]
    # the receiver writes into the pipe it was given: it is the source there
    [p] = pipe_events(events, r["pipe_ino"])
    assert_ends(p, r["b"], "ipct-upass-b", r["a"], "ipct-upass-a")
    assert payload(p) == b"via-passed-fd"


def test_fds_in_text_output(tracer):
    t = tracer("-t", "unix", fmt=None)
    r = unixgen("passfd", "/etc/hostname")
    t.stop()
    line = next(l for l in t.text.splitlines() if " unix-stream %d(ipct-upass-a)" % r["a"] in l)
    assert "fds 4 (pipe:[%d] /etc/hostname memfd:ipct-memfd socket:[%d])" % (r["pipe_ino"], r["sock_ino"]) in line
    assert "path (socketpair)" in line and "size 3" in line


def test_scm_credentials(tracer):
    t = tracer("-t", "unix")
    r = unixgen("creds")
    [e] = of_type(t.stop(), "unix-dgram", src_pid=r["pid"])
    assert e["meta"]["creds"] == {"pid": r["pid"], "uid": r["uid"], "gid": r["gid"]}


def test_sendmmsg_and_recvmmsg_with_iovecs(tracer):
    t = tracer("-t", "unix", "-x")
    r = unixgen("mmsg")
    events = of_type(t.stop(), "unix-dgram", dst_pid=r["receiver"])
    assert [payload(e) for e in events] == [b"one-a", b"two-bb", b"three-ccc"]
    for e in events:
        assert_ends(e, r["sender"], "ipct-ummsg-s", r["receiver"], "ipct-ummsg-r")
        assert e["meta"]["src_call"] == "sendmmsg" and e["meta"]["dst_call"] == "recvmmsg"


@pytest.mark.parametrize("refused", [None, "loopback"])
def test_mmsg_calls_are_counted_anew_by_programs_both_socket_collectors_share(tracer, monkeypatch, refused):
    """One pair of programs resets the message count at each sendmmsg/recvmmsg for the unix and
    loopback collectors: attached once with both, and kept while either runs."""
    if refused:
        monkeypatch.setenv("IPCD_TEST_REFUSE", refused)
    t = tracer("-t", "unix,lo", "-x")
    r = unixgen("mmsg", 2)
    events = of_type(t.stop(), "unix-dgram", dst_pid=r["receiver"])
    # the second call of each task starts from its first message again
    assert [payload(e) for e in events] == [b"one-a", b"two-bb", b"three-ccc"] * 2
    for e in events:
        assert e["meta"]["src_call"] == "sendmmsg" and e["meta"]["dst_call"] == "recvmmsg"


def test_bytes_queued_before_tracing_started(tracer):
    gen = subprocess.Popen([UNIXGEN, "queued"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    first = json.loads(gen.stdout.readline())
    t = tracer("-t", "unix", "-x")
    gen.stdin.write(b"go\n")
    gen.stdin.flush()
    out, _ = gen.communicate(timeout=60)
    r = json.loads(out.decode().splitlines()[-1])
    assert r["writer"] == first["ready"]
    events = of_type(t.stop(), "unix-stream", dst_pid=r["reader"])
    assert [e["size"] for e in events] == [14, 6], events
    before, after = events
    assert "writer_unknown" in before["meta"]["flags"] and before["src_pid"] == -1
    assert_ends(after, r["writer"], "ipct-uq-w", r["reader"], "ipct-uq-r")
    assert payload(after) == b"after;"


def test_unix_filters_by_type_and_pid(tracer):
    t = tracer("-t", "ud", "-s", "1")
    control = tracer("-t", "ud")  # the same run without -s: the datagrams are there
    r = unixgen("dgram", "@ipct-filtered", 2)
    unixgen("conn", "stream", "pair", 1)
    assert t.stop() == []
    assert of_type(control.stop(), "unix-dgram", dst_pid=r["receiver"])


def test_message_filters_keep_pairs_and_drop_the_rest_in_the_kernel(tracer, tmp_path):
    # both ends pass: the receive still comes up to meet its send
    t = tracer("-t", "ud", "-S", "ipct-uds-1", "-D", "ipct-udrecv")
    r = unixgen("dgram", "@ipct-filt-pair", 3)
    events = of_type(t.stop(), "unix-dgram")
    assert len(events) == 1, events
    assert_ends(events[0], r["senders"][1], "ipct-uds-1", r["receiver"], "ipct-udrecv")
    assert not events[0]["meta"]["flags"], events
    # neither end passes: no send went up, so no receive has to
    path, control = str(tmp_path / "none.ipcd"), str(tmp_path / "all.ipcd")
    t = Tracer("-w", path, "-t", "ud", "-S", "nobody-sends", "-D", "nobody-reads", fmt=None)
    c = Tracer("-w", control, "-t", "ud", fmt=None)  # the same run unfiltered: the records are there
    unixgen("dgram", "@ipct-filt-none", 3)
    t.stop()
    c.stop()
    assert not [c for c in capture_comms(path, 6) if c.startswith("ipct-ud")]
    assert [c for c in capture_comms(control, 6) if c.startswith("ipct-ud")]


def test_lifecycle_events_only_when_asked(tracer):
    t = tracer("-t", "unix")
    r = unixgen("conn", "stream", "/tmp/ipct-life.sock", 1)
    events = t.stop()
    assert not of_type(events, "unix-conn")
    assert [e for e in of_type(events, "unix-stream") if r["server"] in (e["src_pid"], e["dst_pid"])]  # traced
    t = tracer("-t", "unix", "--lifecycle")
    r = unixgen("conn", "stream", "/tmp/ipct-life.sock", 1)
    events = of_type(t.stop(), "unix-conn")
    by = {(e["meta"]["event"], e["src_pid"]) for e in events}
    assert ("connect", r["client"]) in by, events
    assert ("accept", r["server"]) in by, events
    assert ("shutdown", r["client"]) in by, events
    assert ("close", r["client"]) in by, events
    [conn] = [e for e in events if e["meta"]["event"] == "connect" and e["src_pid"] == r["client"]]
    assert conn["src_comm"] == "ipct-uclient"
    assert conn["meta"]["path"] == "/tmp/ipct-life.sock"
    assert conn["meta"]["sock_type"] == "stream"
    [acc] = [e for e in events if e["meta"]["event"] == "accept" and e["src_pid"] == r["server"]]
    assert acc["meta"]["inode"] == r["server_ino"]
    # both processes: the one listening for a connect, the one connecting for an accept
    assert (conn["dst_pid"], conn["dst_comm"]) == (r["server"], "ipct-userver")
    assert (acc["dst_pid"], acc["dst_comm"]) == (r["client"], "ipct-uclient")
    # the client's close names the server it was connected to
    [close] = [e for e in events if e["meta"]["event"] == "close" and e["src_pid"] == r["client"]]
    assert close["dst_pid"] == r["server"]


def test_bytes_taken_unseen_are_reported_and_the_stream_resyncs(tracer):
    t = tracer("-t", "unix", "-x")
    r = unixgen("spliceout")
    events = of_type(t.stop(), "unix-stream", src_pid=r["writer"])
    gone = [e for e in events if payload(e) == b"spliced-away;"]
    seen = [e for e in events if payload(e) == b"seen;"]
    assert len(gone) == 1 and len(seen) == 1, events
    assert "reader_unknown" in gone[0]["meta"]["flags"] and gone[0]["dst_pid"] == -1
    assert_ends(seen[0], r["writer"], "ipct-usp-w", r["reader"], "ipct-usp-r")
    assert seen[0]["size"] == 5


def test_concurrent_senders_on_one_stream_are_right_or_flagged(tracer):
    t = tracer("-t", "unix", "-x")
    r = unixgen("race", 400)
    events = of_type(t.stop(), "unix-stream", dst_pid=r["reader"])
    assert sum(e["size"] for e in events) == 2 * 400 * 32
    for e in events:
        expected = {r["a"]: b"A", r["b"]: b"B"}[e["src_pid"]]
        data = payload(e)
        assert e["size"] == len(data)
        if data != expected * len(data):
            assert "order_uncertain" in e["meta"]["flags"], e


def test_filter_type_takes_the_names_t_takes(tracer):
    """type == unix is -t unix: every unix type, lifecycle events too; type == us one of them."""
    family = tracer("--lifecycle", "type == unix and comm == \"ipct-u*\"")
    stream = tracer("type == us and comm == \"ipct-u*\"")
    r = unixgen("conn", "stream", "/tmp/ipct-family.sock", 2)
    d = unixgen("dgram", "@ipct-family-dgram", 2)
    # these runs', not what other runs on the machine did meanwhile
    ours = {r["server"], r["client"], d["receiver"], *d["senders"]}
    mine = lambda events: [e for e in events if e["src_pid"] in ours or e["dst_pid"] in ours]
    got = mine(family.stop())
    types = {e["type"] for e in got}
    assert types == {"unix-stream", "unix-dgram", "unix-conn"}, types
    assert of_type(got, "unix-dgram", dst_pid=d["receiver"]) and of_type(got, "unix-stream", dst_pid=r["server"])
    types = {e["type"] for e in mine(stream.stop())}
    assert types == {"unix-stream"}, types


def test_filter_type_unknown_is_refused_with_the_valid_names():
    from conftest import IPCDUMP
    res = subprocess.run([IPCDUMP, "type == bogus"], capture_output=True, timeout=30)
    assert res.returncode == 2 and res.stdout == b""
    first = res.stderr.decode().splitlines()[0]
    assert first.startswith("ipcdump: filter: unknown type 'bogus': expected all, signal, kill, unix, "), first


def test_each_piece_of_a_long_send_has_its_own_payload(tracer):
    """One 64 KiB send read in pieces by recv, read, recvmsg: every event
    carries the first -B bytes its receive took, wherever they sat."""
    for limit in (16384, 64):
        t = tracer("-t", "unix-stream", "-x", "-B", str(limit))
        r = read_in_pieces("unix", *PIECES)
        events = of_type(t.stop(), "unix-stream", dst_pid=r["reader"])
        assert all(e["src_pid"] == r["writer"] for e in events), events
        assert_pieces_carry_their_bytes(events, limit, PIECES)


SENDFILE = """
import os, socket
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
with open("/etc/services", "rb") as f:
    sent = 0
    while sent < 1000:
        sent += os.sendfile(a.fileno(), f.fileno(), sent, 1000 - sent)
got = b""
while len(got) < 1000:
    got += b.recv(4096)
"""


def test_a_sendfile_into_a_stream_socket_says_sendfile(tracer):
    t = tracer("-t", "unix-stream")
    p = subprocess.Popen(["/usr/bin/python3", "-c", SENDFILE])
    assert p.wait(timeout=60) == 0
    mine = [e for e in t.stop() if e["type"] == "unix-stream" and e["src_pid"] == e["dst_pid"] == p.pid]
    assert sum(e["size"] for e in mine) == 1000, mine
    assert {e["meta"].get("src_call") for e in mine} == {"sendfile"}, mine
