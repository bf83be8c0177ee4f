"""ipcdumpd's REST API server: configuration checks, TLS, tokens, basic auth,
roles, the unix socket's peer uid, reloads, and hostile clients, against a
real daemon with the real curl and a certificate the test makes.
"""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest
import yaml

from api_run import (ADMIN_TOKEN, PASSWORD, READ_TOKEN, api_section, curl, free_port, header, make_cert,
                     rss_kib, sha256, write_conf)
from conftest import ROOT
from daemon_run import IPCDUMPD, Writer, daemons, file_output, numbers  # noqa: F401 (daemons: a fixture)

UNAUTHORIZED = b'{"error": "unauthorized"}\n'


def check_config(conf):
    r = subprocess.run([IPCDUMPD, "--check-config", "-c", str(conf)], capture_output=True, text=True)
    return r.returncode, r.stderr.splitlines()


@pytest.fixture
def tls(tmp_path):
    return make_cert(str(tmp_path))


# ---- the configuration -------------------------------------------------------------------

def test_tcp_without_tls_is_refused_with_its_line(tmp_path):
    conf = tmp_path / "d.yaml"
    write_conf(conf, api=api_section(9477))
    rc, lines = check_config(conf)
    assert rc == 2
    assert lines == ["%s:5:12: error: api listens on TCP (127.0.0.1:9477) without TLS: add tls: {cert, key}, "
                     "or write insecure: true" % conf]


def test_tcp_without_credentials_is_refused(tmp_path, tls):
    conf = tmp_path / "d.yaml"
    write_conf(conf, api=api_section(9477, cert=tls[0], key=tls[1], users=False, tokens=False))
    rc, lines = check_config(conf)
    assert rc == 2
    assert lines == ["%s:5:3: error: api listens on TCP without credentials: add tokens, token_file or users, "
                     "or write insecure: true" % conf]


def test_insecure_written_out_passes(tmp_path):
    conf = tmp_path / "d.yaml"
    write_conf(conf, api=api_section(9477, users=False, tokens=False, insecure=True))
    assert check_config(conf) == (0, [])


def test_unix_socket_alone_needs_neither(tmp_path):
    conf = tmp_path / "d.yaml"
    write_conf(conf, api=api_section(None, sock=str(tmp_path / "api.sock"), users=False, tokens=False))
    assert check_config(conf) == (0, [])


@pytest.mark.parametrize("api, message", [
    ('api:\n  listen: ["unix:/x"]\n  tokens: [{name: a, sha256: abc}]\n',
     "6:30: error: 'sha256' takes the token's SHA-256 in 64 hex digits (sha256sum), not 'abc'"),
    ('api:\n  listen: ["unix:/x"]\n  tokens: [{name: a, sha256: %s, role: root}]\n' % ("0" * 64),
     "6:102: error: unknown role 'root'"),
    ('api:\n  listen: ["unix:/x"]\n  users: [{name: a, password_hash: secret}]\n',
     "6:36: error: 'password_hash' takes a crypt(3) hash"),
    ('api:\n  listen: ["localhost:80"]\n  insecure: true\n',
     "5:12: error: listen: 'localhost:80': the host is an IPv4 address or [IPV6]"),
    ('api:\n  tls: {cert: /c}\n  listen: ["unix:/x"]\n', "5:8: error: tls needs 'key'"),
    ('api:\n  insecure: true\n', "5:3: error: api needs 'listen'"),
    ('api:\n  listen: ["unix:/x"]\n  token_file: /nonexistent/tokens\n', "api.token_file /nonexistent/tokens"),
])
def test_bad_api_keys_get_their_line(tmp_path, api, message):
    conf = tmp_path / "d.yaml"
    write_conf(conf, api=api)
    rc, lines = check_config(conf)
    assert rc == 2
    assert len(lines) == 1 and message in lines[0], lines


