"""A person using Hearth over the network: an HTTP session with its cookies, and real WebSocket clients."""

import base64
import json
import os
import time
from pathlib import Path

import requests
from support import PASSWORD
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


class Person:
    def __init__(self, url, username, register=True, **profile):
        self.url = url
        self.username = username
        self.http = requests.Session()
        if register:
            response = self.http.post(
                f"{url}/auth/register", json={"username": username, "password": PASSWORD, **profile}
            )
            assert response.status_code == 201, response.text
            self.id = response.json()["user"]["id"]

    def login(self):
        response = self.http.post(f"{self.url}/auth/login", json={"username": self.username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.id = response.json()["user"]["id"]
        return self

    def api(self, method, path, body=None):
        """A call as the browser client makes it: refresh once on an expired token, then retry."""
        kind = "refresh" if path in ("/auth/refresh", "/auth/logout", "/auth/logout-all") else "access"

        def send():
            headers = {"X-CSRF-TOKEN": self.http.cookies.get(f"csrf_{kind}_token") or ""}
            return self.http.request(method, self.url + path, json=body, headers=headers)

        response = send()
        if kind == "access" and response.status_code == 401 and response.json().get("error") == "token_expired":
            self.api("POST", "/auth/refresh")
            response = send()
        return response

    def create(self, path, body):
        """POST something that must be created; its JSON."""
        response = self.api("POST", path, body)
        assert response.status_code == 201, response.text
        return response.json()

    def cookie_header(self):
        return f"access_token_cookie={self.http.cookies.get('access_token_cookie')}"

    def access_expires_within(self, seconds):
        """True when the access token is gone or ends within `seconds` (its `exp`, read without verifying)."""
        token = self.http.cookies.get("access_token_cookie")
        if not token:
            return True
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return claims["exp"] - time.time() < seconds

    def fresh_cookie_header(self):
        """The access cookie, refreshed first when it is about to expire, as the browser does."""
        if self.access_expires_within(1.5):  # the tests run 2 s tokens on busy machines
            self.api("POST", "/auth/refresh")
        return self.cookie_header()

    def socket(self, origin=None, cookie=None):
        """A socket on this person's cookie, refreshed first when it is about to expire, as the browser does."""
        return Socket(
            self.url,
            cookie if cookie is not None else self.fresh_cookie_header(),
            origin if origin is not None else self.url,
        )


def login(server, username, password, address):
    """A login from `address`, through the one `X-Forwarded-For` hop a server behind a proxy trusts."""
    return requests.post(
        server.url + "/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


def opens(person):
    """A new socket of this person, or None while the socket cap refuses it (429): poll it with wait_until."""
    try:
        return person.socket()
    except InvalidStatus as refused:
        if refused.response.status_code == 429:
            return None
        raise


class Program:
    """A bot or script: a personal access token of `person`, no cookies, no CSRF and no Origin."""

    def __init__(self, person, name="bot"):
        self.url = person.url
        answer = person.api("POST", "/auth/tokens", {"name": name})
        assert answer.status_code == 201, answer.text
        self.token_id, self.token = answer.json()["id"], answer.json()["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def api(self, method, path, body=None):
        return requests.request(method, self.url + path, json=body, headers=self.headers, timeout=10)

    def socket(self):
        return Socket(self.url, None, None, headers=self.headers)


def upgrade_status(url, headers):
    """Attempt an upgrade by hand: the HTTP status and the response the server answers with."""
    response = requests.get(
        url + "/ws",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            **headers,
        },
        timeout=5,
    )
    return response.status_code, response


class Socket:
    def __init__(self, url, cookie, origin, headers=None):
        headers = {**({"Cookie": cookie} if cookie else {}), **(headers or {})}
        connection = connect(
            url.replace("http", "ws", 1) + "/ws",
            origin=origin,
            additional_headers=headers,
            open_timeout=5,
            close_timeout=2,
            max_size=2**22,
        )
        self.ws = connection.__enter__()  # websockets wants its context entered; close() leaves it
        self.refs = 0

    def send(self, **frame):
        self.ws.send(json.dumps(frame))

    def recv(self, timeout=5):
        return json.loads(self.ws.recv(timeout))

    def request(self, type, **fields):
        """Send a frame with a fresh ref and return the ref."""
        self.refs += 1
        ref = f"r{self.refs}"
        self.send(type=type, ref=ref, **fields)
        return ref

    def expect(self, type, timeout=5, **match):
        """The next frame, which must be of this type (and match these fields)."""
        frame = self.recv(timeout)
        assert frame["type"] == type, frame
        for key, value in match.items():
            assert frame.get(key) == value, (key, frame)
        return frame

    def subscribe(self, topic, since=None):
        ref = self.request("subscribe", topic=topic, since=since)
        return ref

    def events(self, count, timeout=5):
        return [self.expect("event", timeout) for _ in range(count)]

    def quiet(self, timeout=0.5):
        """True when nothing arrives within the timeout."""
        try:
            frame = self.ws.recv(timeout)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected frame: {frame}")

    def alive(self):
        ref = self.request("ping")
        return self.expect("pong", ref=ref)

    def close_code(self, timeout=5):
        """Wait for the server to close the socket; returns the close code."""
        return self.closing(timeout)[0]

    def closing(self, timeout=5):
        """Wait for the server to close the socket; returns its Close frame's (code, reason)."""
        try:
            while True:
                self.ws.recv(timeout)
        except ConnectionClosed as e:
            return (e.rcvd.code, e.rcvd.reason) if e.rcvd else (None, None)

    def close(self):
        self.ws.close()


def worker_of(server, sock):
    """The gunicorn worker pid holding this client's connection (read from /proc)."""
    local_port = sock.ws.socket.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == local_port and int(fields[1].split(":")[1], 16) == server.port:
            inode = fields[9]
    assert inode, "connection not found in /proc/net/tcp"
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if f"socket:[{inode}]" in links and int(pid) != server.process.pid:
            return int(pid)
    raise AssertionError("no worker holds the connection")


def socket_on(server, person, worker=None, avoid=None, tries=40):
    """A socket of this person (or Program) on the given worker (or on any worker but `avoid`)."""
    spare = []
    for _ in range(tries):
        sock = person.socket()
        pid = worker_of(server, sock)
        if (worker is None or pid == worker) and pid != avoid:
            for other in spare:
                other.close()
            return sock, pid
        spare.append(sock)
        if len(spare) > 8:
            spare.pop(0).close()
    raise AssertionError("could not reach the other worker")
