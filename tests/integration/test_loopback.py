"""Loopback TCP and UDP, IPv4 and IPv6: both processes, ports, bytes, payload, lifecycle."""
import json
import os
import socket
import subprocess

import pytest

from conftest import (BUILD, PIECES, Tracer, assert_pieces_carry_their_bytes, capture_comms, payload,
                      read_in_pieces)

NETGEN = os.path.join(BUILD, "progs", "netgen")
ADDR = {4: "127.0.0.1", 6: "::1"}


def netgen(*args):
    res = subprocess.run([NETGEN, *map(str, args)], capture_output=True, timeout=60, check=True)
    return json.loads(res.stdout.decode().splitlines()[-1])


def of_type(events, type_, **meta):
    out = [e for e in events if e["type"] == type_]
    for k, v in meta.items():
        out = [e for e in out if e["meta"].get(k) == v]
    return out


def assert_ends(e, src_pid, src_comm, dst_pid, dst_comm):
    assert (e["src_pid"], e["src_comm"]) == (src_pid, src_comm), e
    assert (e["dst_pid"], e["dst_comm"]) == (dst_pid, dst_comm), e


def assert_tuple(e, family, sport, dport):
    m = e["meta"]
    assert m["family"] == "ipv%d" % family, e
    assert (m["src_addr"], m["src_port"], m["dst_addr"], m["dst_port"]) == \
        (ADDR[family], sport, ADDR[family], dport), e


@pytest.mark.parametrize("family", [4, 6])
def test_tcp_short_lived_clients_and_a_server_that_forks(tracer, family):
    t = tracer("-t", "loopback-tcp", "-x")
    r = netgen("tcp", family, 3)
    events = t.stop()
    for i, (client, handler, cport) in enumerate(zip(r["clients"], r["handlers"], r["client_ports"])):
        [req] = of_type(events, "loopback-tcp", src_port=cport)
        assert_ends(req, client, "ipct-tcli-%d" % i, handler, "ipct-thandler")
        assert_tuple(req, family, cport, r["port"])
        assert payload(req) == b"request-%d" % i and req["size"] == 9
        assert req["meta"]["src_call"] == "write" and req["meta"]["dst_call"] == "read"
        # a TCP send is seen at its return, and the reader on the other CPU can finish
        # before it: 0 is a true answer then; the latency is always there
        assert 0 <= req["meta"]["latency_ns"] < 10**9
        [rep] = of_type(events, "loopback-tcp", dst_port=cport)
        assert_ends(rep, handler, "ipct-thandler", client, "ipct-tcli-%d" % i)
        assert_tuple(rep, family, r["port"], cport)
        assert payload(rep) == b"reply-%d;" % i and rep["size"] == 8
        # lifecycle: who connected to whom, with the 4-tuple
        conns = of_type(events, "loopback-tcp-conn")
        [connect] = [e for e in conns if e["meta"]["event"] == "connect" and e["src_pid"] == client]
        assert_ends(connect, client, "ipct-tcli-%d" % i, r["server"], "ipct-tsrv")
        assert_tuple(connect, family, cport, r["port"])
        [accept] = [e for e in conns if e["meta"]["event"] == "accept" and e["meta"]["dst_port"] == cport]
        assert_ends(accept, r["server"], "ipct-tsrv", client, "ipct-tcli-%d" % i)
        assert_tuple(accept, family, r["port"], cport)
        # every close(2) is one close: the server closes its copy of the accepted socket
        # (before the handler closes its own), the handler and the client theirs
        closes = [e["src_pid"] for e in conns if e["meta"]["event"] == "close"
                  and cport in (e["meta"]["src_port"], e["meta"]["dst_port"])]
        assert sorted(closes) == sorted([r["server"], client, handler]), conns


