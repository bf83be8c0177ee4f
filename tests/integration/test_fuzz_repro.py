"""Inputs that once crashed, hung or leaked: each ends at once, cleanly, on the sanitizer build.

tests/fuzz/repro holds them (its README names each fault).  Capture files are
read in every output format; filter expressions run against a capture.  The
timeout is a hang guard, not a speed assertion.
"""
import os
import subprocess

import pytest

from conftest import IPCDUMP, ROOT

REPRO = os.path.join(ROOT, "tests", "fuzz", "repro")
HANG_GUARD_S = 20
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: ")
# a capture for the filter expressions to run against
FILTER_CAPTURE = os.path.join(REPRO, "ubsan_stream_join_null_offset")

FILES = sorted(f for f in os.listdir(REPRO) if f != "README.md")
CAPTURES = [f for f in FILES if "_filter_" not in f]
FILTERS = [f for f in FILES if "_filter_" in f]
FORMATS = [["-f", "json", "-x"], ["-f", "text", "-x"], ["-f", "csv"], ["--stats", "-f", "json"], ["--stats"],
           ["--analyze"]]


def run_clean(args):
    """Runs ipcdump-san; asserts it ended by itself with 0, 1 or 2 and no sanitizer report."""
    try:
        res = subprocess.run([IPCDUMP, *args], capture_output=True, timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        pytest.fail("still running after %d s: %s" % (HANG_GUARD_S, " ".join(args)[:200]))
    err = res.stderr.decode(errors="replace")
    assert res.returncode in (0, 1, 2), "exit %d: %s" % (res.returncode, err[-2000:])
    assert not any(m in err for m in SANITIZER_MARKS), err[-2000:]
    return res, err


def test_the_repro_files_are_all_here():
    assert len(CAPTURES) >= 4 and len(FILTERS) >= 6, FILES


@pytest.mark.parametrize("name", CAPTURES)
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: "_".join(f))
def test_damaged_capture_reads_cleanly(name, fmt):
    run_clean(["-r", os.path.join(REPRO, name), *fmt])


@pytest.mark.parametrize("name", FILTERS)
def test_hostile_filter_is_refused_or_runs_bounded(name):
    with open(os.path.join(REPRO, name)) as f:
        expr = f.read()
    res, err = run_clean(["-r", FILTER_CAPTURE, "-F", expr])
    # each of these is refused with a reason that names what is wrong
    assert res.returncode == 2, err[-500:]
    assert "filter:" in err.splitlines()[0], err[:500]


def test_a_send_with_pid_0_is_still_reported():
    # the mq join once took pid 0 for "already matched": the message vanished (and leaked)
    res, _ = run_clean(["-r", os.path.join(REPRO, "leak_mq_send_pid0"), "-f", "json"])
    assert res.returncode == 0
    assert b'"type":"mq-' in res.stdout, res.stdout[:500]
