"""Shared memory: who maps what (SysV, POSIX, memfd), and futex handoffs through it."""
import json
import os
import subprocess

import pytest

from conftest import BUILD

SHMGEN = os.path.join(BUILD, "progs", "shmgen")


def shmgen(*args):
    res = subprocess.run([SHMGEN, *args], capture_output=True, timeout=60, check=True)
    return json.loads(res.stdout.decode().splitlines()[-1])


def ops(events, op, pid=None):
    out = [e for e in events if e["type"] == "shm" and e["meta"]["op"] == op]
    return [e for e in out if pid is None or e["src_pid"] == pid]


def assert_handoff(events, r):
    [wake] = [e for e in ops(events, "futex_wake") if e["dst_pid"] == r["b"]]
    assert (wake["src_pid"], wake["src_comm"]) == (r["a"], "ipct-shm-a"), wake
    assert wake["dst_comm"] == "ipct-shm-b" and wake["meta"]["offset"] == 0
    # from the wake's call to the woken wait's return: never zero for two processes
    assert wake["meta"]["latency_ns"] > 0
    assert wake["meta"]["sharers_known"] is True
    assert sorted(wake["meta"]["sharers"]) == sorted([r["a"], r["b"]])
    return wake


def test_sysv_segment_shared_by_two_with_a_futex_handoff(tracer):
    t = tracer("-t", "shm")
    r = shmgen("sysv")
    events = t.stop()
    mine = [e for e in events if e["type"] == "shm" and e["meta"].get("key") == r["key"]]
    [attach_a] = ops(mine, "attach", r["a"])
    [attach_b] = ops(mine, "attach", r["b"])
    assert attach_a["meta"]["shmid"] == r["shmid"] and attach_a["meta"]["size"] == 4096
    assert attach_a["meta"]["kind"] == "sysv"
    # the scenario attaches b first, then a: each attach lists who maps the segment after it
    first, later = ({r["a"]: attach_a, r["b"]: attach_b}[pid] for pid in r["attach_order"])
    assert first["meta"]["sharers"] == [r["attach_order"][0]]
    assert sorted(later["meta"]["sharers"]) == sorted([r["a"], r["b"]])
    assert ops(mine, "detach", r["b"]) and ops(mine, "detach", r["a"])
    assert assert_handoff(events, r)["meta"]["key"] == r["key"]
    [remove] = [e for e in ops(events, "remove", r["a"]) if e["meta"]["shmid"] == r["shmid"]]
    assert remove["src_comm"] == "ipct-shm-a"


def test_a_process_whose_leader_exited_still_shares(tracer):
    # the leader's pthread_exit is no process exit: its thread still maps the segment
    t = tracer("-t", "shm")
    r = shmgen("leader-exit")
    events = t.stop()
    assert assert_handoff(events, r)["meta"]["key"] == r["key"]


def premapped_handoff(tracer, fmt):
    """A page mapped before tracing starts, then a futex handoff in it, traced."""
    gate = subprocess.Popen([SHMGEN, "premapped"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    gate.stdout.readline()
    t = tracer("-t", "shm", fmt=fmt)
    gate.stdin.write(b"go\n")
    gate.stdin.flush()
    r = json.loads(gate.communicate(timeout=60)[0].decode().splitlines()[-1])
    return t, t.stop(), r


def test_no_known_sharer_is_said_so(tracer):
    # its handoff knows no sharer, and says so rather than listing none
    _, events, r = premapped_handoff(tracer, "json")
    [wake] = [e for e in ops(events, "futex_wake") if e["dst_pid"] == r["b"]]
    assert wake["src_pid"] == r["a"]
    assert wake["meta"]["sharers_known"] is False and wake["meta"]["sharers"] is None
    t, _, r = premapped_handoff(tracer, None)
    [line] = [l for l in t.text.splitlines() if "op futex_wake" in l and "> %d(ipct-shm-b)" % r["b"] in l]
    assert line.endswith(", sharers unknown") or ", sharers unknown," in line, line


def test_posix_shm_with_a_process_shared_semaphore(tracer):
    t = tracer("-t", "shm")
    r = shmgen("posix")
    events = t.stop()
    mine = [e for e in events if e["type"] == "shm" and e["meta"].get("name") == r["name"]]
    assert ops(mine, "attach", r["a"]) and ops(mine, "attach", r["b"])
    assert assert_handoff(events, r)["meta"]["name"] == r["name"]


def test_memfd_passed_over_a_unix_socket_and_mapped_by_both(tracer):
    t = tracer("-t", "shm")
    r = shmgen("memfd")
    events = t.stop()
    [created] = [e for e in ops(events, "memfd_create") if e["meta"]["name"] == "memfd:ipct-memfd"
                 and e["src_pid"] == r["a"]]
    [attach_b] = [e for e in ops(events, "attach", r["b"]) if e["meta"]["name"] == "memfd:ipct-memfd"]
    assert sorted(attach_b["meta"]["sharers"]) == sorted([r["a"], r["b"]])
    assert assert_handoff(events, r)["meta"]["name"] == "memfd:ipct-memfd"


def test_text_output(tracer):
    t = tracer("-t", "shm", fmt=None)
    r = shmgen("sysv")
    t.stop()
    line = next(l for l in t.text.splitlines() if "op futex_wake" in l and "%d(ipct-shm-a)" % r["a"] in l)
    assert "> %d(ipct-shm-b): op futex_wake, key 0x%08x, shmid %d, offset 0" % (r["b"], r["key"], r["shmid"]) in line


def test_sysv_semaphore_release_names_the_waiter(tracer):
    t = tracer("-t", "shm")
    r = shmgen("sem")
    [e] = [e for e in ops(t.stop(), "semop") if e["meta"]["semid"] == r["semid"]]
    assert (e["src_pid"], e["src_comm"], e["dst_pid"], e["dst_comm"]) == (r["a"], "ipct-shm-a", r["b"], "ipct-shm-b")
    assert e["meta"]["semnum"] == 0 and e["meta"]["latency_ns"] > 0


def test_mapped_bpf_maps_are_not_shared_memory(tracer):
    # another BPF tool's mapped ring buffer is memory shared with the kernel, not between processes
    t = tracer("-t", "shm")
    r = shmgen("bpf-map")
    mine = [e for e in t.stop() if e["type"] == "shm" and e["src_pid"] == r["a"]]
    assert [(e["meta"]["op"], e["meta"]["addr"]) for e in mine] == \
        [("attach", r["zero_addr"]), ("detach", r["zero_addr"])], mine
