"""ipcdumpd's configuration: the sample passes --check-config, and each bad
configuration gets its one-line message at its FILE:LINE:COLUMN, exit 2;
a real run writes what it traces to its file output."""
import base64
import json
import os
import signal
import stat
import subprocess
import time

import pytest

from conftest import BUILD, ROOT, ipcgen

IPCDUMPD = os.environ.get("IPCDUMPD", os.path.join(BUILD, "ipcdumpd-san"))
SAMPLE = os.path.join(ROOT, "dist", "ipcdumpd.yaml")


def ipcdumpd(*args):
    return subprocess.run([IPCDUMPD, *args], capture_output=True, text=True, timeout=60)


def check(tmp_path, text):
    path = tmp_path / "ipcdumpd.yaml"
    path.write_text(text)
    r = ipcdumpd("-c", str(path), "--check-config")
    return r, str(path)


def test_sample_passes_check_config():
    r = ipcdumpd("-c", SAMPLE, "--check-config")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_empty_outputs_and_defaults_pass(tmp_path):
    r, _ = check(tmp_path, "trace:\n  types: pipe\noutputs: []\n")
    assert (r.returncode, r.stderr) == (0, "")


# (configuration, the one line after "PATH:")
BAD = [
    ("trace:\n  typs: [pipe]\n", "2:3: error: unknown key 'typs' in trace (did you mean 'types'?)"),
    ("trace:\n  types: [pipz]\n", "2:11: error: unknown type 'pipz' (did you mean 'pipe'?)"),
    ('trace:\n  filter: "type == pipe and"\n', "2:28: error: filter: expected a field at the end"),
    ("trace:\n  payload: {default: 99999}\n",
     "2:22: error: payload 99999 is above the capture limit of 16384 bytes"),
    ("trace:\n  payload: {unixx: 5}\n", "2:13: error: unknown type 'unixx' (did you mean 'unix'?)"),
    ("trace:\n  buffer_size: 16Q\n",
     "2:16: error: 'buffer_size' takes a size like 16M, 512K, 1G or bytes, not '16Q'"),
    ("trace:\n  buffer_size: 1K\n", "2:16: error: 'buffer_size' 1K is out of range 4096..1073741824 bytes"),
    ("trace:\n  channels: -3\n", "2:13: error: 'channels' takes a number, not '-3'"),
    ("trace:\n  kernel_signals: maybe\n", "2:19: error: 'kernel_signals' takes true or false, not 'maybe'"),
    ("trace:\n  lifecycle: [true]\n", "2:14: error: 'lifecycle' takes a single value, not a list"),
    ("trace: [pipe]\n", "1:8: error: 'trace' takes a mapping of keys, not a list"),
    ("outpts: []\n", "1:1: error: unknown section 'outpts' (did you mean 'outputs'?)"),
    ("outputs:\n  - type: file\n", "2:5: error: a file output needs 'path'"),
    ("outputs:\n  - type: file\n    path: /x\n    format: jsn\n",
     "4:13: error: unknown format 'jsn' (did you mean 'json'?)"),
    ("outputs:\n  - type: file\n    path: /x\n    rotate: {interval: 5y}\n",
     "4:24: error: 'interval' takes a duration like 30s, 5m, 1h, 7d or seconds, not '5y'"),
    ("outputs:\n  - type: file\n    path: /x\n    rotate: {kep: 3}\n",
     "4:14: error: unknown key 'kep' in rotate (did you mean 'keep'?)"),
    ("outputs:\n  - type: file\n    path: /x\n    compress: gzip\n", "4:15: error: unknown compression 'gzip'"),
    ("outputs:\n  - type: file\n    path: /x\n    payload: 512\n",
     "4:14: error: payload 512 is above the trace limit of 256 bytes"),
    ('outputs:\n  - type: file\n    path: /x\n    mode: "999"\n',
     "4:11: error: 'mode' takes an octal file mode like 0600, not '999'"),
    ("outputs:\n  - type: file\n    path: /x\n    fitler: x\n",
     "4:5: error: unknown key 'fitler' in file output (did you mean 'filter'?)"),
    ("outputs:\n  - type: file\n    path: /x\n    filter: comm ==\n",
     "4:20: error: filter: expected a value at the end"),
    ("outputs:\n  - type: syslog\n    facility: demon\n",
     "3:15: error: unknown syslog facility 'demon' (did you mean 'daemon'?)"),
    ("outputs:\n  - type: syslog\n    format: csv\n", "3:13: error: unknown format 'csv'"),
    ("outputs:\n  - type: sqlite\n    path: /x\n    retention: 7w\n",
     "4:16: error: 'retention' takes a duration like 7d or a size like 1G, not '7w'"),
    ("outputs:\n  - type: mysql\n", "2:11: error: unknown output type 'mysql'"),
    ("outputs:\n  - path: /y\n", "2:5: error: an output needs 'type' (file, syslog or sqlite)"),
    ("outputs:\n  type: file\n", "2:3: error: 'outputs' takes a list of outputs, not a mapping"),
    ("trace:\n  types: [pipe\n", "3:1: error: did not find expected ',' or ']'"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m.split(": error: ")[1][:40] for _, m in BAD])
