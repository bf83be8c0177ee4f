"""ipcdumpd under systemd: what it says on NOTIFY_SOCKET (READY=1 once tracing,
WATCHDOG=1 while the loop turns, STOPPING=1 on SIGTERM), and the unit file
dist/ipcdumpd.service as systemd-analyze verify reads it; make install of the
service (unit, sample configuration kept if there is one) and its completion."""
import base64
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, ipcgen
from test_daemon import IPCDUMPD

UNIT = os.path.join(ROOT, "dist", "ipcdumpd.service")
START_TIMEOUT = 60


class NotifySocket:
    """The datagram socket systemd would listen on; messages() parses what came."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def receive(self, timeout):
        """The next message as a dict of its KEY=VALUE lines, or None after timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)

    def wait_for(self, key, timeout, seen=None):
        """Messages until one with key; each one read is appended to seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.receive(max(deadline - time.monotonic(), 0.01))
            if msg is None:
                break
            if seen is not None:
                seen.append(msg)
            if key in msg:
                return msg
        return None

    def drain(self, seconds):
        """Every message for that long."""
        got, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self.receive(max(deadline - time.monotonic(), 0.01))
            if msg is not None:
                got.append(msg)
        return got

    def close(self):
        self.sock.close()


@pytest.fixture
def notify(tmp_path):
    s = NotifySocket(tmp_path / "notify.sock")
    yield s
    s.close()


def start_daemon(tmp_path, notify, watchdog_pid=None):
    """ipcdumpd with a json file output, as systemd starts it; (process, output path).

    WATCHDOG_PID is the daemon's own pid when watchdog_pid is "self": the shell
    sets it to $$ and execs the daemon in its place."""
    out = tmp_path / "events.json"
    conf = tmp_path / "run.yaml"
    conf.write_text("trace:\n  types: [pipe]\n  payload: 64\n"
                    "outputs:\n  - type: file\n    path: %s\n    format: json\n" % out)
    env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="1000000")
    env.pop("WATCHDOG_PID", None)
    if watchdog_pid == "self":
        cmd = ["sh", "-c", 'export WATCHDOG_PID=$$; exec "$0" "$@"', IPCDUMPD, "-c", str(conf)]
    else:
        if watchdog_pid is not None:
            env["WATCHDOG_PID"] = str(watchdog_pid)
        cmd = [IPCDUMPD, "-c", str(conf)]
    d = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    return d, out


def stop_daemon(d):
    if d.poll() is None:
        d.send_signal(signal.SIGTERM)
    try:
        return d.communicate(timeout=60)[1]
    finally:
        if d.poll() is None:
            d.kill()


def pipe_messages(out, report):
    events = [json.loads(line) for line in out.read_text().splitlines()]
    ends = (report["writer"], report["reader"])
    return [base64.b64decode(e["bytes"]) for e in events
            if e["type"] == "pipe" and (e["src_pid"], e["dst_pid"]) == ends]


def test_ready_watchdog_and_stopping(tmp_path, notify):
    d, out = start_daemon(tmp_path, notify, watchdog_pid="self")
    try:
        before = []
        ready = notify.wait_for("READY", START_TIMEOUT, before)
        assert ready is not None, "no READY=1: %s" % stop_daemon(d)
        assert ready["READY"] == "1" and ready["STATUS"] == "Tracing into 1 output"
        # tracing already: a message sent the moment READY=1 came is traced
        r = ipcgen("pipe", "sent right after READY=1\n")
        # WATCHDOG_USEC=1s: a ping every half second while the loop turns
        got = notify.drain(2.5)
        pings = [m for m in got if m.get("WATCHDOG") == "1"]
        # every half interval: about 5, not one per turn of the loop (50 in 2.5 s)
        assert 3 <= len(pings) <= 7, got
        d.send_signal(signal.SIGTERM)
        stopping = notify.wait_for("STOPPING", 60)
        assert stopping is not None and stopping["STOPPING"] == "1"
        err = stop_daemon(d)
    finally:
        if d.poll() is None:
            d.kill()
    assert d.returncode == 0, err
    assert pipe_messages(out, r) == [b"sent right after READY=1\n"]


def test_watchdog_of_another_pid_is_not_ours(tmp_path, notify):
    """WATCHDOG_PID names another process: the daemon sends no pings (sd_watchdog_enabled(3))."""
    d, _ = start_daemon(tmp_path, notify, watchdog_pid=1)
    try:
        assert notify.wait_for("READY", START_TIMEOUT) is not None
        got = notify.drain(1.5)
        assert not [m for m in got if "WATCHDOG" in m]
    finally:
        err = stop_daemon(d)
    assert d.returncode == 0, err


def test_without_notify_socket_nothing_changes(tmp_path):
    """Started by hand (no NOTIFY_SOCKET): it runs and stops as before."""
    out = tmp_path / "events.json"
    conf = tmp_path / "run.yaml"
    conf.write_text("trace:\n  types: [pipe]\noutputs:\n  - type: file\n    path: %s\n" % out)
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    d = subprocess.Popen([IPCDUMPD, "-c", str(conf)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert "tracing pipe events" in d.stderr.readline()
    finally:
        err = stop_daemon(d)
    assert d.returncode == 0, err


def systemd_analyze():
    tool = shutil.which("systemd-analyze")
    if not tool:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    return tool


def test_unit_file_verifies(tmp_path):
    """systemd-analyze verify reads the unit as systemd would load it.

    It checks that ExecStart's binary exists: the unit names /usr/sbin/ipcdumpd,
    so the check runs on a copy whose ExecStart points at the built one."""
    tool = systemd_analyze()
    text = open(UNIT).read()
    assert "ExecStart=/usr/sbin/ipcdumpd" in text
    unit = tmp_path / "ipcdumpd.service"
    unit.write_text(text.replace("/usr/sbin/ipcdumpd", os.path.abspath(IPCDUMPD)))
    res = subprocess.run([tool, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"))
    assert res.returncode == 0 and res.stderr == "", res.stderr


def test_unit_file_mistakes_are_seen(tmp_path):
    """The check above would see a mistake: an unknown key is reported."""
    tool = systemd_analyze()
    unit = tmp_path / "ipcdumpd.service"
    unit.write_text(open(UNIT).read().replace("[Service]", "[Service]\nWatchdogSeconds=5", 1)
                    .replace("/usr/sbin/ipcdumpd", os.path.abspath(IPCDUMPD)))
    res = subprocess.run([tool, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=120)
    assert "WatchdogSeconds" in res.stderr


def make_install(dest, *args):
    res = subprocess.run(["make", "-s", "-C", ROOT, "BUILD=" + os.path.abspath(BUILD), *args,
                          "DESTDIR=" + str(dest)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return res


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_install_puts_the_service_in_place_with_its_modes(tmp_path):
    """The default PREFIX (/usr/local): the unit runs the binary installed beside it."""
    dest = tmp_path / "root"
    make_install(dest, "install")
    sbin = dest / "usr/local/sbin/ipcdumpd"
    unit = dest / "usr/local/lib/systemd/system/ipcdumpd.service"
    conf = dest / "etc/ipcdump/ipcdumpd.yaml"
    assert (mode(sbin), mode(unit), mode(conf)) == (0o755, 0o644, 0o644)
    assert mode(dest / "usr/local/share/man/man8/ipcdumpd.8") == 0o644
    assert mode(dest / "usr/local/share/bash-completion/completions/ipcdumpd") == 0o644
    text = unit.read_text()
    assert "ExecStart=/usr/local/sbin/ipcdumpd\n" in text and "/usr/sbin/ipcdumpd" not in text
    assert conf.read_text() == open(os.path.join(ROOT, "dist", "ipcdumpd.yaml")).read()
    # what was installed runs, and takes the configuration it was installed with
    res = subprocess.run([str(sbin), "-c", str(conf), "--check-config"], capture_output=True, text=True,
                         timeout=60)
    assert (res.returncode, res.stderr) == (0, "")


def test_second_install_keeps_the_configuration_and_uninstall_leaves_it(tmp_path):
    dest = tmp_path / "root"
    make_install(dest, "install", "PREFIX=/usr")
    conf = dest / "etc/ipcdump/ipcdumpd.yaml"
    conf.write_text("outputs: []\n")
    os.chmod(conf, 0o600)
    make_install(dest, "install", "PREFIX=/usr")
    assert conf.read_text() == "outputs: []\n" and mode(conf) == 0o600
    make_install(dest, "uninstall", "PREFIX=/usr")
    left = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if not p.is_dir())
    assert left == ["etc/ipcdump/ipcdumpd.yaml"]


def complete(*words):
    """COMPREPLY of completions/ipcdumpd for `ipcdumpd words...`, the last being completed."""
    program = r'''
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_ipcdumpd
printf '%s\n' "${COMPREPLY[@]}"
'''
    res = subprocess.run(["bash", "--norc", "--noprofile", "-c", program, "bash",
                          os.path.join(ROOT, "completions", "ipcdumpd"), *words],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    return [line for line in res.stdout.split("\n") if line]


def test_completion_takes_the_options_of_help_and_files_after_c():
    assert complete(IPCDUMPD, "--") == ["--config=", "--check-config", "--help", "--version"]
    assert complete("/no/such/ipcdumpd", "--ch") == ["--check-config"]
    assert complete(IPCDUMPD, "-c", "dist/ipcdumpd.y") == ["dist/ipcdumpd.yaml"]
