"""ipcdumpd's file outputs on a real run: rotation by size and interval
with keep (logrotate's names: PATH live, PATH.1 the newest rotated),
zstd for rotated files, the capture format read back with ipcdump -r,
the output's mode, per-type payload limits, a full disk (dropped, counted,
recovered) and a deleted file (recreated).

The messages are known: a python writer named ipcdfw writes each one
through a pipe and reads it back, so each is one pipe event, and the
trace's filter keeps only its events.  Each test finds every message it
expects exactly once across the output's files, in order."""
import base64
import csv
import json
import os
import re
import stat
import subprocess
import sys
import time

import pytest

from conftest import BUILD, IPCDUMP, capture_tmpfs, fill, small_tmpfs  # noqa: F401 (fixtures)
from daemon_run import Daemon

IPCDUMPD = os.environ.get("IPCDUMPD", os.path.join(BUILD, "ipcdumpd-san"))

WRITER = r"""
import os, sys
tag, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open("/proc/self/comm", "w") as f:
    f.write("ipcdfw")
r, w = os.pipe()
for i in range(first, first + count):
    msg = ("%s-%06d\n" % (tag, i)).encode()
    os.write(w, msg)
    assert os.read(r, 4096) == msg
"""

TRACE = "trace:\n  types: [pipe]\n  payload: 64\n  filter: 'comm == \"ipcdfw\"'\n"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def send(tag, first, count):
    """Messages TAG-first .. TAG-(first+count-1), one pipe event each."""
    subprocess.run([sys.executable, "-c", WRITER, tag, str(first), str(count)], check=True, timeout=60)
    return ["%s-%06d\n" % (tag, i) for i in range(first, first + count)]


def start_daemon(tmp_path, outputs, trace=TRACE, umask=None):
    """ipcdumpd on a config of its own; stop() waits half a second for the last events, and gives its stderr."""
    conf = tmp_path / "ipcdumpd.yaml"
    conf.write_text(trace + "outputs:\n" + outputs)
    return Daemon(conf, umask=umask, settle=0.5, returns="text", first_line="tracing pipe events")


@pytest.fixture
def daemon():
    started = []

    def start(*args, **kw):
        d = start_daemon(*args, **kw)
        started.append(d)
        return d
    yield start
    for d in started:
        d.kill()


def messages_in_json(text):
    """Each line one whole JSON event (none cut): the ipcdfw messages, in order."""
    found = []
    for line in text.splitlines():
        e = json.loads(line)
        if e.get("type") == "pipe" and e.get("src_comm") == "ipcdfw":
            found.append(base64.b64decode(e["bytes"]).decode())
    return found


def read_text(path):
    data = open(path, "rb").read()
    if data.startswith(ZSTD_MAGIC):
        data = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True, timeout=60).stdout
    return data.decode()


def rotated_names(path, count, suffix=""):
    """PATH.count .. PATH.1 (oldest first), then PATH."""
    return ["%s.%d%s" % (path, i, suffix) for i in range(count, 0, -1)] + [path]


def test_size_rotation_keeps_the_newest_files_each_whole(tmp_path, daemon):
    out = str(tmp_path / "events.jsonl")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    rotate: {size: 4K, keep: 3}\n" % out)
    sent = send("size", 0, 300)
    d.stop()
    assert sorted(os.listdir(tmp_path)) == ["events.jsonl", "events.jsonl.1", "events.jsonl.2",
                                            "events.jsonl.3", "ipcdumpd.yaml"]
    found = []
    for name in rotated_names(out, 3):
        found += messages_in_json(read_text(name))
        if name != out:
            # rotated once it reached the size: at most one event past it
            assert 4096 <= os.path.getsize(name) < 4096 + 1024
    # the oldest files were deleted; what is kept is the newest messages, each once, in order
    assert found and found == sent[-len(found):]
    assert len(found) < len(sent)


def test_interval_rotation_starts_a_file_each_second(tmp_path, daemon):
    out = str(tmp_path / "events.jsonl")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    rotate: {interval: 1s}\n" % out)
    batches = []
    for b in range(3):
        batches.append(send("tick%d" % b, 0, 10))
        time.sleep(1.6)
    d.stop(settle=0)
    files = sorted(f for f in os.listdir(tmp_path) if f.startswith("events.jsonl"))
    # three busy seconds, three files (a rotation may fall inside a batch: four); idle seconds make none
    assert len(files) in (3, 4), files
    per_file = [messages_in_json(read_text(name)) for name in rotated_names(out, len(files) - 1)]
    assert sum(per_file, []) == sum(batches, [])
    first = [i for i, msgs in enumerate(per_file) if batches[0][0] in msgs][0]
    last = [i for i, msgs in enumerate(per_file) if batches[2][-1] in msgs][0]
    assert last - first >= 2


