"""ipcdumpd's syslog output against a real rsyslogd, started by the test with
its own configuration and socket (imuxsock with the RFC 5424 parser,
omfile in RSYSLOG_SyslogProtocol23Format and a template of the fields it
parsed), and its journald output against a systemd-journald the test
starts where it can."""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, ipcgen
from daemon_run import Daemon

IPCDUMPD = os.environ.get("IPCDUMPD", os.path.join(BUILD, "ipcdumpd-san"))
RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_SOCKET = "/run/systemd/journal/socket"

# what rsyslog parsed of each message, one line each ('|' cannot be in any field but MSG, which is last)
FIELDS_TEMPLATE = ("%syslogfacility-text%|%syslogseverity-text%|%app-name%|%procid%|%msgid%|"
                   "%timereported:::date-rfc3339%|%structured-data%|%msg%\\n")


class Rsyslogd:
    """rsyslogd -n on a socket in dir, writing every message to two files."""

    def __init__(self, dir):
        self.dir = dir
        self.socket = os.path.join(dir, "log.sock")
        self.rfc5424 = os.path.join(dir, "rfc5424.log")
        self.fields = os.path.join(dir, "fields.log")
        self.conf = os.path.join(dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write(
                'global(workDirectory="%s")\n' % dir
                # no /dev/log of its own: only the test's socket
                + 'module(load="imuxsock" SysSock.Use="off")\n'
                # UseSpecialParser off: the parser chain, whose RFC 5424 parser keeps the structured data;
                # the message's own time and host, not the receiver's
                + 'input(type="imuxsock" Socket="%s" UseSpecialParser="off" ParseHostname="on" '
                  'IgnoreTimestamp="off" UseSysTimeStamp="off" RateLimit.Interval="0")\n' % self.socket
                + 'template(name="fields" type="string" string="%s")\n' % FIELDS_TEMPLATE
                + '*.* action(type="omfile" file="%s" template="RSYSLOG_SyslogProtocol23Format")\n' % self.rfc5424
                + '*.* action(type="omfile" file="%s" template="fields")\n' % self.fields)
        self.proc = None

    def start(self):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf, "-i", os.path.join(self.dir, "pid")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 10
        while not os.path.exists(self.socket):
            assert self.proc.poll() is None, "rsyslogd exited: %s" % self.proc.stderr.read()
            assert time.time() < deadline, "rsyslogd did not make its socket"
            time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def lines(self, path):
        if not os.path.exists(path):
            return []
        with open(path, errors="replace") as f:
            return f.read().splitlines()

    def wait_for(self, text, timeout=10):
        """The fields lines once one holds text (rsyslog writes asynchronously)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            lines = self.lines(self.fields)
            if any(text in l for l in lines):
                return lines
            time.sleep(0.1)
        return self.lines(self.fields)


@pytest.fixture
def rsyslogd():
    dir = tempfile.mkdtemp(prefix="ipcd-rsyslog-")  # short: a unix socket path is at most 107 bytes
    r = Rsyslogd(dir)
    yield r
    r.stop()
    shutil.rmtree(dir, ignore_errors=True)


def start_daemon(conf_text, dir):
    """ipcdumpd with a config, started and waited for; stop() returns its stderr."""
    conf = os.path.join(dir, "ipcdumpd.yaml")
    with open(conf, "w") as f:
        f.write(conf_text)
    return Daemon(conf, settle=0.5, returns="text")


def syslog_conf(socket, filter="type == signal", fmt="text", extra=""):
    return ("trace:\n  types: [pipe, signal]\n  payload: 0\n"
            "outputs:\n  - type: syslog\n    socket: %s\n    facility: local3\n    severity: notice\n"
            "    format: %s\n    filter: '%s'\n%s" % (socket, fmt, filter, extra))


def set_comm_and_signal(comm):
    """A process named comm sends SIGUSR1 to a child of its own; the pids."""
    child = os.fork()
    if child == 0:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        signal.sigwait([signal.SIGUSR1])
        os._exit(0)
    sender = os.fork()
    if sender == 0:
        libc = ctypes.CDLL(None)
        libc.prctl(15, comm, 0, 0, 0)  # PR_SET_NAME
        os.kill(child, signal.SIGUSR1)
        os._exit(0)
    os.waitpid(sender, 0)
    os.waitpid(child, 0)
    return sender, child


def sd_params(line):
    """The SD-PARAMs of a fields line's [ipcdump@32473 ...], unescaped."""
    sd = line.split("|")[6]
    assert sd.startswith("[ipcdump@32473 ") and sd.endswith("]"), sd
    return {k: re.sub(r'\\(["\\\]])', r"\1", v)
            for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', sd[len("[ipcdump@32473 "):-1])}


def events_of(lines):
    return [(l.split("|"), sd_params(l)) for l in lines if "[ipcdump@32473 " in l]


def test_signal_reaches_rsyslog_once_with_its_structured_data(rsyslogd, tmp_path):
    rsyslogd.start()
    d = start_daemon(syslog_conf(rsyslogd.socket), str(tmp_path))
    try:
        sig = ipcgen("signals")
        pipe = ipcgen("pipe", "not for syslog\n")
        strange = set_comm_and_signal(b'sy"s]l\\og')
        err = d.stop()
    finally:
        d.kill()
    lines = rsyslogd.wait_for("src_pid=\"%d\"" % strange[0])
    assert "warning" not in err, err
    events = events_of(lines)
    usr1 = [(f, p) for f, p in events
            if (p.get("src_pid"), p.get("dst_pid"), p.get("signal")) == (str(sig["sender"]), str(sig["receiver"]), "10")]
    assert len(usr1) == 1, lines
    fields, params = usr1[0]
    assert fields[:5] == ["local3", "notice", "ipcdumpd", str(d.proc.pid), "signal"]
    assert params["type"] == "signal"
    assert params["src_comm"] == "ipct-sigsend" and params["dst_comm"] == "ipct-sigrecv"
    assert params["signal_name"] == "SIGUSR1"
    # MSG: the text line, after the structured data
    assert "signal %d(ipct-sigsend) > %d(ipct-sigrecv)" % (sig["sender"], sig["receiver"]) in fields[7]
    # the short-lived sender's signal too
    assert [p["src_comm"] for _, p in events if p.get("src_pid") == str(sig["short"])] == ["ipct-sigshort"]
    # the filter keeps pipes out
    assert all(p["type"] == "signal" for _, p in events)
    assert not [l for l in lines if str(pipe["writer"]) in l]
    # '"', ']' and '\' in a comm, escaped on the wire and read back whole
    odd = [p for _, p in events if p.get("src_pid") == str(strange[0])]
    assert [p["src_comm"] for p in odd] == ['sy"s]l\\og']
    raw = [l for l in rsyslogd.lines(rsyslogd.rfc5424) if 'src_pid="%d"' % strange[0] in l]
    assert len(raw) == 1 and 'src_comm="sy\\"s\\]l\\\\og"' in raw[0]
    # <PRI>: local3 (19) * 8 + notice (5)
    assert raw[0].startswith("<157>1 ")


def test_json_format_puts_the_event_as_json_in_msg(rsyslogd, tmp_path):
    rsyslogd.start()
    d = start_daemon(syslog_conf(rsyslogd.socket, fmt="json"), str(tmp_path))
    try:
        sig = ipcgen("signals")
        d.stop()
    finally:
        d.kill()
    lines = rsyslogd.wait_for('src_pid="%d"' % sig["short"])
    msgs = [json.loads(f[7].strip()) for f, p in events_of(lines) if p.get("src_pid") == str(sig["short"])]
    assert len(msgs) == 1
    assert (msgs[0]["type"], msgs[0]["src_pid"], msgs[0]["dst_pid"], msgs[0]["meta"]["name"]) == \
        ("signal", sig["short"], sig["receiver"], "SIGUSR2")


def test_missing_socket_warns_once_and_events_flow_when_rsyslog_comes(rsyslogd, tmp_path):
    """Missing at start: one warning, the run goes on; rsyslog starts, then restarts: events reach each."""
    d = start_daemon(syslog_conf(rsyslogd.socket), str(tmp_path))
    try:
        assert [l for l in d.start_lines if "warning" in l] == [
            "ipcdumpd: warning: syslog socket %s: No such file or directory; "
            "events to it are dropped and counted until it is back" % rsyslogd.socket]
        rsyslogd.start()
        time.sleep(0.3)  # the socket is looked for ten times a second
        first = ipcgen("signals")
        assert rsyslogd.wait_for('src_pid="%d"' % first["short"])
        rsyslogd.stop()
        rsyslogd.start()  # a new socket at the same path
        time.sleep(0.3)  # (the signal that stopped rsyslog met no socket)
        second = ipcgen("signals")
        err = d.stop()
    finally:
        d.kill()
    lines = rsyslogd.wait_for('src_pid="%d"' % second["short"])
    for run in (first, second):
        assert len([1 for _, p in events_of(lines) if p.get("src_pid") == str(run["short"])]) == 1, lines
    # one warning of the missing socket (and the output's own drop warning, with its count)
    assert err.count("warning: syslog socket") == 1, err


def test_syslog_keys_are_checked(tmp_path):
    bad = [
        ("    severity: loud\n", "unknown syslog severity 'loud'"),
        ("    tag: 'two words'\n",
         "'tag' takes 1 to 48 printable ASCII characters without spaces, not 'two words'"),
        ("    journald: maybe\n", "'journald' takes auto, true or false, not 'maybe'"),
        ("    socket: ''\n", "'socket' is empty"),
    ]
    for extra, message in bad:
        path = tmp_path / "c.yaml"
        path.write_text("outputs:\n  - type: syslog\n" + extra)
        r = subprocess.run([IPCDUMPD, "-c", str(path), "--check-config"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2
        assert r.stderr == "%s:3:%d: error: %s\n" % (path, extra.index(":") + 3, message)


# ---- journald ---------------------------------------------------------------------------------

def journald_listening():
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        try:
            s.connect(JOURNAL_SOCKET)
            return True
        except OSError:
            return False


def test_journald_true_without_journald_warns_and_runs(tmp_path):
    if journald_listening():
        pytest.skip("journald runs here")
    conf = "trace:\n  types: [signal]\noutputs:\n  - type: syslog\n    journald: true\n"
    d = start_daemon(conf, str(tmp_path))
    try:
        ipcgen("signals")
        err = d.stop()
    finally:
        d.kill()
    assert [l for l in err.splitlines() if "warning" in l] == [
        "ipcdumpd: warning: journald is not running (%s takes no messages); "
        "events to it are dropped and counted until it does" % JOURNAL_SOCKET]


@pytest.fixture
def journald():
    """A systemd-journald of the test's own when none runs (this machine's PID 1 is not systemd)."""
    if journald_listening():
        yield None  # one runs already: use it
        return
    if not os.access(JOURNALD, os.X_OK) or not shutil.which("journalctl"):
        pytest.skip("no systemd-journald to start (%s)" % JOURNALD)
    made = [p for p in ("/run/systemd/journal", "/run/log/journal", "/run/log") if not os.path.exists(p)]
    if os.path.exists(JOURNAL_SOCKET):
        os.unlink(JOURNAL_SOCKET)  # left by a journald that stopped
    proc = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    while not journald_listening() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if not journald_listening():
        proc.kill()
        err = proc.communicate()[1]
        pytest.skip("systemd-journald does not start here: %s" % err.strip()[-200:])
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for path in made:  # leave /run as it was
        shutil.rmtree(path, ignore_errors=True)


def test_journald_gets_native_fields(journald, tmp_path):
    tag = "ipcdumpd-test-%d" % os.getpid()
    conf = ("trace:\n  types: [pipe, signal]\n  payload: 0\n"
            "outputs:\n  - type: syslog\n    facility: local3\n    severity: notice\n    tag: %s\n"
            "    filter: 'type == signal'\n    journald: auto\n" % tag)
    d = start_daemon(conf, str(tmp_path))
    try:
        sig = ipcgen("signals")
        pipe = ipcgen("pipe", "not for the journal\n")
        err = d.stop()
    finally:
        d.kill()
    assert "warning" not in err, err
    deadline = time.time() + 10
    while True:
        r = subprocess.run(["journalctl", "--no-pager", "-o", "json", "SYSLOG_IDENTIFIER=%s" % tag],
                           capture_output=True, text=True, timeout=60)
        entries = [json.loads(l) for l in r.stdout.splitlines()]
        if any(e.get("IPCDUMP_SRC_PID") == str(sig["short"]) for e in entries) or time.time() > deadline:
            break
        time.sleep(0.2)
    usr1 = [e for e in entries if (e.get("IPCDUMP_SRC_PID"), e.get("IPCDUMP_DST_PID"), e.get("IPCDUMP_SIGNAL"))
            == (str(sig["sender"]), str(sig["receiver"]), "10")]
    assert len(usr1) == 1, entries
    e = usr1[0]
    assert (e["PRIORITY"], e["SYSLOG_FACILITY"]) == ("5", "19")
    assert (e["IPCDUMP_TYPE"], e["IPCDUMP_SRC_COMM"], e["IPCDUMP_DST_COMM"]) == \
        ("signal", "ipct-sigsend", "ipct-sigrecv")
    assert (e["IPCDUMP_CHANNEL"], e["IPCDUMP_BYTES"], e["IPCDUMP_SIGNAL_NAME"]) == ("SIGUSR1", "0", "SIGUSR1")
    assert "signal %d(ipct-sigsend) > %d(ipct-sigrecv)" % (sig["sender"], sig["receiver"]) in e["MESSAGE"]
    assert not [x for x in entries if x.get("IPCDUMP_SRC_PID") == str(pipe["writer"])]
    assert all(x["IPCDUMP_TYPE"] == "signal" for x in entries)
