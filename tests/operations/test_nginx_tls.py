"""deploy/nginx/hearth.conf as shipped, in front of gunicorn on loopback with a real (self-signed) TLS certificate:
people sign in over HTTPS and a WebSocket opened through it (wss://) carries a message both ways."""

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from servers import ROOT, Hearth, end_process, free_port, require_binary
from support import PASSWORD, wait_until
from websockets.sync.client import connect


def self_signed_certificate(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "hearth.crt", folder / "hearth.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, private


def site_for_test(upstream_port, port, cert, key):
    """The shipped site with this test's ports and certificate; every proxy setting as it ships."""
    site = (ROOT / "deploy" / "nginx" / "hearth.conf").read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/certs/hearth.crt": str(cert),
        "/etc/ssl/private/hearth.key": str(key),
        "listen 80;": f"listen 127.0.0.1:{free_port()};",
        "listen [::]:80;": "",
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    return site


@pytest.fixture
def nginx_in_front():
    binary = require_binary("nginx", "nginx")
    hearth = Hearth(env={"HEARTH_TRUSTED_PROXIES": "1", "HEARTH_SECURE_COOKIES": "true"}).start()
    folder = Path(tempfile.mkdtemp(prefix="hearth-nginx-"))
    os.chmod(folder, 0o755)
    cert, key = self_signed_certificate(folder)
    port = free_port()
    (folder / "hearth.conf").write_text(site_for_test(hearth.port, port, cert, key))
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
        os.chmod(path, 0o777)
    (folder / "nginx.conf").write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\nhttp {{\n"
        f"  access_log off;\n  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n  include {folder}/hearth.conf;\n}}\n"
    )
    nginx = subprocess.Popen([binary, "-c", str(folder / "nginx.conf"), "-p", str(folder)], stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{port}"

    def answers():
        try:
            return requests.get(url + "/healthz", verify=str(cert), timeout=2).status_code == 200
        except requests.RequestException:
            return nginx.poll() is not None  # exited: stop waiting, the assertion below says why

    try:
        assert wait_until(answers, timeout=15) and nginx.poll() is None, nginx.stderr.read().decode()
        yield url, cert
    finally:
        end_process(nginx)
        hearth.stop()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def test_sign_in_over_https_and_a_wss_socket_through_nginx(nginx_in_front):
    url, cert = nginx_in_front
    browser = requests.Session()
    browser.verify = str(cert)
    browser.trust_env = False  # else REQUESTS_CA_BUNDLE, where set, wins over `verify`
    assert browser.get(url.replace("https", "http", 1) + "/healthz", timeout=5, verify=False).status_code in (
        400,  # plain HTTP on the TLS port: nginx refuses it
        497,
    )
    registered = browser.post(url + "/auth/register", json={"username": "alice", "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    browser.cookies.clear()
    signed_in = browser.post(url + "/auth/login", json={"username": "alice", "password": PASSWORD})
    assert signed_in.status_code == 200
    assert all(c.secure for c in browser.cookies)  # the Secure cookies come back over HTTPS
    csrf = {"X-CSRF-TOKEN": browser.cookies.get("csrf_access_token")}
    workspace = browser.post(url + "/api/workspaces", json={"name": "Behind nginx"}, headers=csrf).json()
    channel = browser.post(
        url + f"/api/workspaces/{workspace['id']}/channels", json={"name": "tls"}, headers=csrf
    ).json()

    tls = ssl.create_default_context(cafile=str(cert))
    cookie = f"access_token_cookie={browser.cookies.get('access_token_cookie')}"
    with connect(
        url.replace("https", "wss", 1) + "/ws", ssl=tls, origin=url, additional_headers={"Cookie": cookie}
    ) as socket:
        topic = f"chat:{channel['id']}"
        socket.send(json.dumps({"type": "subscribe", "topic": topic, "ref": "s"}))
        socket.send(json.dumps({"type": "publish", "topic": topic, "ref": "p", "data": {"body": "over wss"}}))
        frames = []
        assert wait_until(
            lambda: frames.append(json.loads(socket.recv(5))) or {"ack", "event"} <= {f["type"] for f in frames}
        ), frames
        assert [f["data"]["body"] for f in frames if f["type"] == "event"] == ["over wss"]

    history = browser.get(url + f"/api/channels/{channel['id']}/messages").json()
    assert [m["body"] for m in history] == ["over wss"]