def test_token_file_lines(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("# NAME ROLE SHA256\nci read %s\nops admin %s\n" % ("a" * 64, "b" * 64))
    conf = tmp_path / "d.yaml"
    write_conf(conf, api='api:\n  listen: ["unix:/x"]\n  token_file: %s\n' % tokens)
    assert check_config(conf) == (0, [])
    tokens.write_text("ci reader %s\n" % ("a" * 64))
    rc, lines = check_config(conf)
    assert rc == 2 and lines == ["%s:1:4: error: unknown role 'reader' (read or admin)" % tokens]


# ---- a running API ------------------------------------------------------------------------

@pytest.fixture
def sockdir():
    """A folder other users may enter, for a unix socket they call."""
    path = tempfile.mkdtemp(prefix="ipcd-api-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def served(tmp_path, daemons, tls, sockdir):
    """A daemon with TLS on a loopback port and a unix socket: (daemon, base URL, cacert, socket, config)."""
    port = free_port()
    sock = os.path.join(sockdir, "api.sock")
    conf = tmp_path / "d.yaml"
    out = tmp_path / "events.jsonl"
    write_conf(conf, outputs=file_output(out), api=api_section(port, sock=sock, cert=tls[0], key=tls[1]))
    d = daemons(conf)
    assert d.wait_for(r"^ipcdumpd: info: api: listening on 2 addresses$")
    return d, "https://127.0.0.1:%d" % port, tls[0], sock, conf


def test_health_and_ready_need_no_credentials(served):
    _, url, ca, _, _ = served
    assert curl(url + "/healthz", cacert=ca)[0] == 200
    status, _, body = curl(url + "/readyz", cacert=ca)
    assert status == 200 and json.loads(body) == {"status": "ready"}


def test_missing_and_wrong_credentials_get_the_same_401(served):
    _, url, ca, _, _ = served
    replies = [curl(url + "/api/v1/status", cacert=ca),
               curl(url + "/api/v1/status", cacert=ca, token="wrong"),
               curl(url + "/api/v1/status", cacert=ca, token=READ_TOKEN + "x"),
               curl(url + "/api/v1/status", "-u", "alice:wrong", cacert=ca),
               curl(url + "/api/v1/status", "-u", "nobody:" + PASSWORD, cacert=ca),
               curl(url + "/api/v1/status", "-H", "Authorization: Digest x", cacert=ca)]
    for status, headers, body in replies:
        assert status == 401 and body == UNAUTHORIZED
        assert header(headers, "www-authenticate") == ['Bearer realm="ipcdumpd"',
                                                       'Basic realm="ipcdumpd", charset="UTF-8"']


def test_tokens_and_users_have_their_roles(served):
    d, url, ca, _, _ = served
    status, _, body = curl(url + "/api/v1/status", cacert=ca, token=READ_TOKEN)
    assert status == 200
    st = json.loads(body)
    assert st["ready"] and st["version"] and st["uptime_seconds"] > 0
    pipe = [c for c in st["collectors"] if c["name"] == "pipe"][0]
    assert pipe["attached"] and pipe["lost"] == 0
    unix = [c for c in st["collectors"] if c["name"] == "unix"][0]
    assert not unix["attached"] and unix["missing"] == "not among trace.types"
    assert st["outputs"][0]["type"] == "file" and st["outputs"][0]["dropped"] == 0
    assert st["outputs"][0]["queue_capacity"] == 65536
    # read cannot reload; admin (token or yescrypt user) can; bob (sha512-crypt) reads
    assert curl(url + "/api/v1/reload", "-X", "POST", cacert=ca, token=READ_TOKEN)[0] == 403
    assert curl(url + "/api/v1/reload", "-X", "POST", "-u", "bob:" + PASSWORD, cacert=ca)[0] == 403
    assert curl(url + "/api/v1/status", "-u", "bob:" + PASSWORD, cacert=ca)[0] == 200
    for auth in (["-H", "Authorization: Bearer " + ADMIN_TOKEN], ["-u", "alice:" + PASSWORD]):
        status, _, body = curl(url + "/api/v1/reload", "-X", "POST", *auth, cacert=ca)
        assert status == 200, body
        assert json.loads(body)["reloaded"] is True
    assert d.wait_for(r"^ipcdumpd: info: configuration reloaded from ")


def test_a_bad_file_is_a_422_with_its_errors_and_the_run_goes_on(served):
    d, url, ca, _, conf = served
    good = conf.read_text()
    conf.write_text(good.replace("types: [pipe]", "types: [pipes]"))
    status, _, body = curl(url + "/api/v1/reload", "-X", "POST", cacert=ca, token=ADMIN_TOKEN)
    assert status == 422
    reply = json.loads(body)
    assert reply["reloaded"] is False
    assert "%s:2:11: error: unknown type 'pipes'" % conf in reply["message"]
    assert reply["message"].endswith("keeping the running configuration")
    conf.write_text(good)
    assert curl(url + "/api/v1/status", cacert=ca, token=READ_TOKEN)[0] == 200
    status, _, body = curl(url + "/api/v1/status", cacert=ca, token=READ_TOKEN)
    assert json.loads(body)["reload_failures"] == 1


def test_a_reload_revokes_and_adds_tokens_at_once(served):
    d, url, ca, _, conf = served
    new_token = "rotated-token-5555"
    conf.write_text(conf.read_text().replace(sha256(READ_TOKEN), sha256(new_token)))
    status, _, body = curl(url + "/api/v1/reload", "-X", "POST", cacert=ca, token=ADMIN_TOKEN)
    assert status == 200, body
    assert d.wait_for(r"^ipcdumpd: info: api: tokens and users reloaded$")
    assert curl(url + "/api/v1/status", cacert=ca, token=READ_TOKEN)[0] == 401
    assert curl(url + "/api/v1/status", cacert=ca, token=new_token)[0] == 200
    # anything else in api: waits for a restart, and the rest of the reload goes ahead
    conf.write_text(conf.read_text().replace("api:\n", "api:\n  timeout: 5s\n"))
    at = d.send(signal.SIGHUP)
    assert d.wait_for(r"^ipcdumpd: warning: api: changes other than tokens and users take effect at restart$",
                      after=at)
    assert d.wait_for(r"^ipcdumpd: info: configuration reloaded from ", after=at)


def test_tls_below_1_2_and_plain_http_are_refused(served):
    _, url, ca, _, _ = served
    assert curl(url + "/healthz", "--tls-max", "1.1", cacert=ca)[0] is None
    assert curl(url.replace("https:", "http:") + "/healthz")[0] is None
    assert curl(url + "/healthz", "--tlsv1.3", cacert=ca)[0] == 200
    assert curl(url + "/healthz", "--tlsv1.2", "--tls-max", "1.2", cacert=ca)[0] == 200


def test_unix_socket_lets_root_in_by_its_uid_alone(served):
    _, _, _, sock, _ = served
    assert os.getuid() == 0
    status, _, body = curl("http://ipcdumpd/api/v1/status", sock=sock)
    assert status == 200 and json.loads(body)["ready"]
    # read only: unix_role's default
    assert curl("http://ipcdumpd/api/v1/reload", "-X", "POST", sock=sock)[0] == 403
    # another uid needs credentials
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "-o", "/dev/null",
              "-w", "%{http_code}", "--unix-socket", sock]
    r = subprocess.run(nobody + ["http://ipcdumpd/api/v1/status"], capture_output=True, text=True)
    assert r.stdout == "401"
    r = subprocess.run(nobody + ["-H", "Authorization: Bearer " + READ_TOKEN, "http://ipcdumpd/api/v1/status"],
                       capture_output=True, text=True)
    assert r.stdout == "200"


def test_unix_socket_without_credentials_lets_in_its_uids_only(tmp_path, daemons, sockdir):
    sock = os.path.join(sockdir, "api.sock")
    conf = tmp_path / "d.yaml"
    write_conf(conf, api=api_section(None, sock=sock, users=False, tokens=False, extra="  unix_role: admin\n"))
    daemons(conf)
    assert curl("http://ipcdumpd/api/v1/status", sock=sock)[0] == 200
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s", "-o",
                        "/dev/null", "-w", "%{http_code}", "--unix-socket", sock, "-X", "POST",
                        "http://ipcdumpd/api/v1/reload"], capture_output=True, text=True)
    assert r.stdout == "401"
    assert os.stat(sock).st_mode & 0o777 == 0o666


