"""ipcdumpd while it runs: SIGUSR1 reopens its files (logrotate), SIGTERM
flushes every output and exits 0, the log has levels, and the exit summary
one line per output with its counts and drops by reason."""
import json
import os
import re
import signal
import time

from conftest import ipcgen
from daemon_run import daemons, Writer, file_output, numbers  # noqa: F401 (daemons: a fixture)


def write_conf(path, *outputs):
    path.write_text("trace:\n  types: [pipe]\n  payload: 64\noutputs:\n" + "".join(outputs))


def test_sigusr1_after_a_rename_writes_on_into_a_new_file_at_the_path(tmp_path, daemons):
    out, moved = tmp_path / "events.jsonl", tmp_path / "events.jsonl.1"
    conf = tmp_path / "d.yaml"
    write_conf(conf, file_output(out))
    d = daemons(conf)
    w = Writer(300)
    time.sleep(1)
    os.rename(out, moved)  # as logrotate does, before it signals
    at = d.send(signal.SIGUSR1)
    assert d.wait_for(r"^ipcdumpd: info: reopening 1 output$", after=at)
    w.wait()
    time.sleep(0.5)
    d.stop()
    before, after = numbers(moved, w.comm), numbers(out, w.comm)
    assert before and after, "one of the files got nothing: %d, %d" % (len(before), len(after))
    assert before + after == list(range(300))  # none lost, none twice, the old file first
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o600)


def test_sigterm_flushes_an_event_written_just_before_it(tmp_path, daemons):
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, file_output(out))
    d = daemons(conf)
    r = ipcgen("pipe", "the last words\n")
    lines = d.stop(signal.SIGTERM)  # at once: the event may still be in the ring, a join or the queue
    events = [json.loads(l) for l in out.read_text().splitlines()]
    mine = [e for e in events if e["type"] == "pipe" and (e["src_pid"], e["dst_pid"]) == (r["writer"], r["reader"])]
    assert len(mine) == 1
    summary = [l for l in lines if l.startswith("ipcdumpd: info: output 1 ")]
    assert len(summary) == 1
    m = re.fullmatch(r"ipcdumpd: info: output 1 \(file (.*)\): (\d+) written, 0 dropped", summary[0])
    assert m and m.group(1) == str(out)
    assert int(m.group(2)) == len([e for e in events if e["type"] != "lost"])


def test_sigint_also_flushes_and_exits_0(tmp_path, daemons):
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, file_output(out))
    d = daemons(conf)
    w = Writer(20, gap=0)
    w.wait()
    d.stop(signal.SIGINT)
    assert numbers(out, w.comm) == list(range(20))


def test_every_line_has_the_program_and_a_level(tmp_path, daemons):
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, file_output(out))
    d = daemons(conf)
    at = d.send(signal.SIGHUP)
    assert d.wait_for("configuration reloaded", after=at)
    lines = d.stop()
    assert lines
    for line in lines:
        assert re.match(r"ipcdumpd: (info|warning|error): ", line), line
    assert any(re.fullmatch(r"ipcdumpd: info: \d+ events? written, \d+ lost.*", l) for l in lines), lines


def test_a_tiny_queue_drops_counts_and_says_so(tmp_path, daemons):
    """queue: 1 under a burst: what it could not hold is dropped as "queue full", and the counts add up."""
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, file_output(out, extra="    queue: 1\n"))
    d = daemons(conf)
    for _ in range(3):
        Writer(3000, gap=0).wait()
    time.sleep(0.5)
    lines = d.stop()
    summary = [l for l in lines if l.startswith("ipcdumpd: info: output 1 ")][0]
    m = re.fullmatch(r"ipcdumpd: info: output 1 \(file .*\): (\d+) written, (\d+) dropped(?: \(queue full: (\d+)\))?",
                     summary)
    assert m, summary
    written, dropped = int(m.group(1)), int(m.group(2))
    assert written == len([l for l in out.read_text().splitlines() if json.loads(l)["type"] != "lost"])
    assert dropped == int(m.group(3) or 0)
    if dropped:  # a burst on two CPUs usually overruns a queue of one
        warning = [l for l in lines if "is dropping events" in l]
        assert warning and re.search(r"queue full: \d+", warning[0]), lines


