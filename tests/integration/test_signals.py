"""Signals: sender and target, numbers, codes, values, kernel signals."""
import csv
import os
import subprocess
import sys

from conftest import ipcgen


def signal_events(events, dst=None):
    out = [e for e in events if e["type"] == "signal"]
    return [e for e in out if dst is None or e["dst_pid"] == dst]


def test_kill_sigqueue_and_a_short_lived_sender(tracer):
    t = tracer("-t", "kill")
    r = ipcgen("signals")
    events = signal_events(t.stop(), r["receiver"])
    by_num = {e["meta"]["num"]: e for e in events}
    assert sorted(by_num) == [10, 12, r["rt"]], events

    usr1 = by_num[10]
    assert (usr1["src_pid"], usr1["src_comm"]) == (r["sender"], "ipct-sigsend")
    assert (usr1["dst_pid"], usr1["dst_comm"]) == (r["receiver"], "ipct-sigrecv")
    assert usr1["meta"]["name"] == "SIGUSR1" and usr1["meta"]["code_name"] == "SI_USER"
    assert usr1["meta"]["blocked"] is True and usr1["meta"]["result"] == "delivered"
    assert usr1["meta"]["kernel"] is False

    rt = by_num[r["rt"]]
    assert rt["src_pid"] == r["sender"]
    assert r["rt"] == 36 and rt["meta"]["name"] == "SIGRTMIN+2"
    assert rt["meta"]["code_name"] == "SI_QUEUE" and rt["meta"]["code"] == -1
    assert rt["meta"]["value"] == 4242

    usr2 = by_num[12]
    assert (usr2["src_pid"], usr2["src_comm"]) == (r["short"], "ipct-sigshort")
    assert usr2["src_ppid"] == r["sender"]
    assert usr2["meta"]["name"] == "SIGUSR2"
    assert len(events) == 3


def test_kernel_signals_only_on_request(tracer):
    t = tracer("-t", "signal")
    control = tracer("-t", "signal", "--kernel-signals")  # the same run: the SIGCHLD is there
    r = ipcgen("child")
    assert signal_events(t.stop(), r["parent"]) == []
    assert [e["meta"]["name"] for e in signal_events(control.stop(), r["parent"])] == ["SIGCHLD"]

    t = tracer("-t", "signal", "--kernel-signals")
    r = ipcgen("child")
    [e] = signal_events(t.stop(), r["parent"])
    assert e["meta"]["name"] == "SIGCHLD" and e["meta"]["kernel"] is True
    assert (e["src_pid"], e["src_comm"]) == (r["child"], "ipct-child")
    assert e["dst_comm"] == "ipct-parent"
    assert e["meta"]["code_name"] == "kernel"


def test_text_format_of_a_signal(tracer):
    t = tracer("-t", "k", fmt="text")
    r = ipcgen("signals")
    t.stop()
    lines = [l for l in t.text.splitlines() if "signal %d(ipct-sigsend) > %d(ipct-sigrecv)" % (r["sender"], r["receiver"]) in l]
    assert len(lines) == 2, t.text
    assert lines[0].split(" ", 1)[1] == "signal %d(ipct-sigsend) > %d(ipct-sigrecv): num 10, name SIGUSR1, code SI_USER, result delivered, blocked yes" % (r["sender"], r["receiver"])
    assert lines[1].endswith("num %d, name SIGRTMIN+2, code SI_QUEUE, value 4242, result delivered, blocked yes" % r["rt"])


def test_failed_sends_are_reported_with_their_error(tracer):
    t = tracer("-t", "signal", "-S", "ipct-failkill")
    r = ipcgen("failkill")
    events = signal_events(t.stop())
    assert len(events) == 2, events
    gone, denied = events
    assert (gone["src_pid"], gone["src_comm"]) == (r["sender"], "ipct-failkill")
    assert gone["dst_pid"] == r["gone"] and gone["dst_comm"] is None
    assert gone["meta"]["result"] == "failed" and gone["meta"]["error"] == "ESRCH"
    assert gone["meta"]["name"] == "SIGUSR1"
    assert denied["dst_pid"] == r["parent"] and denied["dst_comm"] == "ipcgen"
    assert denied["meta"]["result"] == "failed" and denied["meta"]["error"] == "EPERM"


def test_real_time_signals_go_by_the_names_kill_takes(tracer):
    """kill -s RTMIN+2 sends 36: every format says SIGRTMIN+2, and each spelling filters it."""
    target = subprocess.Popen(["sleep", "60"])
    try:
        where = "and dst.pid == %d" % target.pid
        j = tracer("-t", "signal", "signal == RTMIN+2 " + where)
        t = tracer("-t", "signal", "signal == SIGRTMIN+2 " + where, fmt="text")
        c = tracer("-t", "signal", "signal == 36 " + where, fmt="csv")
        subprocess.run(["bash", "-c", "kill -s RTMIN+2 %d" % target.pid], check=True)
        assert target.wait(timeout=30) == -36
    finally:
        if target.poll() is None:
            target.kill()
            target.wait()
    [e] = j.stop()
    assert e["meta"]["num"] == 36 and e["meta"]["name"] == "SIGRTMIN+2", e
    t.stop()
    [line] = t.text.splitlines()
    assert "> %d(sleep): num 36, name SIGRTMIN+2, code SI_USER" % target.pid in line, line
    c.stop()
    [row] = list(csv.DictReader(c.text.splitlines()))
    assert row["channel"] == "SIGRTMIN+2", row


def timer_signals(events, pid):
    return [e for e in signal_events(events, pid) if e["meta"]["name"] == "SIGALRM"]


def test_a_posix_timers_signal_comes_from_its_owner_not_a_bystander(tracer):
    # timeout(1) arms a timer_create() timer; it fires in an interrupt, on whatever task ran
    t = tracer("-t", "signal", "--kernel-signals")
    p = subprocess.Popen(["timeout", "0.3", "sleep", "5"])
    assert p.wait(timeout=60) == 124
    [e] = timer_signals(t.stop(), p.pid)
    assert e["meta"]["code_name"] == "SI_TIMER" and e["meta"]["kernel"] is True
    assert (e["src_pid"], e["src_comm"]) == (p.pid, "timeout")
    assert e["meta"]["src_is_timer_owner"] is True


ITIMER = """
import signal, sys
signal.signal(signal.SIGALRM, lambda *a: None)
signal.setitimer(signal.ITIMER_REAL, 0.05)
signal.pause()
"""


def test_an_itimers_signal_comes_from_its_owner_in_text_too(tracer):
    t = tracer("-t", "signal", "--kernel-signals", fmt="text")
    p = subprocess.Popen([sys.executable, "-c", ITIMER])
    assert p.wait(timeout=60) == 0
    t.stop()
    comm = os.path.basename(sys.executable)[:15]
    lines = [l for l in t.text.splitlines() if "> %d(" % p.pid in l and "SIGALRM" in l]
    assert len(lines) == 1, t.text
    assert " signal %d(%s) (timer owner) > %d(%s): " % (p.pid, comm, p.pid, comm) in lines[0]

