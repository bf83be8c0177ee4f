"""A traced tree: ipcdump -- CMD runs CMD and traces it and everything it starts; --follow PID the same for a
process already running.  Events with one end in the tree are kept, an outsider's are not."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import IPCDUMP, IPCGEN, Tracer, ipcgen, payload, pipe_events

# Pipelines, a backgrounded child, a daemonised grandchild and a signal; then it waits while the test runs an
# outsider, and exits 7.
TREE_SCRIPT = r'''
dir=$1; gen=$2
printf 'through-a-pipeline' | cat > /dev/null
$gen pipe from-background > $dir/bg.json &
bg=$!
( setsid sh -c "$gen pipe from-daemon > $dir/daemon.tmp && mv $dir/daemon.tmp $dir/daemon.json" & )
sleep 5 &
victim=$!
kill -TERM $victim
wait $victim
echo $victim > $dir/victim
wait $bg
while [ ! -e $dir/daemon.json ]; do sleep 0.02; done
touch $dir/ready
while [ ! -e $dir/outsider-done ]; do sleep 0.02; done
exit 7
'''


def wait_for(path, timeout=30):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        assert time.time() < deadline, "no %s" % path
        time.sleep(0.02)


def json_lines(out):
    return [json.loads(l) for l in out.decode().splitlines() if l.startswith("{")]


def launch(*args, env=None):
    return subprocess.Popen([IPCDUMP, "-f", "json", "-x", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)


def test_command_tree_with_pipelines_background_and_daemon(tmp_path):
    script = tmp_path / "tree.sh"
    script.write_text(TREE_SCRIPT)
    d = str(tmp_path)
    p = launch("-t", "pipe", "-t", "signal", "--", "sh", str(script), d, IPCGEN)
    wait_for(os.path.join(d, "ready"))
    outsider = ipcgen("pipe", "from-an-outsider")
    open(os.path.join(d, "outsider-done"), "w").close()
    out, err = p.communicate(timeout=60)
    assert p.returncode == 7, err
    events = [e for e in json_lines(out) if "type" in e]

    piped = [e for e in pipe_events(events) if payload(e) == b"through-a-pipeline"]
    assert [(e["src_comm"], e["dst_comm"]) for e in piped] == [("sh", "cat")], events
    for name, text in (("bg", b"from-background"), ("daemon", b"from-daemon")):
        r = json.load(open(os.path.join(d, name + ".json")))
        [e] = pipe_events(events, r["ino"])
        assert (e["src_pid"], e["dst_pid"], payload(e)) == (r["writer"], r["reader"], text)
        assert (e["src_comm"], e["dst_comm"]) == ("ipct-writer", "ipct-reader")
    victim = int(open(os.path.join(d, "victim")).read())
    [kill] = [e for e in events if e["type"] == "signal" and e["dst_pid"] == victim]
    # (the victim may be killed before its exec: then it is still a copy of the shell)
    assert (kill["src_comm"], kill["meta"]["num"]) == ("sh", 15) and kill["dst_comm"] in ("sh", "sleep")

    assert not pipe_events(events, outsider["ino"])
    outsiders = {outsider["writer"], outsider["reader"]}
    assert not [e for e in events if e["src_pid"] in outsiders or e["dst_pid"] in outsiders]


def test_the_first_instruction_is_traced(tmp_path):
    """The command is attached to before it runs: IPC it does at once, in a process that lives a millisecond."""
    p = launch("-t", "pipe", "--", IPCGEN, "pipe", "at-once")
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    lines = json_lines(out)
    [report] = [l for l in lines if "writer" in l]
    [e] = pipe_events([l for l in lines if "type" in l], report["ino"])
    assert (e["src_pid"], e["dst_pid"], payload(e)) == (report["writer"], report["reader"], b"at-once")


def test_inside_keeps_only_events_between_members(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    cmd = ["sh", "-c", "printf inside-msg | cat > /dev/null; printf to-outside > %s" % fifo]
    seen = {}
    for mode in ((), ("--inside",)):
        p = launch("-t", "pipe", *mode, "--", *cmd)
        with open(fifo, "rb") as f:  # the test itself reads: an outsider
            assert f.read() == b"to-outside"
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        seen[mode] = sorted(payload(e) for e in json_lines(out) if e.get("type") == "pipe")
    assert seen[()] == [b"inside-msg", b"to-outside"]
    assert seen[("--inside",)] == [b"inside-msg"]


def test_exit_status_is_the_commands():
    for cmd, code in ((["sh", "-c", "exit 3"], 3), (["sh", "-c", "kill -9 $$"], 128 + 9),
                      (["/nonexistent/cmd"], 127), (["true"], 0)):
        p = launch("-t", "pipe", "--", *cmd)
        _, err = p.communicate(timeout=60)
        assert p.returncode == code, (cmd, err)
    p = launch("-t", "pipe", "--", "/nonexistent/cmd")
    _, err = p.communicate(timeout=60)
    assert b"ipcdump: cannot run /nonexistent/cmd: No such file or directory" in err


def test_sigint_goes_to_the_command(tmp_path):
    armed = str(tmp_path / "armed")
    p = launch("-t", "pipe", "--", "sh", "-c", 'trap "exit 42" INT; touch %s; while :; do sleep 0.05; done' % armed)
    wait_for(armed)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 42, err
    assert re.search(rb" events? printed, ", err), err


def test_runs_as_the_invoking_user_under_sudo():
    check = ["sh", "-c", 'test "$(id -u):$(id -g)" = 65534:65534']
    env = dict(os.environ, SUDO_UID="65534", SUDO_GID="65534")
    for args, environ, code in (((), env, 0), (("-u", "nobody"), None, 0), ((), None, 1)):
        p = launch("-t", "pipe", *args, "--", *check, env=environ)
        _, err = p.communicate(timeout=60)
        assert p.returncode == code, (args, err)
    p = launch("-u", "no-such-user-here", "--", "true")
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1 and err.decode().strip() == "ipcdump: unknown user 'no-such-user-here'"


FOLLOWED_SCRIPT = r'''
dir=$1; gen=$2
child() {
    while [ ! -e $dir/go ]; do sleep 0.02; done
    $gen pipe from-existing-child > $dir/child.json
}
child &
while [ ! -e $dir/go ]; do sleep 0.02; done
$gen pipe from-root > $dir/root.json
wait
'''


def test_follow_a_running_process_and_its_descendants(tmp_path):
    script = tmp_path / "followed.sh"
    script.write_text(FOLLOWED_SCRIPT)
    d = str(tmp_path)
    target = subprocess.Popen(["sh", str(script), d, IPCGEN])
    time.sleep(0.2)  # its child is running before the tracer starts
    t = Tracer("-t", "pipe", "-x", "--follow", str(target.pid))
    open(os.path.join(d, "go"), "w").close()
    outsider = ipcgen("pipe", "from-an-outsider")
    assert target.wait(timeout=60) == 0
    t.proc.wait(timeout=30)  # it ends when what it follows has exited
    events = t.stop()
    for name, text in (("child", b"from-existing-child"), ("root", b"from-root")):
        r = json.load(open(os.path.join(d, name + ".json")))
        [e] = pipe_events(events, r["ino"])
        assert (e["src_pid"], e["dst_pid"], payload(e)) == (r["writer"], r["reader"], text)
    assert not pipe_events(events, outsider["ino"])


def test_a_capture_of_a_tree_reads_back_as_the_tree(tmp_path):
    path = str(tmp_path / "tree.ipcd")
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    p = subprocess.Popen([IPCDUMP, "-w", path, "-t", "pipe", "--inside", "--", "sh", "-c",
                          "printf inside-msg | cat > /dev/null; printf to-outside > %s" % fifo],
                         stderr=subprocess.PIPE)
    with open(fifo, "rb") as f:
        assert f.read() == b"to-outside"
    outsider = ipcgen("pipe", "from-an-outsider")
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    res = subprocess.run([IPCDUMP, "-r", path, "-f", "json", "-x"], capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    events = json_lines(res.stdout)
    assert [payload(e) for e in events if e["type"] == "pipe"] == [b"inside-msg"]
    assert not pipe_events(events, outsider["ino"])


def test_follow_a_missing_process():
    res = subprocess.run([IPCDUMP, "--follow", "2147483000"], capture_output=True, timeout=60)
    assert res.returncode == 1
    assert res.stderr.decode().strip() == "ipcdump: cannot follow pid 2147483000: no such process"


def test_filters_and_stats_apply_to_the_tree():
    cmd = ["sh", "-c", "printf abc | cat > /dev/null; printf defg | tr d e > /dev/null"]
    p = launch("-t", "pipe", "dst.comm == cat", "--", *cmd)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert [(e["dst_comm"], payload(e)) for e in json_lines(out)] == [("cat", b"abc")]
    res = subprocess.run([IPCDUMP, "-t", "pipe", "--stats", "-f", "json", "--", *cmd], capture_output=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    [report] = json_lines(res.stdout)
    assert sorted((c["messages"], c["bytes"]) for c in report["channels"]) == [(1, 3), (1, 4)]
