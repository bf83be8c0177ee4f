"""GET /metrics: Prometheus's text format, clean under promtool, with counters
equal to the events a known workload made; a real prometheus server scrapes
the daemon (TLS, a bearer token) and its own query API gives the same count.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from api_run import READ_TOKEN, api_section, curl, free_port, make_cert, write_conf
from daemon_run import Writer, daemons, file_output, numbers  # noqa: F401 (daemons: a fixture)

WRITERS_ONLY = 'trace:\n  types: [pipe]\n  payload: 64\n  filter: \'comm == "ipcdw*"\'\n'


def pipe_events(path, field=None):
    """The pipe events a JSON Lines output holds (or the sum of their field)."""
    events = [e for e in map(json.loads, open(path)) if e.get("type") == "pipe"]
    return sum(e[field] for e in events) if field else len(events)


def metric(text, name, labels):
    """The value of name{labels} in an exposition; None when absent."""
    want = ",".join('%s="%s"' % kv for kv in labels.items())
    for line in text.splitlines():
        if line.startswith("%s{%s} " % (name, want)):
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.fixture
def metered(tmp_path, daemons):
    """A daemon tracing the writers' pipes into a file, its API on TLS: (daemon, url, cacert, output)."""
    cert, key = make_cert(str(tmp_path))
    port = free_port()
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    extra = "  metrics: {pairs: true, pairs_max: 2}\n"
    write_conf(conf, outputs=file_output(out), trace=WRITERS_ONLY,
               api=api_section(port, cert=cert, key=key, users=False, extra=extra))
    d = daemons(conf)
    return d, "https://127.0.0.1:%d" % port, cert, out


def scrape(url, ca):
    status, headers, body = curl(url + "/metrics", cacert=ca, token=READ_TOKEN)
    assert status == 200
    assert ("content-type", "text/plain; version=0.0.4; charset=utf-8") in headers
    return body.decode()


def test_metrics_pass_promtool_and_count_the_workload(metered, tmp_path):
    d, url, ca, out = metered
    w = Writer(500, gap=0.002)
    w.wait()
    # The counters are counted before the file's queue writes an event, so once the file holds every one
    # of the writer's 500 messages the counters have them too; equal totals alone are not enough (both
    # can lag behind the ring by the same events).  Then one scrape, one read of the file.
    deadline = time.monotonic() + 20
    while len(numbers(out, w.comm)) < 500 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(numbers(out, w.comm)) == list(range(500))
    while True:
        text = scrape(url, ca)
        produced, size = pipe_events(out), pipe_events(out, "size")
        counted = metric(text, "ipcdump_events_total", {"type": "pipe"})
        counted_bytes = metric(text, "ipcdump_bytes_total", {"type": "pipe"})
        if (counted, counted_bytes) == (produced, size) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert produced >= 500 and counted == produced and counted_bytes == size
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert metric(text, "ipcdump_lost_events_total", {"collector": "pipe"}) == 0
    assert metric(text, "ipcdump_sink_dropped_total", {"sink": "file:%s" % out, "reason": "queue_full"}) == 0
    assert metric(text, "ipcdump_delivery_latency_seconds_count", {"type": "pipe"}) >= 1
    assert metric(text, "ipcdump_delivery_latency_seconds_bucket", {"type": "pipe", "le": "+Inf"}) == \
        metric(text, "ipcdump_delivery_latency_seconds_count", {"type": "pipe"})
    assert re.search(r'^ipcdump_build_info\{version="[^"]+"\} 1$', text, re.M)
    assert re.search(r"^process_resident_memory_bytes \d+$", text, re.M)
    # pairs: one writer to its reader, both under the writer's comm (unless another test's writers took
    # the two places first); the cap holds the rest in _other
    pair = metric(text, "ipcdump_pair_events_total", {"src_comm": w.comm, "dst_comm": w.comm, "type": "pipe"})
    assert pair in (500, None)
    pairs = re.findall(r"^ipcdump_pair_events_total\{.*\} (\d+)$", text, re.M)
    assert len(pairs) <= 3 and sum(map(int, pairs)) == counted


def test_channels_active_counts_a_busy_pipe(metered):
    d, url, ca, out = metered
    w = Writer(800, gap=0.01)  # 8 s: past the recount every 5 s
    w.wait()
    assert metric(scrape(url, ca), "ipcdump_channels_active", {"type": "pipe"}) >= 1


def test_metrics_need_a_token(metered):
    _, url, ca, _ = metered
    assert curl(url + "/metrics", cacert=ca)[0] == 401


PROMETHEUS_CONF = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ipcdumpd
    scheme: https
    tls_config:
      ca_file: {ca}
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


def prom_query(prom_port, query):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (prom_port, urllib.parse.urlencode({"query": query}))
    with urllib.request.urlopen(url, timeout=10) as r:
        reply = json.load(r)
    assert reply["status"] == "success"
    return reply["data"]["result"]


@pytest.mark.skipif(not shutil.which("prometheus"), reason="prometheus is in build.sh's PACKAGES")
def test_prometheus_scrapes_the_count_of_the_workload(metered, tmp_path):
    d, url, ca, out = metered
    port = int(url.rsplit(":", 1)[1])
    prom_port = free_port()
    token_file = tmp_path / "token"
    token_file.write_text(READ_TOKEN)
    prom_conf = tmp_path / "prometheus.yml"
    prom_conf.write_text(PROMETHEUS_CONF.format(ca=ca, token_file=token_file, port=port))
    storage = tmp_path / "tsdb"
    prom = subprocess.Popen(["prometheus", "--config.file=%s" % prom_conf, "--storage.tsdb.path=%s" % storage,
                             "--web.listen-address=127.0.0.1:%d" % prom_port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        w = Writer(300, gap=0.002)
        w.wait()
        deadline = time.monotonic() + 60
        # every message in the file first: then the counter has them all, and equal is complete
        while len(numbers(out, w.comm)) < 300 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sorted(numbers(out, w.comm)) == list(range(300))
        value, produced, health = None, -1, None
        while time.monotonic() < deadline:
            time.sleep(1)
            produced = pipe_events(out)
            try:
                result = prom_query(prom_port, 'ipcdump_events_total{type="pipe",job="ipcdumpd"}')
                health = prom_query(prom_port, 'up{job="ipcdumpd"}')
            except OSError:
                continue  # not listening yet
            if result:
                value = float(result[0]["value"][1])
                if produced and value == produced:
                    break
        assert health and health[0]["value"][1] == "1", health
        assert produced >= 1 and value == produced, (value, produced)
    finally:
        prom.send_signal(signal.SIGTERM)
        try:
            prom.wait(timeout=30)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