def test_bad_config_gets_its_one_line(tmp_path, text, message):
    r, path = check(tmp_path, text)
    assert r.returncode == 2
    assert r.stderr == "%s:%s\n" % (path, message)


def test_every_error_is_reported(tmp_path):
    r, path = check(tmp_path, "trace:\n  typs: x\n  channels: 0\noutputs:\n  - type: file\n")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "%s:2:3: error: unknown key 'typs' in trace (did you mean 'types'?)" % path,
        "%s:3:13: error: 'channels' 0 is out of range 1..16777216" % path,
        "%s:5:5: error: a file output needs 'path'" % path,
    ]


def test_missing_file_is_an_error_with_its_level(tmp_path):
    r = ipcdumpd("-c", str(tmp_path / "none.yaml"), "--check-config")
    assert r.returncode == 2 or r.returncode == 1
    assert r.stderr == "ipcdumpd: error: %s: No such file or directory\n" % (tmp_path / "none.yaml")


def test_help_and_version():
    r = ipcdumpd("--help")
    assert r.returncode == 0 and "--check-config" in r.stdout and "/etc/ipcdump/ipcdumpd.yaml" in r.stdout
    r = ipcdumpd("--version")
    assert r.returncode == 0 and r.stdout.startswith("ipcdumpd ")


def test_bad_option_is_a_usage_error():
    r = ipcdumpd("--chek-config")
    assert r.returncode == 2 and r.stderr.startswith("ipcdumpd: error: ")


def test_run_writes_a_pipe_message_to_a_json_file_once(tmp_path):
    """A real run: the config's trace and a json file output catch one known pipe message."""
    out = tmp_path / "events.json"
    conf = tmp_path / "run.yaml"
    conf.write_text("trace:\n  types: [pipe]\n  payload: 64\n"
                    "outputs:\n  - type: file\n    path: %s\n    format: json\n" % out)
    d = subprocess.Popen([IPCDUMPD, "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    try:
        started = d.stderr.readline()
        assert "tracing pipe events" in started
        r = ipcgen("pipe", "ipcdumpd was here\n")
        time.sleep(0.5)
        d.send_signal(signal.SIGTERM)
        rest = d.communicate(timeout=60)[1]
    finally:
        if d.poll() is None:
            d.kill()
    assert d.returncode == 0, rest
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    events = [json.loads(line) for line in out.read_text().splitlines()]
    # (ipcgen also writes its report to us through a pipe)
    ends = (r["writer"], r["reader"])
    mine = [e for e in events if e["type"] == "pipe" and (e["src_pid"], e["dst_pid"]) == ends]
    assert len(mine) == 1
    assert base64.b64decode(mine[0]["bytes"]) == b"ipcdumpd was here\n"