def test_ipv6_insecure_without_credentials_lets_everyone_in(tmp_path, daemons):
    port = free_port()
    conf = tmp_path / "d.yaml"
    write_conf(conf, api='api:\n  listen: ["[::1]:%d"]\n  insecure: true\n' % port)
    daemons(conf)
    status, _, body = curl("http://[::1]:%d/api/v1/reload" % port, "-g", "-X", "POST")
    assert status == 200 and json.loads(body)["reloaded"] is True


def test_status_says_why_a_collector_is_missing(tmp_path, daemons, sockdir, monkeypatch):
    monkeypatch.setenv("IPCD_TEST_REFUSE", "signal")  # the tracer's own hook: signal fails to attach
    sock = os.path.join(sockdir, "api.sock")
    conf = tmp_path / "d.yaml"
    write_conf(conf, trace="trace:\n  types: [pipe, signal]\n", api=api_section(None, sock=sock))
    daemons(conf)
    status, _, body = curl("http://ipcdumpd/api/v1/status", sock=sock)
    assert status == 200
    collectors = {c["name"]: c for c in json.loads(body)["collectors"]}
    assert collectors["pipe"]["attached"] and "missing" not in collectors["pipe"]
    assert not collectors["signal"]["attached"]
    assert collectors["signal"]["missing"].startswith("not attached (IPCD_TEST_REFUSE: ")
    assert collectors["pty"]["missing"] == "not among trace.types"
    _, _, metrics = curl("http://ipcdumpd/metrics", sock=sock)
    assert b'ipcdump_collector_attached{collector="signal"} 0\n' in metrics
    assert b'ipcdump_collector_attached{collector="pipe"} 1\n' in metrics


