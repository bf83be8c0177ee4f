"""ipcdump -r FILE.db: a SQLite store read as a capture is read.  Every golden
capture, stored (-r CAPTURE -w x.db) and read back, prints what reading the
capture prints, in every format; the filter's pushed-down terms select what the
whole filter does; --since and --until for stores and captures; what a store
cannot do is a one-line usage error; a live -w x.db --print run reads back as
it printed."""
import datetime
import os
import subprocess

import pytest

from conftest import IPCDUMP, ROOT, Tracer, ipcgen

CAPTURES = os.path.join(ROOT, "tests", "golden", "captures")
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")
NAMES = ["pipes", "signals", "unix", "loopback", "mq", "shm", "pty", "tree"]


def capture(name):
    path = os.path.join(CAPTURES, name + ".ipcd")
    return path if os.path.exists(path) else path + ".zst"


def ipcdump(*args, check=True):
    res = subprocess.run([IPCDUMP, *args], capture_output=True, text=True, timeout=120, env=ENV)
    if check:
        assert res.returncode == 0, res.stderr
    return res


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Each golden capture as a store, every type kept."""
    made = {}
    for name in NAMES:
        path = str(tmp_path_factory.mktemp("stores") / (name + ".db"))
        ipcdump("-r", capture(name), "--lifecycle", "--kernel-signals", "-x", "-w", path)
        made[name] = path
    return made


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_a_store_prints_what_its_capture_printed(stores, name, fmt):
    args = ["--lifecycle", "--kernel-signals", "-x", "-n", "-f", fmt]
    want = ipcdump("-r", capture(name), *args).stdout
    got = ipcdump("-r", stores[name], *args).stdout
    assert want and got == want


@pytest.mark.parametrize("name", ["unix", "loopback", "signals", "shm"])
@pytest.mark.parametrize("report", [["--analyze"], ["--stats", "-f", "json"]])
def test_stats_and_analyze_read_a_store(stores, name, report):
    want = ipcdump("-r", capture(name), "-n", *report).stdout.splitlines()
    got = ipcdump("-r", stores[name], "-n", *report).stdout.splitlines()
    # --stats names its span from the first record; a store has events only
    if report[0] == "--stats":
        want, got = want[1:], got[1:]
    assert got == want


FILTERS = [
    "pid == 26177",
    "src.pid == 26177 and type == signal",
    "dst.comm == ipct-sigrecv",
    'comm == "ipct-sig*"',
    "type == signal and not dst.pid == 26178",
    "pid == 26177 or pid == 26178",
    "src.comm == ipct-sigsend and signal == USR1",
]


@pytest.mark.parametrize("expr", FILTERS)
def test_a_filter_selects_from_a_store_what_it_selects_from_the_capture(stores, expr):
    want = ipcdump("-r", capture("signals"), "--kernel-signals", expr).stdout
    got = ipcdump("-r", stores["signals"], "--kernel-signals", expr).stdout
    assert got == want


def test_types_select_from_a_store(stores):
    for types in (["-t", "unix"], ["-t", "pipe"], []):
        want = ipcdump("-r", capture("unix"), *types).stdout
        assert ipcdump("-r", stores["unix"], *types).stdout == want


def event_times(text):
    return [line.split()[0] for line in text.splitlines()]


@pytest.mark.parametrize("source", ["capture", "store"])
def test_since_and_until_choose_by_wall_clock(stores, source):
    path = capture("unix") if source == "capture" else stores["unix"]
    lines = ipcdump("-r", path, "--time", "epoch").stdout.splitlines()
    times = [float(l.split()[0]) for l in lines]
    assert len(times) > 4
    since, until = times[1], times[-2]
    iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    got = ipcdump("-r", path, "--time", "epoch", "--since", "@%.9f" % since, "--until", iso(until)).stdout
    # --until's microseconds (ISO 8601 as written here) keep the last nanoseconds out: compare within them
    want = [l for l, t in zip(lines, times) if t >= since and t <= until - 1e-6]
    assert got.splitlines()[:len(want)] == want
    assert ipcdump("-r", path, "--since", "now").stdout == ""
    assert ipcdump("-r", path, "--until", "2000-01-01").stdout == ""
    assert ipcdump("-r", path, "--since", "-3650d").stdout == ipcdump("-r", path).stdout


@pytest.mark.parametrize("args,message", [
    (["-w", "x.db", "-C", "1M"], "-C, -G and -z are for capture files, not a SQLite store (x.db)"),
    (["-w", "x.db", "-z"], "-C, -G and -z are for capture files, not a SQLite store (x.db)"),
    (["-r", "x.db", "-w", "y.ipcd"], "a SQLite store holds events, not kernel records: -w can copy it to "
                                     "another store (FILE.db), not to a capture file (y.ipcd)"),
    (["--since", "-1h"], "--since and --until choose among the events of a file read with -r"),
    (["-r", "x.db", "--since", "yesterday"], "invalid time 'yesterday': expected 2026-11-30T10:00:00, 10:00, "
                                              "-1h, @SECONDS or now"),
    (["-r", "x.db", "--since", "10:00", "--until", "09:00"], "--since is after --until"),
])
def test_what_a_store_cannot_do_is_a_usage_error(args, message):
    res = ipcdump(*args, check=False)
    assert res.returncode == 2
    assert res.stderr == "ipcdump: %s (see ipcdump --help)\n" % message


def test_not_a_store_is_one_line(tmp_path):
    path = tmp_path / "bad.db"
    path.write_bytes(b"not sqlite at all" * 100)
    res = ipcdump("-r", str(path), check=False)
    assert res.returncode == 1
    assert len(res.stderr.splitlines()) == 1 and res.stderr.startswith("ipcdump: %s: " % path)


def test_a_live_store_reads_back_as_the_run_printed_it(tmp_path):
    path = str(tmp_path / "live.db")
    t = Tracer("-w", path, "--print", "-x", "-t", "pipe,signal", fmt="text")
    ipcgen("pipe", "live and stored")
    ipcgen("signals")
    t.stop()
    assert "live and stored" in t.text or "6c69766520616e64" in t.text.replace(" ", "")
    assert ipcdump("-r", path, "-x").stdout == t.text
