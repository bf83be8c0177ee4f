"""Message queues, SysV and POSIX: sender to the receiver that dequeued, keys, names, types, payload."""
import json
import os
import subprocess

from conftest import BUILD, payload

MQGEN = os.path.join(BUILD, "progs", "mqgen")


def mqgen(*args):
    res = subprocess.run([MQGEN, *args], capture_output=True, timeout=60, check=True)
    return json.loads(res.stdout.decode().splitlines()[-1])


def ends(e):
    return (e["src_pid"], e["src_comm"], e["dst_pid"], e["dst_comm"])


def test_sysv_several_senders_receivers_and_types(tracer):
    t = tracer("-t", "mq-sysv", "-x")
    r = mqgen("sysv")
    events = [e for e in t.stop() if e["type"] == "mq-sysv" and e["meta"]["msqid"] == r["msqid"]]
    got = {payload(e): e for e in events}
    assert set(got) == {b"from-sender-0-type-1", b"from-sender-1-type-1", b"type-2-from-1"}, events
    assert ends(got[b"from-sender-0-type-1"]) == (r["s0"], "ipct-mqs-s0", r["r1"], "ipct-mqs-r1")
    assert ends(got[b"from-sender-1-type-1"]) == (r["s1"], "ipct-mqs-s1", r["r1"], "ipct-mqs-r1")
    assert ends(got[b"type-2-from-1"]) == (r["s1"], "ipct-mqs-s1", r["r2"], "ipct-mqs-r2")
    for p, e in got.items():
        assert e["meta"]["key"] == r["key"] and e["size"] == len(p)
        assert e["meta"]["mtype"] == (2 if p.startswith(b"type-2") else 1)
        assert e["meta"]["latency_ns"] > 0 and not e["meta"]["flags"]


def test_posix_priorities_names_and_short_lived_senders(tracer):
    t = tracer("-t", "mqp", "-x")
    r = mqgen("posix")
    events = [e for e in t.stop() if e["type"] == "mq-posix" and e["meta"].get("name") == r["name"]]
    assert [payload(e) for e in events] == [b"prio-5", b"prio-1"], events  # the higher priority first
    hi, lo = events
    assert ends(hi) == (r["hi"], "ipct-mqp-hi", r["r"], "ipct-mqp-r") and hi["meta"]["prio"] == 5
    assert ends(lo) == (r["lo"], "ipct-mqp-lo", r["r"], "ipct-mqp-r") and lo["meta"]["prio"] == 1
    assert hi["size"] == lo["size"] == 6


def test_filters_keep_each_message_with_its_own_sender(tracer):
    """A receive takes the oldest message: the senders the filters rule out still count."""
    t = tracer("-t", "mq", "-x", "-S", "ipct-mqs-s1", "-D", "ipct-mqs-r2")
    r = mqgen("sysv")
    t2 = tracer("-t", "mq", "-x", "-S", "ipct-mqp-lo", "-D", "ipct-mqp-r")
    p = mqgen("posix")
    [sysv] = [e for e in t.stop() if e["type"] == "mq-sysv"]
    assert ends(sysv) == (r["s1"], "ipct-mqs-s1", r["r2"], "ipct-mqs-r2") and payload(sysv) == b"type-2-from-1"
    assert not sysv["meta"]["flags"], sysv
    [posix] = [e for e in t2.stop() if e["type"] == "mq-posix"]
    assert ends(posix) == (p["lo"], "ipct-mqp-lo", p["r"], "ipct-mqp-r") and payload(posix) == b"prio-1"
    assert posix["meta"]["prio"] == 1 and not posix["meta"]["flags"], posix


def test_queue_lifecycle_only_with_the_option(tracer):
    t = tracer("-t", "mq")
    mqgen("posix")
    events = t.stop()
    assert not [e for e in events if e["type"] == "mq-op"]
    assert [e for e in events if e["type"] == "mq-posix"]  # the run was traced
    t = tracer("-t", "mq", "--lifecycle")
    s = mqgen("sysv")
    p = mqgen("posix")
    ops = [e for e in t.stop() if e["type"] == "mq-op"]
    assert [e for e in ops if e["meta"]["op"] == "msgget" and e["meta"]["key"] == s["key"]
            and e["meta"]["result"] == s["msqid"]], ops
    assert [e for e in ops if e["meta"]["op"] == "msgctl_rmid" and e["meta"]["result"] == s["msqid"]], ops
    opens = {e["src_comm"] for e in ops if e["meta"]["op"] == "mq_open" and e["meta"].get("name") == p["name"]}
    assert {"ipct-mqp-lo", "ipct-mqp-hi", "ipct-mqp-r"} <= opens, ops
    assert [e for e in ops if e["meta"]["op"] == "mq_unlink" and e["meta"].get("name") == p["name"]
            and e["meta"]["result"] == 0], ops


def test_text_output(tracer):
    t = tracer("-t", "mq", fmt=None)
    r = mqgen("sysv")
    t.stop()
    line = next(l for l in t.text.splitlines() if " mq-sysv %d(ipct-mqs-s0)" % r["s0"] in l)
    assert "> %d(ipct-mqs-r1): key 0x%08x, msqid %d, mtype 1, size 20" % (r["r1"], r["key"], r["msqid"]) in line


def test_mq_notify_delivery_is_a_signal_from_the_sender(tracer):
    t = tracer("-t", "mq", "-t", "signal", "--lifecycle")
    r = mqgen("notify")
    events = t.stop()
    [sig] = [e for e in events if e["type"] == "signal" and e["dst_pid"] == r["notified"]]
    assert (sig["src_pid"], sig["src_comm"]) == (r["sender"], "ipct-mqp-s"), sig
    assert sig["dst_comm"] == "ipct-mqp-n"
    assert sig["meta"]["name"] == "SIGUSR1" and sig["meta"]["code_name"] == "SI_MESGQ"
    assert [e for e in events if e["type"] == "mq-op" and e["meta"]["op"] == "mq_notify"
            and e["src_pid"] == r["notified"] and e["meta"].get("name") == r["name"]], events
