"""What the API's tests share: a configuration with an api: section, a
self-signed certificate made with openssl, tokens and crypt(3) hashes,
free loopback ports, and requests made with the real curl.
"""
import ctypes
import hashlib
import json
import os
import socket
import subprocess
import time

READ_TOKEN = "read-token-0123456789abcdef"
ADMIN_TOKEN = "admin-token-fedcba9876543210"
PASSWORD = "correct horse battery staple"


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


_libcrypt = ctypes.CDLL("libcrypt.so.1")
_libcrypt.crypt_gensalt.restype = ctypes.c_char_p
_libcrypt.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
_libcrypt.crypt.restype = ctypes.c_char_p
_libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]


def crypt_hash(password, prefix):
    """password hashed by libcrypt: prefix "$y$" yescrypt, "$6$" sha512-crypt."""
    setting = _libcrypt.crypt_gensalt(prefix.encode(), 0, None, 0)
    return _libcrypt.crypt(password.encode(), setting).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(dirpath):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key) paths."""
    cert, key = os.path.join(dirpath, "cert.pem"), os.path.join(dirpath, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def api_section(port, sock=None, cert=None, key=None, extra="", users=True, tokens=True, insecure=False):
    listen = ['"127.0.0.1:%d"' % port] if port else []
    if sock:
        listen.append('"unix:%s"' % sock)
    text = "api:\n  listen: [%s]\n" % ", ".join(listen)
    if cert:
        text += "  tls: {cert: %s, key: %s}\n" % (cert, key)
    if tokens:
        text += ("  tokens:\n    - {name: ci, sha256: %s, role: read}\n"
                 "    - {name: ops, sha256: %s, role: admin}\n" % (sha256(READ_TOKEN), sha256(ADMIN_TOKEN)))
    if users:
        text += ("  users:\n    - {name: alice, password_hash: '%s', role: admin}\n"
                 "    - {name: bob, password_hash: '%s', role: read}\n"
                 % (crypt_hash(PASSWORD, "$y$"), crypt_hash(PASSWORD, "$6$")))
    if insecure:
        text += "  insecure: true\n"
    return text + extra


def write_conf(path, outputs="", api="", trace="trace:\n  types: [pipe]\n  payload: 64\n"):
    path.write_text(trace + ("outputs:\n" + outputs if outputs else "") + api)


def curl(url, *args, cacert=None, token=None, sock=None, timeout=20):
    """The real curl: (status, headers as a lowercased-name list of pairs, body bytes)."""
    cmd = ["curl", "-s", "-i", "--max-time", str(timeout)]
    if cacert:
        cmd += ["--cacert", cacert]
    if token:
        cmd += ["-H", "Authorization: Bearer " + token]
    if sock:
        cmd += ["--unix-socket", sock]
    r = subprocess.run(cmd + list(args) + [url], capture_output=True)
    if r.returncode:
        return None, [], r.stdout
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return status, headers, body


def header(headers, name):
    return [v for n, v in headers if n == name]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_stream_clients(url, cacert, clients, timeout=20):
    """Until the daemon's live feed has this many stream clients (/api/v1/status), so that a workload
    started now reaches every one of them; a sleep instead would race a slow client's start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, body = curl(url + "/api/v1/status", cacert=cacert, token=READ_TOKEN)
        if status == 200 and json.loads(body)["stream"]["clients"] >= clients:
            return
        time.sleep(0.05)
    raise AssertionError("fewer than %d stream clients after %d s" % (clients, timeout))