def test_rotated_files_are_zstd_and_the_live_one_plain(tmp_path, daemon):
    out = str(tmp_path / "events.jsonl")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    rotate: {size: 4K}\n    compress: zstd\n"
               "    mode: \"0640\"\n" % out)
    sent = send("zst", 0, 200)
    d.stop()
    names = sorted(os.listdir(tmp_path))
    rotated = [n for n in names if n.startswith("events.jsonl.")]
    assert rotated and all(n.endswith(".zst") for n in rotated), names  # no plain or .tmp left over
    count = len(rotated)
    assert rotated == sorted("events.jsonl.%d.zst" % i for i in range(1, count + 1))
    found = []
    for name in rotated_names(out, count, ".zst")[:-1]:
        assert open(name, "rb").read(4) == ZSTD_MAGIC
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o640
        text = subprocess.run(["zstd", "-dc", name], capture_output=True, check=True, timeout=60).stdout
        found += messages_in_json(text.decode())
    live = open(out, "rb").read()
    assert not live.startswith(ZSTD_MAGIC)  # tail -f reads it as it grows
    found += messages_in_json(live.decode())
    assert found == sent


def test_mode_is_the_outputs_whatever_the_umask(tmp_path, daemon):
    out = str(tmp_path / "events.csv")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    format: csv\n    mode: \"0640\"\n" % out, umask=0o077)
    sent = send("mode", 0, 3)
    d.stop()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    rows = list(csv.DictReader(open(out)))  # the header once, then the events
    assert [bytes.fromhex(r["payload_hex"]).decode() for r in rows if r["src_comm"] == "ipcdfw"] == sent


def test_an_output_payload_lowers_the_trace_limit_per_type(tmp_path, daemon):
    small, trace_limit = str(tmp_path / "small.jsonl"), str(tmp_path / "trace.jsonl")
    trace = "trace:\n  types: [pipe]\n  payload: {default: 64, pipe: 16}\n  filter: 'comm == \"ipcdfw\"'\n"
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    payload: {default: 8, pipe: 4}\n"
               "  - type: file\n    path: %s\n" % (small, trace_limit), trace=trace)
    sent = send("payload-limits-by-type", 0, 5)
    d.stop()
    assert messages_in_json(read_text(small)) == [m[:4] for m in sent]
    assert messages_in_json(read_text(trace_limit)) == [m[:16] for m in sent]
    assert {json.loads(l)["size"] for l in open(small)} == {len(sent[0])}


