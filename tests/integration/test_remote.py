"""ipcdump --remote against a real ipcdumpd: its output equals a local
`ipcdump -r store.db` of the same events, querying the store with --since
and following the live stream (resumed across a restart of the daemon with
Last-Event-ID, no gap, no duplicate); one line and exit 1 for a refused
token, exit 2 for a URL that is none, a token file others may read refused.

The API's server and endpoints come from other branches: without an
`api:` section that this ipcdumpd's --check-config takes, or without the
API's test helpers, the daemon tests are skipped.
"""
import signal
import subprocess
import threading
import time

import pytest

from conftest import BUILD
from daemon_run import Writer, daemons  # noqa: F401 (daemons: a fixture)

try:
    from api_run import READ_TOKEN, api_section, free_port, make_cert, wait_stream_clients, write_conf
except ImportError:   # the API's helpers are not merged yet
    api_section = None

IPCDUMP = BUILD + "/ipcdump-san"
IPCDUMPD = BUILD + "/ipcdumpd-san"
WRITERS_ONLY = 'trace:\n  types: [pipe]\n  payload: 64\n  filter: \'comm == "ipcdw*"\'\n'
# the writers' numbered messages (7 bytes), not their "ready" line to the test
MESSAGES = 'src.comm == "%s" and bytes == 7'


def api_supported(tmp_path):
    if api_section is None:
        return False
    conf = tmp_path / "probe.yaml"
    write_conf(conf, api=api_section(free_port(), users=False, insecure=True))
    return subprocess.run([IPCDUMPD, "-c", str(conf), "--check-config"], capture_output=True).returncode == 0


@pytest.fixture
def remote(tmp_path, daemons):
    """A daemon storing the writers' pipes, its API on TLS with a token: a dict of what the tests need."""
    if not api_supported(tmp_path):
        pytest.skip("this ipcdumpd has no api: section yet")
    cert, key = make_cert(str(tmp_path))
    port = free_port()
    db = tmp_path / "events.db"
    conf = tmp_path / "d.yaml"
    write_conf(conf, outputs="  - type: sqlite\n    path: %s\n" % db, trace=WRITERS_ONLY,
               api=api_section(port, cert=cert, key=key, users=False))
    token = tmp_path / "token"
    token.write_text(READ_TOKEN + "\n")
    token.chmod(0o600)
    return {"daemon": daemons(conf), "start": lambda: daemons(conf), "url": "https://127.0.0.1:%d" % port,
            "cacert": cert,
            "args": ["--remote", "https://127.0.0.1:%d" % port, "--token-file", str(token), "--cacert", cert],
            "db": str(db), "tmp": tmp_path}


def stored_count(db, filt):
    out = subprocess.run([IPCDUMP, "-r", db, "-q", "-f", "json", filt], capture_output=True, text=True).stdout
    return len(out.splitlines())


