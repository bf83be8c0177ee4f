"""-w FILE.db: the events as rows of a SQLite store (docs/storage.md), read back with the sqlite3 CLI."""
import os
import stat
import subprocess

from conftest import Tracer, ipcgen


def query(path, sql):
    res = subprocess.run(["sqlite3", "-separator", "|", path, sql], capture_output=True, timeout=30, check=True)
    return [l.split("|") for l in res.stdout.decode().splitlines()]


def store(tmp_path, *args):
    path = str(tmp_path / "x.db")
    return Tracer("-w", path, *args, fmt=None), path


def test_a_pipe_message_and_a_signal_are_each_one_row(tmp_path):
    t, path = store(tmp_path, "-t", "pipe,signal", "-x")
    pipe = ipcgen("pipe", "stored in sqlite")
    sig = ipcgen("signals")
    t.stop()
    assert t.text == ""
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    rows = query(path, "select src_pid, src_comm, dst_pid, dst_comm, size, hex(payload) from events"
                 " where type = 'pipe' and src_pid = %d and dst_pid = %d" % (pipe["writer"], pipe["reader"]))
    assert rows == [[str(pipe["writer"]), "ipct-writer", str(pipe["reader"]), "ipct-reader",
                     "16", b"stored in sqlite".hex().upper()]], rows
    rows = query(path, "select src_comm, dst_comm, channel from events where type = 'signal'"
                 " and src_pid = %d and dst_pid = %d order by ts_ns" % (sig["sender"], sig["receiver"]))
    # the scenario's sender sends SIGUSR1 and SIGRTMIN+2 (its SIGUSR2 comes from elsewhere)
    assert rows == [["ipct-sigsend", "ipct-sigrecv", "SIGUSR1"],
                    ["ipct-sigsend", "ipct-sigrecv", "SIGRTMIN+2"]], rows
    assert query(path, "select value from meta where key = 'schema_version'") == [["2"]]
    assert query(path, "pragma journal_mode") == [["wal"]]


def test_capture_names_still_write_a_capture(tmp_path):
    path = str(tmp_path / "cap.ipcd")
    t = Tracer("-w", path, "-t", "pipe", fmt=None)
    ipcgen("pipe", "capture")
    t.stop()
    with open(path, "rb") as f:
        assert not f.read(16).startswith(b"SQLite format")
