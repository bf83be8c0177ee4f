"""Capture files: -w writes what -r reads back through the same joins, filters and formats."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import IPCDUMP, Tracer, fill, ipcgen, payload, pipe_events, small_tmpfs  # noqa: F401 (a fixture)


def read_back(path, *args):
    res = subprocess.run([IPCDUMP, "-r", path, *args], capture_output=True, timeout=60)
    return res


def capture(tmp_path, *args):
    path = str(tmp_path / "cap.ipcd")
    t = Tracer("-w", path, *args, fmt=None)
    return t, path


def test_round_trip_gives_the_live_events(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe")
    r = ipcgen("pipe", "kept in a file")
    t.stop()
    assert t.text == ""  # -w prints nothing
    assert any("records written to " + path in l for l in t.stderr_lines), t.stderr_lines
    res = read_back(path, "-f", "json", "-x")
    assert res.returncode == 0, res.stderr
    events = [json.loads(l) for l in res.stdout.decode().splitlines()]
    [e] = pipe_events(events, r["ino"])
    assert (e["src_pid"], e["src_comm"], e["dst_pid"], e["dst_comm"]) == \
        (r["writer"], "ipct-writer", r["reader"], "ipct-reader")
    assert payload(e) == b"kept in a file" and e["size"] == 14
    # the parents' names came from the snapshot of processes at the start
    assert e["dst_pcomm"] == "ipct-writer"
    # text and JSON read the same events
    text = read_back(path).stdout.decode().splitlines()
    assert len(text) == len(events)


def test_filters_apply_when_reading(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe")
    r = ipcgen("pipe", "filtered")
    t.stop()
    res = read_back(path, "-f", "json", "-s", str(r["writer"]))
    events = [json.loads(l) for l in res.stdout.decode().splitlines()]
    assert events and all(e["src_pid"] == r["writer"] for e in events)
    res = read_back(path, "-f", "json", "-t", "signal")
    assert all(json.loads(l)["type"] == "signal" for l in res.stdout.decode().splitlines())


def test_a_capture_reads_back_as_the_same_events_a_live_run_printed(tmp_path):
    live = Tracer("-t", "pipe", "-x")
    t, path = capture(tmp_path, "-t", "pipe")
    runs = [ipcgen("multi", 3), ipcgen("pipe", "same both ways")]
    live_events = live.stop()
    t.stop()
    res = read_back(path, "-f", "json", "-x")
    assert res.returncode == 0, res.stderr
    read_events = [json.loads(l) for l in res.stdout.decode().splitlines()]
    def comparable(events):
        # two tracers stamp the same calls a few microseconds apart: all else must be equal
        out = []
        for e in events:
            e = dict(e, meta=dict(e["meta"]))
            for k in ("time", "ts_ns"):
                e.pop(k)
            e["meta"].pop("latency_ns", None)
            out.append(e)
        return out

    for r in runs:
        want = comparable(pipe_events(live_events, r["ino"]))
        got = comparable(pipe_events(read_events, r["ino"]))
        assert want and got == want


def test_text_and_csv_read_back_as_a_live_run_printed_them(tmp_path):
    import csv
    import io
    import re
    live_text = Tracer("-t", "pipe", "-x", fmt="text")
    live_csv = Tracer("-t", "pipe", "-x", fmt="csv")
    t, path = capture(tmp_path, "-t", "pipe")
    runs = [ipcgen("multi", 2), ipcgen("pipe", "text and csv")]
    live_text.stop()
    live_csv.stop()
    t.stop()

    def text_events(text, ino):
        # an event line and its dump lines; the time and latency differ between two tracers
        out, keep = [], False
        for line in text.splitlines():
            if not line.startswith("\t"):
                keep = ("pipe_inode %d," % ino) in line
                line = re.sub(r", latency_ns \d+", "", line.split(" ", 1)[1])
            if keep:
                out.append(line)
        return out

    def csv_events(text, ino):
        rows = list(csv.DictReader(io.StringIO(text)))
        return [{k: v for k, v in r.items() if k not in ("time", "ts_ns", "latency_ns")}
                for r in rows if r["channel"] == "pipe:[%d]" % ino]

    text = read_back(path, "-x").stdout.decode()
    table = read_back(path, "-x", "-f", "csv").stdout.decode()
    assert table.splitlines()[0] == live_csv.text.splitlines()[0], "the same header row"
    for r in runs:
        want = text_events(live_text.text, r["ino"])
        assert want and text_events(text, r["ino"]) == want
        want = csv_events(live_csv.text, r["ino"])
        assert want and csv_events(table, r["ino"]) == want


def test_stdout_and_stdin(tmp_path):
    w = subprocess.Popen([IPCDUMP, "-t", "pipe", "-w", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for raw in w.stderr:
        if raw.startswith(b"ipcdump: tracing"):
            break
    r = ipcgen("pipe", "through a pipe")
    time.sleep(0.5)
    w.send_signal(signal.SIGINT)
    data, _ = w.communicate(timeout=60)
    res = subprocess.run([IPCDUMP, "-r", "-", "-f", "json", "-x"], input=data, capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    [e] = pipe_events([json.loads(l) for l in res.stdout.decode().splitlines()], r["ino"])
    assert payload(e) == b"through a pipe"


def test_truncated_file_keeps_what_came_before(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe")
    first = ipcgen("pipe", "before the damage")
    t.stop()
    whole = open(path, "rb").read()
    cut = str(tmp_path / "cut.ipcd")
    with open(cut, "wb") as f:
        f.write(whole[:-5])
    res = read_back(cut, "-f", "json")
    assert res.returncode == 1
    err = res.stderr.decode().strip().splitlines()
    # the damage is named first, then the summary of what was printed
    assert err[-2].startswith("ipcdump: %s: truncated record at offset " % cut), err
    assert re.fullmatch(r"ipcdump: \d+ events? printed, 0 lost", err[-1]), err
    events = [json.loads(l) for l in res.stdout.decode().splitlines()]
    assert pipe_events(events, first["ino"]), "events before the damage are kept"
    # a filtered copy of a damaged file is not written
    small = str(tmp_path / "small.ipcd")
    res = subprocess.run([IPCDUMP, "-r", cut, "-w", small, "type == pipe"], capture_output=True, timeout=60)
    assert res.returncode == 1 and not os.path.exists(small), res.stderr


def test_not_a_capture_file(tmp_path):
    bad = tmp_path / "bad.ipcd"
    bad.write_bytes(b"this is not a capture file at all, just text" * 10)
    res = read_back(str(bad))
    assert res.returncode == 1
    assert res.stderr.decode().strip() == "ipcdump: %s: not an ipcdump capture file" % bad
    res = read_back(str(tmp_path / "missing.ipcd"))
    assert res.returncode == 1 and "cannot read" in res.stderr.decode()


def first_record_at(data):
    """The offset past the file header (168 bytes) and the schema record that follows it."""
    import struct
    kind, size = struct.unpack_from("<HH", data, 168)
    assert kind == 18, "the schema comes first"
    return 168 + size


def test_schema_names_the_record_kinds(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe")
    t.stop()
    data = open(path, "rb").read()
    text = data[168 + 16 + 8:first_record_at(data)].rstrip(b"\0").decode()
    kinds = {line.split()[1]: int(line.split()[0]) for line in text.splitlines()}
    assert kinds["pipe_io"] == 1 and kinds["signal"] == 4 and "semop" in kinds, text


def test_corrupt_record_size(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe")
    ipcgen("pipe", "x")
    t.stop()
    data = bytearray(open(path, "rb").read())
    header = first_record_at(data)
    # the first record's size field (bytes 2-3 of its header) made impossible
    data[header + 2] = 3
    data[header + 3] = 0
    bad = tmp_path / "corrupt.ipcd"
    bad.write_bytes(bytes(data))
    res = read_back(str(bad))
    assert res.returncode == 1
    assert "corrupt record (size 3) at offset %d" % header in res.stderr.decode()


def test_read_and_write_from_stdin_is_refused():
    res = subprocess.run([IPCDUMP, "-r", "-", "-w", "b"], capture_output=True, timeout=30)
    assert res.returncode == 2


def test_filter_mode_writes_the_matching_channels(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe", "-x")
    kept = [ipcgen("pipe", "keep-%d" % i) for i in range(2)]
    dropped = ipcgen("multi", 2)
    t.stop()
    small = str(tmp_path / "small.ipcd")
    # (ipcgen prints its report to us as ipct-writer too: the payload tells the test's pipes)
    res = subprocess.run([IPCDUMP, "-r", path, "-w", small, 'src.comm == ipct-writer and payload contains "keep-"'],
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert b"records written to " + small.encode() in res.stderr
    res = read_back(small, "-f", "json", "-x")
    events = [json.loads(l) for l in res.stdout.decode().splitlines()]
    assert sorted(payload(e) for e in events) == [b"keep-0", b"keep-1"], events
    for r in kept:
        [e] = pipe_events(events, r["ino"])
        assert (e["src_pid"], e["dst_pid"], e["dst_comm"]) == (r["writer"], r["reader"], "ipct-reader")
    assert not pipe_events(events, dropped["ino"])


def test_records_full_of_garbage_never_crash_the_reader(tmp_path):
    """Records with valid framing and random contents, of every kind, through the whole pipeline."""
    import random
    import struct
    t, path = capture(tmp_path, "-t", "pipe")
    t.stop()
    data = open(path, "rb").read()
    header = data[:first_record_at(data)]
    rng = random.Random(11)
    for round_ in range(20):
        body = bytearray()
        for _ in range(300):
            kind = rng.randint(1, 20)
            size = rng.choice([16, 24, 56, 104, 136, 168, 184, rng.randint(16, 2048)])
            rec = bytearray(rng.getrandbits(8) for _ in range(size))
            struct.pack_into("<HHIQ", rec, 0, kind, size, rng.getrandbits(32), rng.getrandbits(40))
            body += rec
        bad = tmp_path / ("fuzz%d.ipcd" % round_)
        bad.write_bytes(header + bytes(body))
        for fmt in ("text", "json"):
            res = subprocess.run([IPCDUMP, "-r", str(bad), "-x", "-f", fmt], capture_output=True, timeout=120)
            assert res.returncode in (0, 1), (round_, fmt, res.returncode, res.stderr[-2000:])


def test_rotation_by_size_keeps_every_file_readable(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe", "-C", "8K")
    runs = [ipcgen("pipe", "rotated-%02d" % i) for i in range(40)]
    t.stop()
    files = sorted(p for p in os.listdir(tmp_path) if p.startswith("cap.ipcd"))
    assert len(files) >= 3, files
    events = []
    for name in files:
        assert os.path.getsize(tmp_path / name) <= 8192 + 4096, name  # the limit, and at most one record past it
        res = read_back(str(tmp_path / name), "-f", "json", "-x")
        assert res.returncode == 0, (name, res.stderr)
        events += [json.loads(l) for l in res.stdout.decode().splitlines()]
    # a write and its read may fall in two files: the write is there either way
    for i, r in enumerate(runs):
        sent = [e for e in events if e["src_pid"] == r["writer"] and payload(e) == b"rotated-%02d" % i]
        assert len(sent) == 1, (i, sent)


def test_rotation_needs_a_file():
    res = subprocess.run([IPCDUMP, "-C", "1M"], capture_output=True, timeout=30)
    assert res.returncode == 2 and b"-C and -G need -w with a file name" in res.stderr


def test_zstd_compressed_capture(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe", "-z")
    r = ipcgen("pipe", "squeezed " * 20)
    t.stop()
    assert open(path, "rb").read(4) == b"\x28\xb5\x2f\xfd"  # a zstd frame
    res = read_back(path, "-f", "json", "-x")
    assert res.returncode == 0, res.stderr
    [e] = pipe_events([json.loads(l) for l in res.stdout.decode().splitlines()], r["ino"])
    assert payload(e) == b"squeezed " * 20
    # damaged compressed data: the header is a frame of its own, the records the next; a frame cut
    # short is damage, named first, then the summary of what was printed
    data = open(path, "rb").read()
    cut = tmp_path / "cut.ipcd"
    cut.write_bytes(data[: len(data) // 2])
    res = read_back(str(cut))
    assert res.returncode == 1
    err = res.stderr.decode().strip().splitlines()
    assert err[-2].startswith("ipcdump: %s: " % cut), err


def test_header_of_another_size_is_named(tmp_path):
    import struct
    t, path = capture(tmp_path, "-t", "pipe")
    t.stop()
    data = bytearray(open(path, "rb").read())
    struct.pack_into("<I", data, 20, 100)  # header_size
    bad = tmp_path / "short-header.ipcd"
    bad.write_bytes(bytes(data))
    res = read_back(str(bad))
    assert res.returncode == 1
    assert res.stderr.decode().strip() == \
        "ipcdump: %s: damaged capture: header of 100 bytes, expected 168" % bad


def test_a_directory_is_named_as_one(tmp_path):
    res = read_back(str(tmp_path))
    assert res.returncode == 1
    assert res.stderr.decode().strip() == "ipcdump: cannot read %s: Is a directory" % tmp_path


def test_a_schema_that_lies_about_sizes_is_refused(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe")
    ipcgen("pipe", "after a lying schema")
    t.stop()
    data = open(path, "rb").read()
    assert b"1 pipe_io 104\n" in data
    bad = tmp_path / "lying-schema.ipcd"
    bad.write_bytes(data.replace(b"1 pipe_io 104\n", b"1 pipe_io 112\n", 1))
    res = read_back(str(bad), "-f", "json")
    assert res.returncode == 1
    assert ("ipcdump: %s: damaged or incompatible capture at offset 168: the schema gives pipe_io (kind 1) "
            "112 bytes, this ipcdump's are 104" % bad) in res.stderr.decode().splitlines()
    assert res.stdout == b""


def test_u64_fields_take_the_whole_u64_range(tmp_path):
    t, path = capture(tmp_path, "-t", "pipe")
    ipcgen("pipe", "sixteen bytes...")
    t.stop()
    res = read_back(path, "-f", "json", "-F", "bytes > 18446744073709551615")
    assert res.returncode == 0 and res.stdout == b"", res.stderr
    res = read_back(path, "-f", "json", "-F", "bytes < 18446744073709551615 and type == pipe")
    assert res.returncode == 0 and res.stdout.count(b"\n") >= 1, res.stderr
    res = read_back(path, "-F", "bytes > 18446744073709551616")
    assert res.returncode == 2
    assert "'18446744073709551616' is out of range (0 to 18446744073709551615)" in res.stderr.decode()


def test_print_with_write_prints_the_events_the_file_holds(tmp_path):
    """tcpdump -w FILE --print: one run writes the capture and prints its events."""
    path = str(tmp_path / "cap.ipcd")
    t = Tracer("-t", "pipe", "-x", "-w", path, "--print")  # -f json
    r = ipcgen("pipe", "printed and kept")
    printed = t.stop()
    [e] = pipe_events(printed, r["ino"])
    assert payload(e) == b"printed and kept"
    assert any("records written to " + path in l for l in t.stderr_lines), t.stderr_lines
    assert [l for l in t.stderr_lines if re.fullmatch(r"ipcdump: \d+ events? captured and printed, 0 lost", l)], \
        t.stderr_lines
    res = read_back(path, "-f", "json", "-x")
    assert res.returncode == 0, res.stderr
    read = [json.loads(l) for l in res.stdout.decode().splitlines()]
    # the same events, as the same tracer stamped them (the machine's other pipes join by
    # timing, which a file replays on its own clock: the channel traced is the one compared)
    assert pipe_events(read, r["ino"]) == pipe_events(printed, r["ino"])


def test_stats_with_write_reports_and_keeps_the_records(tmp_path):
    path = str(tmp_path / "cap.ipcd")
    t = Tracer("-t", "pipe", "-w", path, "--stats")
    r = ipcgen("multi", 3)
    t.stop()
    report = json.loads(t.text)
    assert report["channels"] and report["pairs"], report
    assert [l for l in t.stderr_lines if re.fullmatch(r"ipcdump: \d+ events? captured, 0 lost", l)], t.stderr_lines
    assert any("records written to " + path in l for l in t.stderr_lines), t.stderr_lines
    res = read_back(path, "-f", "json", "-s", str(r["writers"][0]))
    assert res.returncode == 0, res.stderr
    assert [json.loads(l) for l in res.stdout.decode().splitlines()]


def test_print_and_stats_to_stdout_refuse_a_capture_there(tmp_path):
    for extra in (["--print"], ["--stats"], ["--analyze"]):
        res = subprocess.run([IPCDUMP, "-w", "-", *extra], capture_output=True, timeout=30)
        assert res.returncode == 2, res.stderr
        assert b"-w - writes the capture to stdout" in res.stderr


def test_filtered_copy_with_print_prints_what_it_keeps(tmp_path):
    """-r IN -w OUT FILTER --print: the matching events print, their channels go to OUT."""
    t, path = capture(tmp_path, "-t", "pipe")
    kept, other = ipcgen("pipe", "kept"), ipcgen("pipe", "left out")
    t.stop()
    small = str(tmp_path / "small.ipcd")
    one = "src.pid == %d" % kept["writer"]
    res = subprocess.run([IPCDUMP, "-r", path, "-w", small, "--print", "-f", "json", one],
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    printed = [json.loads(l) for l in res.stdout.decode().splitlines()]
    assert printed and all(e["src_pid"] == kept["writer"] for e in printed)
    assert re.search(rb"ipcdump: \d+ events? matched and printed, 0 lost", res.stderr), res.stderr
    again = [json.loads(l) for l in read_back(small, "-f", "json").stdout.decode().splitlines()]
    assert pipe_events(again, kept["ino"]) == pipe_events(printed, kept["ino"])
    assert not pipe_events(again, other["ino"])


def test_a_full_disk_drops_whole_records_says_so_and_fails(small_tmpfs):
    """ipcdump -w on a disk that fills after it starts: what the file holds reads back whole; the exit is 1."""
    path = str(small_tmpfs / "cap.ipcd")
    t = Tracer("-w", path, "-t", "pipe", fmt=None)
    fill(small_tmpfs / "filler")  # the header is in; the records (a chunk at the end) are not
    ipcgen("pipe", "no room for this")
    time.sleep(0.3)
    t.proc.send_signal(signal.SIGINT)
    assert t.proc.wait(timeout=60) == 1
    t.reader.join(timeout=10)
    t.out.close()
    err = "\n".join(t.stderr_lines)
    assert ("ipcdump: warning: cannot write %s: No space left on device; its records are dropped and counted "
            "until it can" % path) in t.stderr_lines, err
    m = [re.fullmatch(r"ipcdump: (\d+) records? written to %s, (\d+) dropped \(write failed\)" % re.escape(path), l)
         for l in t.stderr_lines]
    m = [x for x in m if x]
    assert len(m) == 1 and int(m[0].group(2)) > 0, err
    res = read_back(path, "-f", "json")
    assert res.returncode == 0, res.stderr  # a header, no record cut
    assert res.stdout == b""