def test_tcp_filter_by_pid_answers_who_connected_to_whom(tracer):
    r0 = netgen("tcp", 4, 1)  # warm-up: a pid to filter on comes from the next run
    t = tracer("-t", "lt", "-P", "ipct-tsrv")
    r = netgen("tcp", 4, 1)
    events = t.stop()
    assert events and all("ipct-tsrv" in (e["src_comm"], e["dst_comm"]) for e in events), events
    assert {e["meta"]["event"] for e in events} >= {"connect", "accept"}
    assert not [e for e in events if e["src_pid"] == r0["server"]]
    assert all(e["type"] == "loopback-tcp-conn" for e in events)
    assert r["server"] in {e["dst_pid"] for e in events if e["meta"]["event"] == "connect"}


@pytest.mark.parametrize("family", [4, 6])
def test_udp_with_sendto_and_with_connect(tracer, family):
    t = tracer("-t", "loopback-udp", "-x")
    r = netgen("udp", family)
    # this run's receiver: the tests of other builds on the machine may send the same words
    events = [e for e in of_type(t.stop(), "loopback-udp") if r["port"] in (e["meta"]["src_port"], e["meta"]["dst_port"])]
    sent = [e for e in events if payload(e) == b"by-sendto"]
    assert len(sent) == 1, events
    by_sendto = sent[0]
    assert_ends(by_sendto, r["sendto"], "ipct-udpto", r["receiver"], "ipct-udprecv")
    assert by_sendto["meta"]["dst_port"] == r["port"] and by_sendto["size"] == 9
    assert by_sendto["meta"]["src_call"] == "sendto" and by_sendto["meta"]["dst_call"] == "recvfrom"
    [by_connect] = [e for e in events if payload(e) == b"by-connect"]
    assert_ends(by_connect, r["connected"], "ipct-udpconn", r["receiver"], "ipct-udprecv")
    assert_tuple(by_connect, family, r["connected_port"], r["port"])
    [answer] = [e for e in events if payload(e) == b"answer"]
    assert_ends(answer, r["receiver"], "ipct-udprecv", r["connected"], "ipct-udpconn")
    assert_tuple(answer, family, r["port"], r["connected_port"])
    assert not [e for e in events if "unread" in e["meta"]["flags"] or e["src_pid"] == -1]


def test_udp_and_tcp_filters_keep_pairs_and_drop_the_rest_in_the_kernel(tracer, tmp_path):
    # both ends pass: the receives still come up to meet their sends; the
    # unconnected receiver's other datagram (from a sender ruled out) is not
    # taken for this one
    t = tracer("-t", "loopback", "-S", "ipct-udpconn", "-D", "ipct-udprecv")
    r = netgen("udp", 4)
    events = t.stop()
    assert all((e["src_comm"], e["dst_comm"]) == ("ipct-udpconn", "ipct-udprecv") for e in events), events
    # this run's: the tests of other builds on the machine use the same names
    [by_connect] = [e for e in events if e["src_pid"] == r["connected"]]
    assert_ends(by_connect, r["connected"], "ipct-udpconn", r["receiver"], "ipct-udprecv")
    assert by_connect["size"] == len(b"by-connect") and not by_connect["meta"]["flags"]
    t = tracer("-t", "loopback-tcp", "-S", "ipct-thandler", "-D", "ipct-tcli-0")
    r = netgen("tcp", 4, 2)
    events = of_type(t.stop(), "loopback-tcp")
    assert all((e["src_comm"], e["dst_comm"]) == ("ipct-thandler", "ipct-tcli-0") for e in events), events
    [rep] = [e for e in events if e["src_pid"] in r["handlers"]]
    assert_ends(rep, r["handlers"][0], "ipct-thandler", r["clients"][0], "ipct-tcli-0")
    assert rep["size"] == 8 and not rep["meta"]["flags"]
    # neither end passes: no TCP send went up, so no TCP receive has to
    path, control = str(tmp_path / "none.ipcd"), str(tmp_path / "all.ipcd")
    t = Tracer("-w", path, "-t", "loopback-tcp", "-S", "nobody-sends", "-D", "nobody-reads", fmt=None)
    c = Tracer("-w", control, "-t", "loopback-tcp", fmt=None)  # the same run unfiltered: the records are there
    netgen("tcp", 4, 2)
    t.stop()
    c.stop()
    assert not [c for c in capture_comms(path, 10) if c.startswith(("ipct-tcli", "ipct-thandler"))]
    assert [c for c in capture_comms(control, 10) if c.startswith(("ipct-tcli", "ipct-thandler"))]