def test_queue_takes_a_number_of_events(tmp_path):
    from test_daemon import ipcdumpd
    conf = tmp_path / "d.yaml"
    conf.write_text("outputs:\n  - type: file\n    path: %s\n    queue: 0\n" % (tmp_path / "x"))
    r = ipcdumpd("-c", str(conf), "--check-config")
    assert r.returncode == 2
    assert r.stderr == "%s:4:12: error: 'queue' 0 is out of range 1..16777216\n" % conf
    conf.write_text("outputs:\n  - type: sqlite\n    path: %s\n    queue: 1000\n" % (tmp_path / "x.db"))
    assert ipcdumpd("-c", str(conf), "--check-config").returncode == 0


def fifo_nobody_reads(path):
    """A FIFO with a reader that never reads: the daemon's open returns, its writes block once the pipe is full."""
    os.mkfifo(path)
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)


def test_sigterm_leaves_a_stuck_output_behind_and_exits_1(tmp_path, daemons):
    fifo, out = tmp_path / "stuck.fifo", tmp_path / "events.jsonl"
    reader = fifo_nobody_reads(fifo)
    try:
        conf = tmp_path / "d.yaml"
        write_conf(conf, file_output(fifo), file_output(out))
        d = daemons(conf)
        w = Writer(2000, gap=0)  # far more than the pipe holds
        w.wait()
        time.sleep(1)
        t0 = time.monotonic()
        lines = d.stop(status=1)
        took = time.monotonic() - t0
    finally:
        os.close(reader)
    # the drain waits 5 s for a write that never returns, then gives up on that output alone
    assert 5 <= took < 30, took
    assert numbers(out, w.comm) == list(range(2000))
    gave_up = [l for l in lines if "the file output took nothing for 5 s" in l]
    assert len(gave_up) == 1 and gave_up[0].startswith("ipcdumpd: error: "), lines
    stuck = int(re.search(r"left behind, (\d+) events? dropped as stuck$", gave_up[0]).group(1))
    summary = [l for l in lines if l.startswith("ipcdumpd: error: output 1 ")]
    assert len(summary) == 1, lines
    m = re.fullmatch(r"ipcdumpd: error: output 1 \(file .*\): (\d+) written, (\d+) dropped \((.*)\); "
                     r"left behind stuck", summary[0])
    assert m, summary
    assert "stuck: %d" % stuck in m.group(3) and stuck > 0
    assert any(re.fullmatch(r"ipcdumpd: info: output 2 \(file .*\): \d+ written, 0 dropped", l) for l in lines)


def test_a_reload_leaves_a_stuck_output_behind_and_goes_on(tmp_path, daemons):
    fifo, out = tmp_path / "stuck.fifo", tmp_path / "events.jsonl"
    reader = fifo_nobody_reads(fifo)
    try:
        conf = tmp_path / "d.yaml"
        write_conf(conf, file_output(fifo), file_output(out))
        d = daemons(conf)
        Writer(2000, gap=0).wait()
        time.sleep(1)
        write_conf(conf, file_output(out))
        at = d.send(signal.SIGHUP)
        assert d.wait_for(r"^ipcdumpd: info: configuration reloaded from .*: 1 output \(1 kept", timeout=30,
                          after=at), d.lines
        closing = d.wait_for(r"^ipcdumpd: error: closing output 1 \(file .*\): .*\(.*stuck: \d+.*\); "
                             r"left behind stuck$", timeout=1, after=at)
        assert closing, d.lines
        w = Writer(100, gap=0)  # the daemon goes on, into the output that was kept
        w.wait()
        time.sleep(0.5)
    finally:
        os.close(reader)
    d.stop()
    assert numbers(out, w.comm) == list(range(100))
