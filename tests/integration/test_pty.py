"""Pseudo-terminals: both directions, the process on the other end, tty, session, payload."""
import json
import os
import re
import pty
import signal
import subprocess
import threading
import time

from conftest import BUILD, IPCDUMP, payload

PTYGEN = os.path.join(BUILD, "progs", "ptygen")


def ptygen(*args):
    res = subprocess.run([PTYGEN, *args], capture_output=True, timeout=60, check=True)
    return json.loads(res.stdout.decode().splitlines()[-1])


def pty_events(events, pts):
    return [e for e in events if e["type"] == "pty" and e["meta"]["tty"] == "/dev/pts/%d" % pts]


def test_both_directions_with_the_process_on_the_other_end(tracer):
    t = tracer("-t", "pty", "-x")
    r = ptygen("talk")
    events = pty_events(t.stop(), r["pts"])
    [out] = [e for e in events if e["meta"]["direction"] == "output"]
    assert (out["src_pid"], out["src_comm"]) == (r["child"], "ipct-ptychild")
    assert (out["dst_pid"], out["dst_comm"]) == (r["term"], "ipct-ptyterm")
    assert payload(out) == b"out-from-child\n" and out["size"] == 15
    assert out["meta"]["writer_side"] == "slave"
    # the child made the terminal its own: its session and foreground group
    assert out["meta"]["session"] == r["child"] and out["meta"]["fg_pgrp"] == r["child"]
    [inp] = [e for e in events if e["meta"]["direction"] == "input"]
    assert (inp["src_pid"], inp["src_comm"]) == (r["term"], "ipct-ptyterm")
    assert (inp["dst_pid"], inp["dst_comm"]) == (r["child"], "ipct-ptychild")
    assert payload(inp) == b"input-line\n" and inp["size"] == 11
    assert inp["meta"]["writer_side"] == "master"
    assert inp["meta"]["src_call"] == "write" and inp["meta"]["dst_call"] == "read"
    assert len(events) == 2, events


def test_a_child_that_writes_and_exits_at_once(tracer):
    t = tracer("-t", "pty", "-x")
    runs = [ptygen("brief") for _ in range(5)]
    events = t.stop()
    for r in runs:
        mine = [e for e in pty_events(events, r["pts"]) if e["src_pid"] == r["child"]]
        assert len(mine) == 1, events
        e = mine[0]
        assert e["src_comm"] == "ipct-ptybrief"
        assert (e["dst_pid"], e["dst_comm"]) == (r["term"], "ipct-ptyterm")
        assert payload(e) == b"brief\n"


def test_text_output(tracer):
    t = tracer("-t", "pty", fmt=None)
    r = ptygen("talk")
    t.stop()
    line = next(l for l in t.text.splitlines() if " pty %d(ipct-ptychild)" % r["child"] in l)
    assert "> %d(ipct-ptyterm): tty /dev/pts/%d, direction output" % (r["term"], r["pts"]) in line
    assert "size 15" in line


def test_own_output_on_a_pty_is_not_traced():
    """ipcdump printing to a terminal must not report writes there (each would make another):
    neither its own nor another process's on the same terminal."""
    master, slave = pty.openpty()
    tty = os.ttyname(slave)
    pts = int(tty.rsplit("/", 1)[1])
    proc = subprocess.Popen([IPCDUMP, "-t", "pty", "-f", "json"], stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    started = False
    for raw in proc.stderr:
        if raw.startswith(b"ipcdump: tracing"):
            started = True
            break
    assert started
    r = ptygen("talk")
    subprocess.run(["sh", "-c", "echo noise-on-the-same-terminal > %s" % tty], check=True, timeout=30)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    reader.join(timeout=5)
    os.close(master)
    lines = [l for l in b"".join(chunks).decode(errors="replace").replace("\r", "").splitlines() if l.startswith("{")]
    events = [json.loads(l) for l in lines]
    assert not pty_events(events, pts), "ipcdump reported its own terminal"
    assert "noise-on-the-same-terminal" in b"".join(chunks).decode(errors="replace")
    assert len(pty_events(events, r["pts"])) == 2
    summary = [l for l in err.decode().splitlines() if re.search(r" events? printed, ", l)]
    assert summary and int(summary[0].split()[1]) < 50, summary
