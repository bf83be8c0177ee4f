"""ipcdumpd's SQLite output (type: sqlite): a hidden workload stored once and
read back with the sqlite3 CLI and ipcdump -r; a kill -9 loses at most the
last batch and the next start says what it recovered; retention deletes old
rows in the background; a database locked by another connection loses nothing."""
import base64
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
import time

import pytest

import daemon_run
from conftest import IPCDUMP, ipcgen

STARTED = []


@pytest.fixture(autouse=True)
def no_daemon_left():
    """A failed test leaves no ipcdumpd tracing behind."""
    yield
    while STARTED:
        STARTED.pop().kill()


def query(path, sql):
    res = subprocess.run(["sqlite3", "-separator", "|", path, sql], capture_output=True, timeout=30, check=True)
    return [l.split("|") for l in res.stdout.decode().splitlines()]


def read_back(path, *args):
    res = subprocess.run([IPCDUMP, "-r", path, *args], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res


def sqlite_daemon(tmp_path, output="", trace="  types: [pipe, signal]\n  payload: 64\n", name="run.yaml"):
    """ipcdumpd with a config of one sqlite output (at .db); stop(sig) gives the exit status, stderr in .stderr."""
    db = str(tmp_path / "events.db")
    conf = tmp_path / name
    conf.write_text("trace:\n%soutputs:\n  - type: sqlite\n    path: %s\n%s" % (trace, db, output))
    d = daemon_run.Daemon(conf, returns="status")
    d.db = db
    STARTED.append(d)
    return d


def hexed(text):
    return text.encode().hex().upper()


def hidden_workload():
    """Known pipe messages and signals between short-lived processes."""
    pipe = ipcgen("pipe", "stored by ipcdumpd\n")
    sig = ipcgen("signals")
    return pipe, sig


def pipe_rows(db, pipe):
    return query(db, "select src_comm, dst_comm, size, hex(payload) from events where type = 'pipe'"
                 " and src_pid = %d and dst_pid = %d" % (pipe["writer"], pipe["reader"]))


def test_a_hidden_workload_is_stored_once_and_reads_back(tmp_path):
    d = sqlite_daemon(tmp_path)
    pipe, sig = hidden_workload()
    time.sleep(0.5)
    assert d.stop() == 0, d.stderr
    assert stat.S_IMODE(os.stat(d.db).st_mode) == 0o600
    assert pipe_rows(d.db, pipe) == [["ipct-writer", "ipct-reader", "19", hexed("stored by ipcdumpd\n")]]
    rows = query(d.db, "select src_comm, dst_comm, channel from events where type = 'signal'"
                 " and src_pid = %d and dst_pid = %d order by id" % (sig["sender"], sig["receiver"]))
    assert rows == [["ipct-sigsend", "ipct-sigrecv", "SIGUSR1"], ["ipct-sigsend", "ipct-sigrecv", "SIGRTMIN+2"]]
    # the run ended cleanly, with its count
    assert query(d.db, "select clean, events > 0, ended_wall_ns >= started_wall_ns from runs") == [["1", "1", "1"]]

    # ipcdump -r: the same events, through the filter (pushed into SQL) and the formats
    events = [json.loads(l) for l in read_back(d.db, "-f", "json", "-x", "src.pid == %d" % pipe["writer"]).stdout.splitlines()]
    mine = [e for e in events if e["type"] == "pipe" and e["dst_pid"] == pipe["reader"]]
    assert len(mine) == 1 and base64.b64decode(mine[0]["bytes"]) == b"stored by ipcdumpd\n"
    text = read_back(d.db, "type == signal and pid == %d" % sig["receiver"]).stdout.splitlines()
    mine = [l for l in text if " %d(ipct-sigsend) > %d(ipct-sigrecv): " % (sig["sender"], sig["receiver"]) in l]
    assert len(mine) == 2 and "name SIGUSR1, code SI_USER" in mine[0] and "value 4242" in mine[1], text


def test_the_output_filter_and_payload_apply(tmp_path):
    d = sqlite_daemon(tmp_path, output="    filter: 'type == pipe'\n    payload: 0\n")
    pipe, sig = hidden_workload()
    time.sleep(0.5)
    assert d.stop() == 0, d.stderr
    assert query(d.db, "select count(*) from events where type = 'signal'") == [["0"]]
    assert pipe_rows(d.db, pipe) == [["ipct-writer", "ipct-reader", "19", ""]]


def test_kill_9_loses_at_most_the_last_batch_and_the_next_start_says_so(tmp_path):
    d = sqlite_daemon(tmp_path)
    pipe, _ = hidden_workload()
    time.sleep(2.5)   # the batch is committed within a second
    d.proc.kill()
    d.proc.wait(timeout=30)
    assert pipe_rows(d.db, pipe) == [["ipct-writer", "ipct-reader", "19", hexed("stored by ipcdumpd\n")]]
    stored = int(query(d.db, "select count(*) from events")[0][0])
    assert query(d.db, "select count(*) from runs where ended_wall_ns is null") == [["1"]]

    again = sqlite_daemon(tmp_path)
    assert again.stop() == 0, again.stderr
    message = "ipcdumpd: info: the previous run did not stop cleanly; %d events from it are in the store\n" % stored
    assert message in again.stderr
    assert query(again.db, "select clean, events from runs order by id") == [["0", str(stored)], ["1", again_count(again.db)]]


def again_count(db):
    first = query(db, "select first_event_id from runs order by id desc limit 1")[0][0]
    return query(db, "select count(*) from events where id >= %s" % first)[0][0]


def test_retention_deletes_old_rows_in_the_background(tmp_path):
    db = tmp_path / "events.db"
    # a store from last week: rows an hour-long retention deletes
    first = sqlite_daemon(tmp_path)
    assert first.stop() == 0
    week_ago = (time.time() - 7 * 86400) * 1e9
    con = sqlite3.connect(str(db))
    con.executemany("insert into events (ts_ns, wall_ns, type, size, flags) values (1, ?, 'pipe', 1, 0)",
                    [(int(week_ago) + i,) for i in range(5000)])
    con.commit()
    con.close()
    d = sqlite_daemon(tmp_path, output="    retention: 1h\n")
    pipe, _ = hidden_workload()
    deadline = time.time() + 20
    while time.time() < deadline and query(str(db), "select count(*) from events where wall_ns < %d" % (week_ago + 1e9)) != [["0"]]:
        time.sleep(0.2)
    time.sleep(1.5)
    assert d.stop() == 0, d.stderr
    assert query(str(db), "select count(*) from events where wall_ns < %d" % (week_ago + 1e9)) == [["0"]]
    assert pipe_rows(str(db), pipe) == [["ipct-writer", "ipct-reader", "19", hexed("stored by ipcdumpd\n")]]


PIPE_BURST = r"""
import os, sys
open("/proc/self/comm", "w").write("ipcdburst")
r, w = os.pipe()
msg = b"x" * 60 + b"\n"
for i in range(int(sys.argv[1])):
    os.write(w, msg)
    os.read(r, 4096)
"""


def store_files_bytes(db):
    """What du counts of a store: the database, its WAL and its shared-memory index."""
    return sum(os.path.getsize(db + s) for s in ("", "-wal", "-shm") if os.path.exists(db + s))


def test_a_size_retention_keeps_the_stores_files_near_the_size(tmp_path):
    # the burst's events alone: the machine's others would push them out of the bound
    d = sqlite_daemon(tmp_path, output="    retention: 1M\n",
                      trace="  types: [pipe]\n  payload: 64\n  filter: 'comm == \"ipcdburst\"'\n")
    subprocess.run([sys.executable, "-c", PIPE_BURST, "30000"], check=True, timeout=120)  # ~10M of rows
    biggest, deadline = 0, time.time() + 30
    # the writer's last batches land, then a pass or two of retention
    while time.time() < deadline:
        time.sleep(1)
        size = store_files_bytes(d.db)
        biggest = max(biggest, size)
        if query(d.db, "select count(*) from events where type = 'pipe'")[0][0] != "0" and size <= 1 << 20:
            break
    time.sleep(2)
    running = store_files_bytes(d.db)
    assert d.stop() == 0, d.stderr
    # the files, WAL included, not only the rows: a second's events over at most
    assert running <= 1.25 * (1 << 20), (running, biggest)
    assert store_files_bytes(d.db) <= 1.25 * (1 << 20)
    assert query(d.db, "pragma auto_vacuum") == [["2"]]
    kept = int(query(d.db, "select count(*) from events where type = 'pipe' and size = 61")[0][0])
    assert 0 < kept < 30000


def test_a_store_made_without_auto_vacuum_is_said_to_keep_its_size(tmp_path):
    db = str(tmp_path / "events.db")
    con = sqlite3.connect(db)
    con.execute("create table t (x)")  # a store made before: auto_vacuum is fixed at its first table
    con.commit()
    con.close()
    d = sqlite_daemon(tmp_path, output="    retention: 1M\n")
    assert d.stop() == 0, d.stderr
    assert ("ipcdumpd: warning: %s: made without auto-vacuum: retention keeps its rows under the size, but the "
            "file does not shrink below the most it held; to convert it, with the writer stopped: sqlite3 %s "
            "'PRAGMA auto_vacuum=INCREMENTAL; VACUUM'\n" % (db, db)) in d.stderr
    assert query(db, "pragma auto_vacuum") == [["0"]]


def test_a_database_locked_by_another_connection_loses_nothing(tmp_path):
    d = sqlite_daemon(tmp_path)
    held = threading.Event()

    def hold_lock():
        con = sqlite3.connect(d.db, timeout=30, isolation_level=None)
        con.execute("begin immediate")
        held.set()
        time.sleep(1.5)
        con.execute("commit")
        con.close()

    locker = threading.Thread(target=hold_lock)
    locker.start()
    assert held.wait(30)
    runs = [ipcgen("pipe", "locked out %d\n" % i) for i in range(5)]
    locker.join()
    time.sleep(1.5)
    assert d.stop() == 0, d.stderr
    for i, pipe in enumerate(runs):
        assert pipe_rows(d.db, pipe) == [["ipct-writer", "ipct-reader", "13", hexed("locked out %d\n" % i)]]
    # the exit summary's line for the output: nothing dropped, no drop warning while locked
    assert re.search(r"output 1 \(sqlite [^)]*\): \d+ written, 0 dropped$", d.stderr, re.M), d.stderr
    assert "is dropping events" not in d.stderr