def ipcdump_r(path, *args):
    r = subprocess.run([IPCDUMP, "-r", path, "-f", "json", "-x", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_capture_output_reads_back_with_ipcdump_r(tmp_path, daemon):
    out = str(tmp_path / "events.ipcd")
    outputs = "  - type: file\n    path: %s\n    format: capture\n    mode: \"0640\"\n" % out
    d = daemon(tmp_path, outputs)
    first = send("cap1", 0, 20)
    time.sleep(0.5)
    # written within a tick, not held until a chunk fills: readable while the daemon runs (its
    # last record may be half written as we read, when other processes' records keep coming)
    live = subprocess.run([IPCDUMP, "-r", out, "-f", "json", "-x", 'comm == "ipcdfw"'], capture_output=True,
                          text=True, timeout=60)
    assert live.returncode == 0 or "truncated record at offset" in live.stderr, live.stderr
    assert messages_in_json(live.stdout) == first
    d.stop()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    assert messages_in_json(ipcdump_r(out, 'comm == "ipcdfw"')) == first
    # the next run starts a new capture: the earlier one moves to PATH.1, whole
    d = daemon(tmp_path, outputs)
    second = send("cap2", 0, 20)
    d.stop()
    assert messages_in_json(ipcdump_r(out, 'comm == "ipcdfw"')) == second
    assert messages_in_json(ipcdump_r(out + ".1", 'comm == "ipcdfw"')) == first


def test_capture_output_rotates_and_compresses(tmp_path, daemon):
    out = str(tmp_path / "events.ipcd")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    format: capture\n    rotate: {size: 8K, keep: 2}\n"
               "    compress: zstd\n" % out)
    send("caprot", 0, 400)
    d.stop()
    assert sorted(os.listdir(tmp_path)) == ["events.ipcd", "events.ipcd.1", "events.ipcd.2", "ipcdumpd.yaml"]
    for name in rotated_names(out, 2):
        # every file a whole compressed capture of its own, as ipcdump -w -z writes them
        assert open(name, "rb").read(4) == ZSTD_MAGIC
        ipcdump_r(name)


def test_full_disk_drops_and_counts_then_recovers(tmp_path, small_tmpfs, daemon):
    out = str(small_tmpfs / "events.jsonl")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n" % out)
    before = send("before", 0, 50)
    time.sleep(0.5)
    fill(small_tmpfs / "filler")
    during = send("during", 0, 600)  # more than the output's queue holds
    time.sleep(0.5)
    os.unlink(small_tmpfs / "filler")
    time.sleep(0.5)
    after = send("after", 0, 50)
    stderr = d.stop()
    assert ("ipcdumpd: warning: cannot write %s: No space left on device; its events are dropped and counted "
            "until it can\n" % out) in stderr
    notes = [l for l in stderr.splitlines() if l.startswith("ipcdumpd: note: writing %s again; " % out)]
    assert len(notes) == 1, stderr
    dropped = int(notes[0].split("; ")[1].split()[0])
    found = messages_in_json(open(out).read())  # every line whole
    kept = [m for m in found if m.startswith("during")]
    assert found == before + kept + after
    assert kept == during[:len(kept)]  # the queue held the first ones; the rest were dropped
    assert dropped == len(during) - len(kept) > 0


@pytest.mark.parametrize("compress", ["", "    compress: zstd\n"], ids=["plain", "zstd"])
def test_full_disk_capture_drops_whole_records_then_recovers(tmp_path, capture_tmpfs, daemon, compress):
    out = str(capture_tmpfs / "events.ipcd")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    format: capture\n%s" % (out, compress))
    before = send("before", 0, 50)
    time.sleep(0.5)
    fill(capture_tmpfs / "filler")
    during = send("during", 0, 600)
    time.sleep(1)  # the writes of a few ticks are refused
    os.unlink(capture_tmpfs / "filler")
    time.sleep(0.5)
    after = send("after", 0, 50)
    stderr = d.stop()
    lines = stderr.splitlines()
    warnings = [l for l in lines if l == "ipcdumpd: warning: cannot write %s: No space left on device; its records "
                "are dropped and counted until it can" % out]
    notes = [l for l in lines if l.startswith("ipcdumpd: info: writing %s again; " % out)]
    # a small write can fit the last page's slack while the disk is full: the file may take one between
    # refusals, and each such episode is said and closed again
    assert len(warnings) == len(notes) >= 1, stderr
    refused = sum(int(n.split("; ")[1].split()[0]) for n in notes)
    summary = [l for l in lines if l.startswith("ipcdumpd: info: output 1 ")]
    assert len(summary) == 1, stderr
    assert refused == int(re.search(r"\(write failed: (\d+)\)$", summary[0]).group(1)) > 0
    # every record the file holds reads back, none cut (ipcdump -r exits 0 only then)
    found = messages_in_json(ipcdump_r(out, 'comm == "ipcdfw"'))
    kept = [m for m in found if m.startswith("during")]
    assert found == before + kept + after
    assert kept == sorted(kept) and set(kept) < set(during)


def test_deleted_file_is_recreated_with_its_mode(tmp_path, daemon):
    out = str(tmp_path / "events.jsonl")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    mode: \"0640\"\n" % out)
    send("gone", 0, 10)
    time.sleep(0.5)
    os.unlink(out)
    time.sleep(0.5)
    after = send("new", 0, 10)
    stderr = d.stop()
    assert "ipcdumpd: warning: %s was deleted; writing a new one\n" % out in stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    assert messages_in_json(open(out).read()) == after


def test_each_rotated_csv_file_opens_with_the_header(tmp_path, daemon):
    out = str(tmp_path / "events.csv")
    d = daemon(tmp_path, "  - type: file\n    path: %s\n    format: csv\n    rotate: {size: 2K}\n" % out)
    sent = send("csv", 0, 40)
    d.stop()
    count = len(os.listdir(tmp_path)) - 2
    assert count >= 2
    found = []
    for name in rotated_names(out, count):
        with open(name) as f:
            rows = list(csv.DictReader(f))
        assert all(r["time"] != "time" for r in rows)  # the header once, at the top
        found += [bytes.fromhex(r["payload_hex"]).decode() for r in rows if r["src_comm"] == "ipcdfw"]
    assert found == sent


BAD = [
    ("trace:\n  payload: {default: 64, pty: 0}\noutputs:\n  - type: file\n    path: /x\n"
     "    payload: {default: 32, pty: 10}\n",
     "6:33: error: payload 10 for pty is above the trace's 0 bytes for it"),
    ("outputs:\n  - type: file\n    path: /x\n    format: capture\n    filter: type == pipe\n",
     "5:13: error: a capture output keeps every record whole: 'filter' goes in trace:, "
     "or in ipcdump -r when reading it"),
    ("outputs:\n  - type: file\n    path: /x\n    format: capture\n    payload: 0\n",
     "5:14: error: a capture output keeps every record whole: 'payload' goes in trace:, "
     "or in ipcdump -r when reading it"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m.split(": error: ")[1][:40] for _, m in BAD])
def test_bad_file_output_config_gets_its_one_line(tmp_path, text, message):
    conf = tmp_path / "bad.yaml"
    conf.write_text(text)
    r = subprocess.run([IPCDUMPD, "-c", str(conf), "--check-config"], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (2, "%s:%s\n" % (conf, message))
