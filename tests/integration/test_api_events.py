"""The store's endpoints end to end: a real daemon storing a workload in its
SQLite output, read with the real curl over TLS with a token: pages of
/api/v1/events against the store and `ipcdump -r`, the 400 for a bad filter,
/api/v1/events/stream receiving a workload started after subscribing (with
the store's ids) and resuming with Last-Event-ID, stats and graph.
"""
import json
import sqlite3
import subprocess
import threading
import time

import pytest

from api_run import READ_TOKEN, api_section, curl, free_port, header, make_cert, wait_stream_clients, write_conf
from conftest import BUILD
from daemon_run import Writer, daemons  # noqa: F401 (daemons: a fixture)

WRITERS_ONLY = 'trace:\n  types: [pipe]\n  payload: 64\n  filter: \'comm == "ipcdw*"\'\n'
IPCDUMP = BUILD + "/ipcdump-san"


@pytest.fixture
def stored(tmp_path, daemons):
    """A daemon storing the writers' pipes, its API on TLS: (daemon, url, cacert, store path)."""
    cert, key = make_cert(str(tmp_path))
    port = free_port()
    db = tmp_path / "events.db"
    conf = tmp_path / "d.yaml"
    write_conf(conf, outputs="  - type: sqlite\n    path: %s\n" % db, trace=WRITERS_ONLY,
               api=api_section(port, cert=cert, key=key, users=False))
    d = daemons(conf)
    return d, "https://127.0.0.1:%d" % port, cert, str(db)


def store_ids(db, comm):
    con = sqlite3.connect(db, timeout=30)
    try:
        return [r[0] for r in con.execute("SELECT id FROM events WHERE src_comm = ? ORDER BY id", (comm,))]
    finally:
        con.close()


def wait_stored(db, comm, n, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = store_ids(db, comm)
        if len(ids) >= n:
            return ids
        time.sleep(0.2)
    raise AssertionError("the store holds %d of %d events" % (len(store_ids(db, comm)), n))


def get(url, ca, path, *args, **params):
    extra = []
    for name, value in params.items():
        extra += ["--data-urlencode", "%s=%s" % (name, value)]
    return curl(url + path, "-G", *(extra + list(args)), cacert=ca, token=READ_TOKEN)


def test_pages_hold_every_stored_event_once(stored):
    d, url, ca, db = stored
    w = Writer(300, gap=0.002)
    w.wait()
    ids = wait_stored(db, w.comm, 300)
    seen, cursor, pages = [], 0, 0
    while True:
        status, headers, body = get(url, ca, "/api/v1/events", filter='src.comm == "%s"' % w.comm, limit=70,
                                    cursor=cursor)
        assert status == 200
        assert ("content-type", "application/x-ndjson") in headers
        events = [json.loads(line) for line in body.decode().splitlines()]
        assert all(e["src_comm"] == w.comm for e in events)
        seen += [e["id"] for e in events]
        cursor = int(header(headers, "x-next-cursor")[0])
        pages += 1
        if header(headers, "x-more") == ["false"]:
            break
    assert seen == ids
    assert pages == 5


def test_objects_are_ipcdump_r_json_with_the_id(stored):
    d, url, ca, db = stored
    w = Writer(20, gap=0.005)
    w.wait()
    ids = wait_stored(db, w.comm, 20)
    status, headers, body = get(url, ca, "/api/v1/events", "-H", "Accept: application/json",
                                filter='src.comm == "%s"' % w.comm)
    assert status == 200
    assert ("content-type", "application/json") in headers
    api = json.loads(body)
    assert [e.pop("id") for e in api] == ids
    cli = subprocess.run([IPCDUMP, "-r", db, "-f", "json", "-q", 'src.comm == "%s"' % w.comm],
                         capture_output=True, text=True, check=True).stdout
    assert api == [json.loads(line) for line in cli.splitlines()]


def test_a_bad_filter_is_a_400_with_the_caret(stored):
    d, url, ca, db = stored
    status, headers, body = get(url, ca, "/api/v1/events", filter="pid == 5 and colour == red")
    assert status == 400
    assert json.loads(body) == {"error": "filter: unknown field 'colour' at column 14\n"
                                         "  pid == 5 and colour == red\n               ^"}


class Subscriber:
    """curl -N on the stream for a while: its server-sent events as (id, event, data)."""

    def __init__(self, url, ca, comm, seconds, last_event_id=None):
        cmd = ["curl", "-s", "-N", "--max-time", str(seconds), "--cacert", ca, "-H",
               "Authorization: Bearer " + READ_TOKEN, "-G", "--data-urlencode", 'filter=src.comm == "%s"' % comm]
        if last_event_id is not None:
            cmd += ["-H", "Last-Event-ID: %d" % last_event_id]
        self.proc = subprocess.Popen(cmd + [url + "/api/v1/events/stream"], stdout=subprocess.PIPE)
        self.out = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        self.out = self.proc.stdout.read()

    def events(self):
        self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        events = []
        for block in self.out.decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
            if fields:
                events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
        return events


def test_stream_gets_a_later_workload_with_store_ids_and_resumes(stored):
    d, url, ca, db = stored
    w = Writer(40, gap=0.01, hold=True)    # ready, not started: its comm is known
    sub = Subscriber(url, ca, w.comm, 6)
    wait_stream_clients(url, ca, 1)
    w.go()
    w.wait()
    live = sub.events()
    ids = wait_stored(db, w.comm, 40)
    assert [i for i, _, _ in live] == ids
    assert all(event == "pipe" and data["id"] == i and data["src_comm"] == w.comm for i, event, data in live)
    # a client that had the first ten comes back: the rest, from the store, none twice
    again = Subscriber(url, ca, w.comm, 3, last_event_id=ids[9]).events()
    assert [i for i, _, _ in again] == ids[10:]


def test_stats_and_graph_count_the_workload(stored):
    d, url, ca, db = stored
    w = Writer(30, gap=0.005)
    w.wait()
    n = len(wait_stored(db, w.comm, 30))
    status, _, body = get(url, ca, "/api/v1/stats", by="comm", window="5m", filter='src.comm == "%s"' % w.comm)
    assert status == 200
    rows = {r["comm"]: r for r in json.loads(body)["comms"]}
    assert rows[w.comm]["messages"] == n
    status, _, body = get(url, ca, "/api/v1/graph", since="-5m", filter='src.comm == "%s"' % w.comm)
    assert status == 200
    graph = json.loads(body)
    assert "comm:" + w.comm in [node["id"] for node in graph["nodes"]]
    # to its reader, and its "ready" line to the test
    assert sum(e["messages"] for e in graph["edges"] if e["src"] == "comm:" + w.comm) == n
