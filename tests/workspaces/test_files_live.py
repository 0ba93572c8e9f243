"""Files under gunicorn's gevent workers: thumbnails made in the thread pool, a message's files reaching a socket on
the other worker through Redis and a replay after reconnecting, lying and chunked bodies on a real socket."""

import io
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from support import workspace_of
from wsclient import Person, socket_on


@pytest.fixture
def two_workers(hearth_server, redis_server):
    redis_server.client.flushall()
    return hearth_server({"REDIS_URL": redis_server.url}, workers=2)


def png(size=(1200, 800)):
    out = io.BytesIO()
    Image.new("RGB", size, (90, 160, 40)).save(out, format="PNG")
    return out.getvalue()


def upload(person, path, data, name, **kwargs):
    headers = {"X-CSRF-TOKEN": person.http.cookies.get("csrf_access_token")}
    return person.http.post(person.url + path, files={"file": (name, data)}, headers=headers, **kwargs)


def test_a_message_with_files_reaches_the_other_worker_and_a_replay_and_goes_when_deleted(two_workers):
    server = two_workers
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    place = workspace_of(alice, bob)
    channel, topic = place.channel, f"chat:{place.channel['id']}"
    a, worker_a = socket_on(server, alice)
    b, _ = socket_on(server, bob, avoid=worker_a)
    for sock in (a, b):
        sock.expect("subscribed", ref=sock.subscribe(topic))

    started = time.monotonic()
    image = upload(alice, f"/api/channels/{channel['id']}/files", png(), "chart.png")
    assert image.status_code == 201 and image.json()["thumbnail_url"], image.text
    assert time.monotonic() - started < 5
    a.request("publish", topic=topic, data={"body": "", "client_id": "f1", "file_ids": [image.json()["id"]]})
    seq = next_of(a, "ack")["seq"]
    event = next_of(b, "event")
    assert event["data"]["files"] == [image.json()] and event["seq"] == seq
    thumb = bob.http.get(server.url + image.json()["thumbnail_url"])  # any worker: one file directory
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).size == (400, 267)

    b.close()
    again, _ = socket_on(server, bob, avoid=worker_a)
    again.subscribe(topic, 0)
    replayed = next_of(again, "event")
    assert replayed["data"]["files"] == [image.json()]

    message_id = replayed["data"]["id"]
    assert alice.api("DELETE", f"/api/messages/{message_id}").status_code == 204
    assert next_of(again, "event")["event"] == "message.deleted"
    assert bob.http.get(server.url + image.json()["url"]).status_code == 404
    assert bob.http.get(server.url + image.json()["thumbnail_url"]).status_code == 404


def next_of(sock, kind, timeout=5):
    """The next frame of this type, past others (our own publish's event may come before its ack)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = sock.recv(max(0.01, deadline - time.monotonic()))
        if frame["type"] == kind:
            return frame


def raw_post(url, path, headers, body, cookies):
    """Send exactly these bytes (a lying Content-Length included); the status line of the answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", f"Cookie: {cookies}", *headers, "", ""]
        conn.sendall("\r\n".join(head).encode() + body)
        answer = b""
        while b'"}' not in answer and (more := conn.recv(4096)):
            answer += more
        answer = answer.decode(errors="replace")
    return answer.split("\r\n", 1)[0], answer


def test_a_2_gb_content_length_with_a_tiny_body_is_413_at_once(hearth_server):
    server = hearth_server()
    alice = Person(server.url, "alice")
    place = workspace_of(alice)
    cookies = "; ".join(f"{k}={v}" for k, v in alice.http.cookies.items())
    started = time.monotonic()
    status, answer = raw_post(
        server.url,
        f"/api/channels/{place.channel['id']}/files",
        [
            "Content-Type: multipart/form-data; boundary=x",
            f"Content-Length: {2 * 1024**3}",
            f"X-CSRF-TOKEN: {alice.http.cookies.get('csrf_access_token')}",
        ],
        b"--x\r\n",
        cookies,
    )
    assert " 413 " in status and "too_large" in answer
    assert time.monotonic() - started < 3
    assert alice.api("GET", "/api/me").status_code == 200  # the worker is fine


def test_a_chunked_upload_is_spooled_and_limited_like_any_other(hearth_server):
    server = hearth_server({"HEARTH_MAX_UPLOAD": str(300 * 1024)})
    alice = Person(server.url, "alice")
    place = workspace_of(alice)
    path = f"{server.url}/api/channels/{place.channel['id']}/files"
    boundary = "chunkyboundary"

    def body(payload):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        whole = head + payload + f"\r\n--{boundary}--\r\n".encode()
        return iter([whole[i : i + 8192] for i in range(0, len(whole), 8192)])

    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-CSRF-TOKEN": alice.http.cookies.get("csrf_access_token"),
    }
    fits = alice.http.post(path, data=body(b"y" * (200 * 1024)), headers=headers)  # over 64 KiB, under the limit
    assert fits.status_code == 201, fits.text
    assert fits.json()["size"] == 200 * 1024
    over = alice.http.post(path, data=body(b"y" * (400 * 1024)), headers=headers)
    assert (over.status_code, over.json()["error"]) == (413, "too_large")
    assert requests.get(server.url + "/healthz").status_code == 200