def wait_stored(db, filt, n, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stored_count(db, filt) >= n:
            return
        time.sleep(0.2)
    raise AssertionError("the store holds %d of %d events" % (stored_count(db, filt), n))


def local(db, *args):
    return subprocess.run([IPCDUMP, "-r", db, "-q"] + list(args), capture_output=True, text=True, check=True).stdout


def remote_run(r, *args):
    return subprocess.run([IPCDUMP, "-q"] + r["args"] + list(args), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("fmt", [["-f", "text"], ["-f", "json", "-x"], ["-f", "csv"], ["-x", "-A"],
                                 ["--stats"], ["--analyze"]])
def test_a_query_prints_what_a_local_read_of_the_store_prints(remote, fmt):
    w = Writer(40, gap=0.002)
    w.wait()
    wait_stored(remote["db"], MESSAGES % w.comm, 40)
    # a filter SQL takes whole: --stats' span starts at the first event a store read looks at
    filt = 'src.comm == "%s"' % w.comm
    got = remote_run(remote, "--since", "-10m", *fmt, filt)
    assert got.returncode == 0, got.stderr
    assert got.stdout == local(remote["db"], "--since", "-10m", *fmt, filt)
    assert len(got.stdout) > 0


def test_a_query_filters_on_the_server_and_here_alike(remote):
    w = Writer(10, gap=0.002)
    w.wait()
    wait_stored(remote["db"], MESSAGES % w.comm, 10)
    # -t and -p are checked here, the expression on the server too
    args = ["--since", "-10m", "-t", "pipe", "-f", "json", 'src.comm == "%s" and bytes == 7' % w.comm]
    got = remote_run(remote, *args)
    assert got.returncode == 0, got.stderr
    assert got.stdout == local(remote["db"], *args)
    assert len(got.stdout.splitlines()) == 10


class LaterWriter(Writer):
    """A Writer whose comm is known before it starts: a follower subscribes first."""

    def __init__(self, n, gap=0.01):
        super().__init__(n, gap, hold=True)

    def start(self):
        self.go()
        return self


class Follower:
    """ipcdump --remote following the stream until stopped with SIGINT."""

    def __init__(self, r, *args):
        self.proc = subprocess.Popen([IPCDUMP] + r["args"] + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.out = self.err = ""
        self.threads = [threading.Thread(target=self._read, args=(name,), daemon=True) for name in ("out", "err")]
        for t in self.threads:
            t.start()

    def _read(self, name):
        setattr(self, name, (self.proc.stdout if name == "out" else self.proc.stderr).read())

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=30)
        for t in self.threads:
            t.join(timeout=10)
        return rc


def test_a_follow_prints_what_a_local_read_prints(remote):
    w = LaterWriter(30)
    filt = MESSAGES % w.comm
    f = Follower(remote, "-f", "json", filt)
    wait_stream_clients(remote["url"], remote["cacert"], 1)
    w.start().wait()
    wait_stored(remote["db"], filt, 30)
    time.sleep(1)
    assert f.stop() == 0, f.err
    assert f.out == local(remote["db"], "-f", "json", filt)
    assert len(f.out.splitlines()) == 30
    assert "30 events printed" in f.err


def test_a_follow_ends_after_count_events(remote):
    w = LaterWriter(20)
    filt = MESSAGES % w.comm
    p = subprocess.Popen([IPCDUMP, "-q", "-c", "5"] + remote["args"] + [filt], stdout=subprocess.PIPE, text=True)
    wait_stream_clients(remote["url"], remote["cacert"], 1)
    w.start().wait()
    out, _ = p.communicate(timeout=30)
    assert p.returncode == 0
    wait_stored(remote["db"], filt, 20)
    assert out.splitlines() == local(remote["db"], "-c", "5", filt).splitlines()


def test_a_follow_resumes_after_the_daemon_restarts_without_gap_or_duplicate(remote):
    a, b = LaterWriter(20), LaterWriter(20)
    filt = '(src.comm == "%s" or src.comm == "%s") and bytes == 7' % (a.comm, b.comm)
    f = Follower(remote, "-f", "json", filt)
    wait_stream_clients(remote["url"], remote["cacert"], 1)
    a.start().wait()
    wait_stored(remote["db"], MESSAGES % a.comm, 20)
    remote["daemon"].stop()
    remote["start"]()
    b.start().wait()
    wait_stored(remote["db"], MESSAGES % b.comm, 20)
    time.sleep(2)
    assert f.stop() == 0, f.err
    assert "resuming after event" in f.err
    assert f.out == local(remote["db"], "-f", "json", filt)
    assert len(f.out.splitlines()) == 40


def test_a_wrong_token_is_one_line_and_exit_1(remote):
    bad = remote["tmp"] / "bad-token"
    bad.write_text("not-the-token\n")
    bad.chmod(0o600)
    args = [a if a != remote["args"][3] else str(bad) for a in remote["args"]]
    got = subprocess.run([IPCDUMP] + args + ["--since", "-1m"], capture_output=True, text=True, timeout=30)
    assert got.returncode == 1
    assert got.stderr == "ipcdump: remote: 401 Unauthorized\n"
    assert got.stdout == ""


def test_an_unknown_ca_is_refused_and_k_takes_it(remote):
    base = remote["args"][:4]   # --remote URL --token-file F, no --cacert
    got = subprocess.run([IPCDUMP, "-q"] + base + ["--since", "-1m"], capture_output=True, text=True, timeout=30)
    assert got.returncode == 1
    assert got.stderr.startswith("ipcdump: remote: %s: " % remote["url"])
    assert len(got.stderr.splitlines()) == 1
    got = subprocess.run([IPCDUMP, "-q", "-k"] + base + ["--since", "-1m"], capture_output=True, text=True,
                         timeout=30)
    assert got.returncode == 0, got.stderr


def test_a_token_file_others_may_read_is_refused(tmp_path):
    token = tmp_path / "token"
    token.write_text("secret\n")
    token.chmod(0o644)
    got = subprocess.run([IPCDUMP, "--remote", "https://127.0.0.1:1", "--token-file", str(token)],
                         capture_output=True, text=True, timeout=30)
    assert got.returncode == 1
    assert "must not be open to group or others" in got.stderr
    assert len(got.stderr.splitlines()) == 1


@pytest.mark.parametrize("url", ["ftp://host", "host:9477", "https://", "https://host/?a=b", "unix:relative"])
def test_a_url_that_is_none_exits_2(url):
    got = subprocess.run([IPCDUMP, "--remote", url], capture_output=True, text=True, timeout=30)
    assert got.returncode == 2
    assert "is not a daemon's URL" in got.stderr


def test_a_daemon_that_is_not_there_is_one_line_and_exit_1():
    got = subprocess.run([IPCDUMP, "--remote", "http://127.0.0.1:1"], capture_output=True, text=True, timeout=30)
    assert got.returncode == 1
    assert got.stderr.startswith("ipcdump: remote: http://127.0.0.1:1: ")
    assert len(got.stderr.splitlines()) == 1


@pytest.mark.parametrize("args,says", [
    (["-r", "x.ipcd"], "one source of events at a time"),
    (["-w", "x.ipcd"], "not in a capture file"),
    (["--follow", "1"], "follows no process"),
])
def test_remote_refuses_what_it_cannot_do(args, says):
    got = subprocess.run([IPCDUMP, "--remote", "https://127.0.0.1:1"] + args, capture_output=True, text=True)
    assert got.returncode == 2
    assert says in got.stderr


def test_token_file_without_remote_is_a_usage_error():
    got = subprocess.run([IPCDUMP, "--token-file", "/dev/null"], capture_output=True, text=True)
    assert got.returncode == 2
    assert "go with --remote" in got.stderr