def test_a_port_in_use_ends_the_run(tmp_path, tls):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        conf = tmp_path / "d.yaml"
        write_conf(conf, api=api_section(port, cert=tls[0], key=tls[1]))
        r = subprocess.run([IPCDUMPD, "-c", str(conf)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "ipcdumpd: error: api: cannot listen on 127.0.0.1:%d: Address already in use" % port \
        in r.stderr.splitlines()


def test_routes_match_exactly(served):
    _, url, ca, _, _ = served
    for path in ("/../../etc/passwd", "/api/v1/../../../etc/passwd", "/api/v1/%2e%2e/%2e%2e/etc/passwd",
                 "/api/v1/status/", "/api/v1//status", "/API/v1/status", "/metrics.txt", "/%2fetc%2fpasswd",
                 "/api/v1/status%00"):
        status, _, body = curl(url + path, "--path-as-is", cacert=ca, token=READ_TOKEN)
        assert status in (400, 404), (path, status)
        assert b"root:" not in body
    status, headers, _ = curl(url + "/api/v1/status", "-X", "DELETE", cacert=ca, token=READ_TOKEN)
    assert status == 405 and header(headers, "allow") == ["GET"]


def test_malformed_percent_encoding_is_a_400(served):
    _, url, ca, _, _ = served
    for target in ("/api/v1/status?x=%zz", "/api/v1/status?x=%4", "/api/v1/stat%us", "/api/v1/status?%00=1"):
        status, _, body = curl(url + target, "--path-as-is", cacert=ca, token=READ_TOKEN)
        assert status == 400, target
        assert json.loads(body) == {"error": "malformed request target"}


def test_store_endpoints_need_a_token_and_without_a_store_say_so(served):
    _, url, ca, _, _ = served
    for path in ("/api/v1/events", "/api/v1/events/stream", "/api/v1/stats", "/api/v1/graph"):
        assert curl(url + path, cacert=ca)[0] == 401
    for path in ("/api/v1/events", "/api/v1/stats", "/api/v1/graph"):
        status, _, body = curl(url + path, cacert=ca, token=READ_TOKEN)
        assert status == 404 and b"no store" in body
    # the live stream needs no store: it is open until the client goes
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", "--cacert", ca,
                        "-H", "Authorization: Bearer " + READ_TOKEN, url + "/api/v1/events/stream"],
                       capture_output=True, text=True)
    assert r.stdout == "200"


# ---- hostile clients ------------------------------------------------------------------------

