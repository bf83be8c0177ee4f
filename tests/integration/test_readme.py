"""The README's examples, run as written: each must still show what it shows.

Every ```console block of README.md is a session: "$ " lines are commands
(run in one directory, in order, with the tracer under test first on PATH as
ipcdump and ipcdump-analyze), the lines under each its output. A command must
exit 0 and print events of every type its shown output has (times, pids and
inodes differ from run to run, so they are not compared). A command that ends
with "&" is a server for the commands after it: the block waits until its
port accepts, and stops it at the end. Port 8000 is swapped for a free one,
as other test runs may share this machine.

    python3 tests/integration/test_readme.py --update   # captures the outputs afresh
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import IPCDUMP, ROOT  # noqa: E402

README = os.path.join(ROOT, "README.md")
EXAMPLE_PORT = "8000"
# a time as any --time mode prints it (none, one or two words), the type, the ends
EVENT_LINE = re.compile(r"^(?:[\d:.-]+ ){0,2}([a-z][a-z-]*) \S+ > \S+: ")
CSV_HEADER = "time,ts_ns,type,"


def console_blocks(text):
    """[(start line, [(command, [output lines])])] of every ```console block."""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            start, session = i + 1, []
            i += 1
            while lines[i].strip() != "```":
                if lines[i].startswith("$ "):
                    session.append((lines[i][2:], []))
                elif session:
                    session[-1][1].append(lines[i])
                i += 1
            blocks.append((start, session))
        i += 1
    return blocks


def event_types(lines):
    """The event types in printed output: text, JSON Lines or CSV."""
    types, csv = set(), False
    for line in lines:
        if EVENT_LINE.match(line):
            types.add(EVENT_LINE.match(line).group(1))
        elif line.startswith('{"time"'):
            types.add(json.loads(line)["type"])
        elif line.startswith(CSV_HEADER):
            csv = True
        elif csv and line.count(",") > 10:
            types.add(line.split(",")[2])
    return types


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def wait_for_port(port, server, deadline=60):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert server.poll() is None, "the server exited"
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a port: nothing to wait on instead
    raise AssertionError("nothing listens on port %s" % port)


def tool_path(tmp):
    """A directory where ipcdump and ipcdump-analyze are the tracer under test."""
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir, exist_ok=True)
    for name in ("ipcdump", "ipcdump-analyze"):
        os.symlink(os.path.abspath(IPCDUMP), os.path.join(bindir, name))
    return bindir


def run_session(session, workdir, env, port):
    """Runs one block's commands; yields (command, completed process) for each foreground one."""
    servers = []
    try:
        for command, _ in session:
            command = command.replace(EXAMPLE_PORT, port)
            if command.rstrip().endswith("&"):
                server = subprocess.Popen(["bash", "-c", command.rstrip()[:-1]], cwd=workdir, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True)
                servers.append(server)
                wait_for_port(port, server)
                yield command, None
                continue
            yield command, subprocess.run(["bash", "-c", command], cwd=workdir, env=env,
                                          capture_output=True, text=True, timeout=120)
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def environment(tmp):
    return dict(os.environ, PATH=tool_path(tmp) + ":" + os.environ["PATH"])


def test_readme_examples_show_what_they_say(tmp_path):
    with open(README) as f:
        blocks = console_blocks(f.read())
    assert len(blocks) >= 8
    env = environment(str(tmp_path))
    for start, session in blocks:
        for (command, shown), (_, res) in zip(session, run_session(session, str(tmp_path), env, free_port())):
            if res is None:
                continue
            where = "README.md:%d: %s" % (start, command)
            assert res.returncode == 0, "%s exited %d: %s" % (where, res.returncode, res.stderr)
            printed = res.stdout.split("\n")
            missing = event_types(shown) - event_types(printed)
            assert not missing, "%s printed no %s events:\n%s" % (where, missing, res.stdout)
            if any(line.strip() for line in shown):
                assert res.stdout.strip(), "%s printed nothing" % where


def test_event_types_are_read_from_every_format():
    """The check above sees events in each output format, so it can fail."""
    assert event_types(["18:30:38.626140128 pipe 1(seq) > 2(cat): size 6"]) == {"pipe"}
    assert event_types(["0.000250000 signal 1(sh) > 2(sleep): num 15"]) == {"signal"}
    assert event_types(["2026-11-30 18:30:38.626140128 pty 1(a) > 2(b): tty /dev/pts/0"]) == {"pty"}
    assert event_types(["shm 1(a) > <unknown>(<unknown>): op attach"]) == {"shm"}
    assert event_types(['{"time":"x","type":"signal"}']) == {"signal"}
    assert event_types(["time,ts_ns,type,src_pid,a,b,c,d,e,f,g,h,i",
                        "t,1,unix-stream,1,2,3,4,5,6,7,8,9,10"]) == {"unix-stream"}
    assert event_types(["1", "hello", "ipcdump: tracing"]) == set()


def update():
    """Rewrites each shown output with what the command prints now."""
    with open(README) as f:
        text = f.read()
    lines = text.split("\n")
    replacements = []
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(tmp)
        for start, session in console_blocks(text):
            end = start
            while lines[end].strip() != "```":
                end += 1
            new = []
            for (command, _), (_, res) in zip(session, run_session(session, tmp, env, EXAMPLE_PORT)):
                new.append("$ " + command)
                if res is not None:
                    new.extend(line.rstrip() for line in res.stdout.rstrip("\n").split("\n") if res.stdout)
            replacements.append((start, end, new))
    for start, end, new in reversed(replacements):
        lines[start:end] = new
    with open(README, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    update()