def test_sendfile_on_a_tcp_socket(tracer):
    t = tracer("-t", "lt", "-x")
    r = netgen("sendfile", 4, "/etc/services")
    events = [e for e in of_type(t.stop(), "loopback-tcp") if e["dst_pid"] == r["receiver"]]
    assert sum(e["size"] for e in events) == r["size"] == r["read"]
    # the sender's bytes never were in its memory; the receiver's copy has them
    content, offset = open("/etc/services", "rb").read(), 0
    for e in sorted(events, key=lambda e: int(e["ts_ns"])):
        assert_ends(e, r["sender"], "ipct-tsendf", r["receiver"], "ipct-trecvf")
        assert "payload_unavailable" not in e["meta"]["flags"]
        assert payload(e) == content[offset:offset + min(e["size"], 16384)]
        offset += e["size"]
        assert e["meta"]["src_call"] == "sendfile", e


def test_a_connection_established_before_tracing(tracer):
    gen = subprocess.Popen([NETGEN, "established", "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    first = json.loads(gen.stdout.readline())
    t = tracer("-t", "lt", "-x")
    gen.stdin.write(b"go\n")
    gen.stdin.flush()
    out, _ = gen.communicate(timeout=60)
    r = json.loads(out.decode().splitlines()[-1])
    assert r["writer"] == first["ready"]
    events = [e for e in of_type(t.stop(), "loopback-tcp") if e["dst_pid"] == r["reader"]]
    assert [e["size"] for e in events] == [7, 6], events
    before, after = events
    assert before["src_pid"] == -1 and "writer_unknown" in before["meta"]["flags"]
    assert_ends(after, r["writer"], "ipct-tearly", r["reader"], "ipct-tlate")
    assert payload(after) == b"after;"
    assert_tuple(after, 4, r["writer_port"], r["port"])


def test_text_output_names_addresses_and_services(tracer):
    t = tracer("-t", "lt", fmt=None)
    r = netgen("tcp", 4, 1)
    t.stop()
    cport = r["client_ports"][0]
    line = next(l for l in t.text.splitlines() if " loopback-tcp %d(ipct-tcli-0)" % r["clients"][0] in l)
    assert "src 127.0.0.1:%d, dst 127.0.0.1:%d" % (cport, r["port"]) in line and "size 9" in line
    conn = next(l for l in t.text.splitlines() if "loopback-tcp-conn" in l and "event connect" in l
                and "%d(ipct-tcli-0)" % r["clients"][0] in l)
    assert "> %d(ipct-tsrv)" % r["server"] in conn


def host_address():
    """One of this host's own non-loopback IPv4 addresses, if it has one."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    for line in out.splitlines():
        addr = line.split()[3].split("/")[0]
        if not addr.startswith("127."):
            return addr
    return None


def test_tcp_to_the_hosts_own_address_is_loopback(tracer):
    addr = host_address()
    if not addr:
        pytest.skip("no non-loopback address on this host")
    t = tracer("-t", "lt", "-x")
    r = netgen("tcp", addr, 1)
    events = of_type(t.stop(), "loopback-tcp")
    [req] = [e for e in events if e["meta"]["src_port"] == r["client_ports"][0]]
    assert_ends(req, r["clients"][0], "ipct-tcli-0", r["handlers"][0], "ipct-thandler")
    assert req["meta"]["src_addr"] == req["meta"]["dst_addr"] == addr
    assert payload(req) == b"request-0"


def test_bytes_spliced_out_of_a_tcp_socket(tracer):
    t = tracer("-t", "lt", "-x")
    r = netgen("splice", 4)
    events = [e for e in of_type(t.stop(), "loopback-tcp") if e["dst_pid"] == r["receiver"]]
    assert len(events) == 1, events
    e = events[0]
    assert_ends(e, r["sender"], "ipct-tsend", r["receiver"], "ipct-tsplice")
    assert payload(e) == b"spliced-out-of-tcp;" and e["meta"]["dst_call"] == "splice"
    assert e["meta"]["dst_port"] == r["port"]


def listener_on_a_named_port():
    """A TCP listener on 127.0.0.1 at a port /etc/services names, and that name."""
    for port in range(1025, 49152):
        try:
            name = socket.getservbyport(port, "tcp")
        except OSError:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        s.listen(1)
        return s, port, name
    pytest.fail("no port named in /etc/services is free")


def test_numeric_ports_without_service_names(tracer):
    srv, port, name = listener_on_a_named_port()
    named = tracer("-t", "lt", "port == %d" % port, fmt="text")
    numeric = tracer("-t", "lt", "-n", "port == %d" % port, fmt="text")
    as_json = tracer("-t", "lt", "-n", "port == %d" % port)
    with srv, socket.create_connection(("127.0.0.1", port)) as cli:
        conn, _ = srv.accept()
        with conn:
            cli.sendall(b"ping")
            assert conn.recv(4) == b"ping"
    named.stop()
    numeric.stop()
    data = [l for l in named.text.splitlines() if " loopback-tcp " in l]
    assert data and all("service %s" % name in l for l in data), named.text
    data = [l for l in numeric.text.splitlines() if " loopback-tcp " in l]
    assert data and all("dst 127.0.0.1:%d" % port in l and "service" not in l for l in data), numeric.text
    events = [e for e in as_json.stop() if e["type"] == "loopback-tcp"]
    assert events and all(e["meta"]["service"] is None for e in events), events


def test_each_piece_of_a_long_tcp_send_has_its_own_payload(tracer):
    """One 64 KiB send read in pieces by recv, read, recvmsg: every event
    carries the first -B bytes its receive took, wherever they sat."""
    for limit in (16384, 64):
        t = tracer("-t", "loopback-tcp", "-x", "-B", str(limit))
        r = read_in_pieces("tcp", *PIECES)
        events = [e for e in of_type(t.stop(), "loopback-tcp") if e["dst_pid"] == r["reader"]]
        assert all(e["src_pid"] == r["writer"] for e in events), events
        assert_pieces_carry_their_bytes(events, limit, PIECES)


def netgen_all(*args):
    """Runs netgen and merges the JSON lines its processes print."""
    res = subprocess.run([NETGEN, *map(str, args)], capture_output=True, timeout=60, check=True)
    out = {}
    for line in res.stdout.decode().splitlines():
        out.update(json.loads(line))
    return out


@pytest.mark.parametrize("family", [4, 6])
def test_a_nonblocking_connect_called_twice_is_one_connect_with_its_result(tracer, family):
    t = tracer("-t", "lt")
    r = netgen_all("nonblock", family)
    assert (r["first"], r["refused_first"], r["refused_second"]) == (115, 115, 111)  # EINPROGRESS, ECONNREFUSED
    conns = [e for e in of_type(t.stop(), "loopback-tcp-conn") if e["src_pid"] == r["client"]]
    connects = [e for e in conns if e["meta"]["event"] == "connect"]
    [ok] = [e for e in connects if e["meta"]["dst_port"] == r["port"]]
    assert_ends(ok, r["client"], "ipct-tnbcli", r["server"], "ipct-tnbsrv")
    assert_tuple(ok, family, r["client_port"], r["port"])
    assert ok["meta"]["error"] is None
    [refused] = [e for e in connects if e["meta"]["dst_port"] == r["refused_port"]]
    assert refused["meta"]["error"] == "ECONNREFUSED"
    assert len(connects) == 2, connects


def test_shutdown_then_close_is_one_shutdown_and_one_close(tracer):
    t = tracer("-t", "lt")
    r = netgen_all("nonblock", 4)
    conns = [e for e in of_type(t.stop(), "loopback-tcp-conn")
             if e["src_pid"] == r["client"] and e["meta"]["dst_port"] == r["port"]]
    ends = [e for e in conns if e["meta"]["event"] in ("shutdown", "close")]
    assert [e["meta"]["event"] for e in ends] == ["shutdown", "close"], conns
    shut, close = ends
    assert shut["meta"]["how"] == socket.SHUT_WR
    assert_tuple(shut, 4, r["client_port"], r["port"])
    assert shut["meta"]["src_fd"] == close["meta"]["src_fd"]
    # the server closes its side once too
    server_closes = [e for e in of_type(t.events, "loopback-tcp-conn", event="close") if e["src_pid"] == r["server"]]
    assert len(server_closes) == 1, server_closes
    # the client reads the reply after its connection reached CLOSE (and gave its port back): still joined
    replies = [e for e in of_type(t.events, "loopback-tcp") if e["meta"]["src_port"] == r["port"]
               and e["meta"]["dst_port"] == r["client_port"]]
    assert len(replies) == 1, [(e["size"], e["meta"]) for e in replies]
    reply = replies[0]
    assert_ends(reply, r["server"], "ipct-tnbsrv", r["client"], "ipct-tnbcli")
    assert reply["size"] == 3 and not reply["meta"]["flags"], reply
    assert close["meta"]["src_port"] == r["client_port"]


def run_before_tracing(tracer, *args):
    """Starts netgen, which says it is ready, then the tracer; lets netgen go on; returns both."""
    gen = subprocess.Popen([NETGEN, *map(str, args)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    first = json.loads(gen.stdout.readline())
    t = tracer("-t", "lt")
    gen.stdin.write(b"go\n")
    gen.stdin.flush()
    out, _ = gen.communicate(timeout=60)
    assert gen.returncode == 0
    r = dict(first)
    for line in out.decode().splitlines():
        r.update(json.loads(line))
    return t, r


@pytest.mark.parametrize("family", [4, 6])
def test_a_connect_names_a_server_that_listened_before_tracing(tracer, family):
    t, r = run_before_tracing(tracer, "prelisten", family)
    connects = [e for e in of_type(t.stop(), "loopback-tcp-conn", event="connect") if e["src_pid"] == r["client"]]
    [unaccepted] = [e for e in connects if e["meta"]["src_port"] == r["second_port"]]
    assert_ends(unaccepted, r["client"], "ipct-tpcli", r["listener"], "ipct-tplisten")
    assert_tuple(unaccepted, family, r["second_port"], r["port"])
    assert unaccepted["meta"]["dst_is_listener"] is True
    # the first was taken by the child the listener forked: the connect names the one that accepted
    [accepted] = [e for e in connects if e["meta"]["src_port"] == r["first_port"]]
    assert_ends(accepted, r["client"], "ipct-tpcli", r["acceptor"], "ipct-tpaccept")
    assert accepted["meta"]["dst_is_listener"] is False
    assert len(connects) == 2, connects


def test_text_says_when_a_connect_names_the_listener(tracer):
    gen = subprocess.Popen([NETGEN, "prelisten", "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    json.loads(gen.stdout.readline())
    t = tracer("-t", "lt", fmt=None)
    gen.stdin.write(b"go\n")
    gen.stdin.flush()
    out, _ = gen.communicate(timeout=60)
    r = {}
    for line in out.decode().splitlines():
        r.update(json.loads(line))
    t.stop()
    lines = [l for l in t.text.splitlines() if "event connect" in l and " %d(ipct-tpcli) > " % r["client"] in l]
    assert len(lines) == 2, t.text
    first, second = sorted(lines, key=lambda l: ":%d," % r["first_port"] not in l)
    assert "> %d(ipct-tpaccept): event connect" % r["acceptor"] in first
    assert "> %d(ipct-tplisten) (listener): event connect" % r["listener"] in second