def tls_socket(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def read_reply(s):
    """One HTTP reply off s: (status, headers text, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"content-length: *(\d+)", head, re.I)
    want = int(m.group(1)) if m else 0
    while len(body) < want:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split()[1]) if head else None, head.decode(errors="replace"), body[:want]


def chunked_upload_is_cut(port, ca, size):
    """A chunked body of size bytes: the server closes the connection before it is all sent."""
    s = tls_socket(port, ca)
    s.sendall(b"POST /api/v1/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN_TOKEN.encode() +
              b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent = 0
    try:
        while sent < size:
            s.sendall(b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
            sent += 0x4000
            time.sleep(0.005)
        s.settimeout(10)
        return s.recv(100) == b""
    except OSError:
        return True
    finally:
        s.close()


def bad_tokens(port, ca, count, statuses):
    """count requests with wrong tokens over kept-alive connections; their statuses counted."""
    s = tls_socket(port, ca)
    for i in range(count):
        s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong%06d\r\n\r\n" % i)
        status, head, _ = read_reply(s)
        if status is None or "close" in head.lower():
            s.close()
            s = tls_socket(port, ca)
        statuses[status] = statuses.get(status, 0) + 1
    s.close()


def slow_client(port, ca, gap, duration, results):
    """Sends a request's headers a byte every gap seconds for duration seconds (slowloris)."""
    try:
        s = tls_socket(port, ca)
    except OSError:
        results.append("refused")
        return
    start = time.monotonic()
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4096
    try:
        for b in request:
            s.sendall(bytes([b]))
            time.sleep(gap)
            if time.monotonic() - start > duration:
                break
        results.append("held")
    except OSError:
        results.append("closed")
    s.close()


WRITERS_ONLY = 'trace:\n  types: [pipe]\n  payload: 64\n  filter: \'comm == "ipcdw*"\'\n'


def test_hostile_clients_leave_the_tracing_whole_and_memory_bounded(tmp_path, daemons, tls, sockdir,
                                                                    monkeypatch):
    # freed memory stays in ASan's quarantine (256 MB by default): a small one lets RSS show a leak
    monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16")
    port = free_port()
    sock = os.path.join(sockdir, "api.sock")
    conf = tmp_path / "d.yaml"
    out = tmp_path / "events.jsonl"
    extra = "  max_connections: 32\n  max_connections_per_ip: 8\n  timeout: 3s\n"
    write_conf(conf, outputs=file_output(out), trace=WRITERS_ONLY,
               api=api_section(port, sock=sock, cert=tls[0], key=tls[1], extra=extra))
    d = daemons(conf)
    url, ca = "https://127.0.0.1:%d" % port, tls[0]
    for _ in range(50):  # warm up: TLS sessions, threads, allocator arenas
        curl(url + "/healthz", cacert=ca)
    rss_before = rss_kib(d.proc.pid)
    w = Writer(2000, gap=0.01)

    # a connection that sends nothing is closed after the timeout
    idle = tls_socket(port, ca)
    idle.settimeout(15)
    t0 = time.monotonic()
    assert idle.recv(100) == b""
    assert time.monotonic() - t0 < 10
    idle.close()

    # oversized headers: 431; oversized bodies: 413 when announced, the connection cut when chunked
    status, _, _ = curl(url + "/healthz", "-H", "X-Big: " + "a" * 20000, cacert=ca)
    assert status == 431
    huge = tmp_path / "huge-header"
    huge.write_text("X-Big: " + "a" * 200000 + "\n")
    # far larger: the 431 may be lost to the reset of what the server did not read, never a hang
    assert curl(url + "/healthz", "-H", "@%s" % huge, cacert=ca)[0] in (None, 431)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (200 << 10))
    # the client waits for the go-ahead: the 413 comes first, and no body is cut off under it
    status, _, _ = curl(url + "/api/v1/reload", "--data-binary", "@%s" % big, "-H", "Expect: 100-continue",
                        "--expect100-timeout", "30", cacert=ca, token=ADMIN_TOKEN)
    assert status == 413
    assert chunked_upload_is_cut(port, ca, 1 << 20)

    # slowloris: more slow connections than one address may hold; the others are refused,
    # and other callers (the unix socket) are still served
    slow_results = []
    slow = [threading.Thread(target=slow_client, args=(port, ca, 0.5, 10, slow_results)) for _ in range(12)]
    for t in slow:
        t.start()
    time.sleep(3)
    assert curl("http://ipcdumpd/healthz", sock=sock)[0] == 200
    assert curl("http://ipcdumpd/api/v1/status", sock=sock)[0] == 200
    for t in slow:
        t.join(timeout=60)
    assert slow_results.count("refused") >= 4, slow_results

    # 10k bad tokens: 401s, then 429s; none lets anyone in
    statuses = {}
    bad_tokens(port, ca, 10000, statuses)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.get(429, 0) > 9000
    status, headers, _ = curl(url + "/api/v1/status", cacert=ca, token=READ_TOKEN)
    assert status == 429 and header(headers, "retry-after")
    # root on the unix socket is another client
    assert curl("http://ipcdumpd/api/v1/status", sock=sock)[0] == 200

    w.wait()
    time.sleep(1)
    rss_after = rss_kib(d.proc.pid)
    lines = d.stop()
    assert numbers(out, w.comm) == list(range(2000))  # every message, once, in order
    assert any(re.fullmatch(r"ipcdumpd: info: output 1 \(file .*\): \d+ written, 0 dropped", l) for l in lines)
    assert any(re.search(r"events written, 0 lost$", l) for l in lines), lines
    # bounded: what 10k requests and slow clients leave behind is small against the sanitizer's own
    assert rss_after - rss_before < 32 * 1024, (rss_before, rss_after)


# ---- the OpenAPI file ------------------------------------------------------------------------

def server_routes():
    text = open(os.path.join(ROOT, "src", "api", "routes.c")).read()
    return re.findall(r'\{ "(GET|POST|PUT|DELETE)", "([^"]+)"', text)


def test_openapi_documents_every_route():
    with open(os.path.join(ROOT, "docs", "openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    assert spec["openapi"].startswith("3.")
    routes = server_routes()
    assert len(routes) >= 9
    for method, path in routes:
        assert path in spec["paths"], path
        assert method.lower() in spec["paths"][path], (method, path)
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m in ("get", "post")}
    assert documented == set(routes)
