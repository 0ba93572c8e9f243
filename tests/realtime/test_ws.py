"""The realtime socket against the real server: gunicorn (gevent worker) on loopback, real WebSocket clients."""

import itertools
import re
import signal
import socket
import threading
import time

import pytest
import requests
from servers import live_server
from support import team_of, wait_until
from websockets.exceptions import InvalidStatus
from wsclient import Person, opens

from hearth.realtime.frames import ABUSE_LIMIT

names = (f"user{i}" for i in itertools.count())


server = live_server(
    {"HEARTH_ACCESS_TTL": "2", "HEARTH_PRESENCE_GRACE": "1", "HEARTH_MAX_SOCKETS_PER_USER": "20"}, each_database=True
)


@pytest.fixture
def team(server):
    """Alice owns a workspace with a channel and a board; Bob is a member; Carol is not (see `support.team_of`)."""
    return team_of(*(Person(server.url, next(names)) for _ in range(3)))


def chat(team):
    return f"chat:{team.channel['id']}"


def test_two_members_chat_and_a_stranger_sees_nothing(team):
    alice, bob, carol, topic = team.alice, team.bob, team.carol, chat(team)
    a, b, e = alice.socket(), bob.socket(), carol.socket()
    for sock in (a, b):
        ref = sock.subscribe(topic)
        sock.expect("subscribed", ref=ref, topic=topic, seq=0)
    ref = e.subscribe(topic)
    e.expect("error", ref=ref, code="not_found")

    ref = a.request("publish", topic=topic, data={"body": "hello bob", "client_id": "c1"})
    frames = [a.recv(), a.recv()]
    ack = next(f for f in frames if f["type"] == "ack")
    event = next(f for f in frames if f["type"] == "event")
    assert ack == {"type": "ack", "ref": ref, "id": event["data"]["id"], "seq": 1}
    assert event["event"] == "message.created" and event["data"]["body"] == "hello bob"
    assert b.expect("event", seq=1, topic=topic)["data"]["author"]["username"] == alice.username
    assert b.quiet() and e.quiet()
    e.alive()  # the refused subscribe left the stranger's socket open


def test_a_repeated_client_id_is_acked_not_stored_again(team):
    alice, bob, topic = team.alice, team.bob, chat(team)
    a, b = alice.socket(), bob.socket()
    b.subscribe(topic)
    b.expect("subscribed")
    first = a.request("publish", topic=topic, data={"body": "once", "client_id": "dup"})
    ack1 = a.expect("ack", ref=first)
    again = a.request("publish", topic=topic, data={"body": "once", "client_id": "dup"})
    ack2 = a.expect("ack", ref=again)
    assert (ack1["id"], ack1["seq"]) == (ack2["id"], ack2["seq"])
    assert len(b.events(1)) == 1 and b.quiet()
    listed = alice.api("GET", f"/api/channels/{topic.split(':')[1]}/messages").json()
    assert [m["body"] for m in listed] == ["once"]


def test_events_from_the_http_api_reach_sockets(team):
    alice, bob, topic, board = team.alice, team.bob, chat(team), team.board
    b = bob.socket()
    b.subscribe(topic)
    b.expect("subscribed")
    b.subscribe(f"board:{board['id']}")
    b.expect("subscribed")
    alice.api("POST", f"/api/channels/{topic.split(':')[1]}/messages", {"body": "over http"})
    assert b.expect("event", topic=topic)["data"]["body"] == "over http"
    card = alice.api(
        "POST", f"/api/boards/{board['id']}/cards", {"column_id": board["columns"][0]["id"], "title": "via api"}
    ).json()
    event = b.expect("event", topic=f"board:{board['id']}", event="card.created", seq=1)
    assert event["data"] == card


def publish_over_http(person, topic, count, prefix="m"):
    for i in range(count):
        assert (
            person.api("POST", f"/api/channels/{topic.split(':')[1]}/messages", {"body": f"{prefix}{i}"}).status_code
            == 201
        )


def test_resume_replays_exactly_what_was_missed_in_order(team):
    alice, bob, topic = team.alice, team.bob, chat(team)
    publish_over_http(alice, topic, 3, "before")
    a = alice.socket()
    a.subscribe(topic, since=0)
    assert [e["seq"] for e in a.events(3)] == [1, 2, 3]
    last = a.expect("subscribed", seq=3)["seq"]
    a.close()

    publish_over_http(bob, topic, 20, "missed")
    a = alice.socket()
    ref = a.subscribe(topic, since=last)
    replayed = a.events(20)
    assert [e["seq"] for e in replayed] == list(range(4, 24))
    assert [e["data"]["body"] for e in replayed] == [f"missed{i}" for i in range(20)]
    a.expect("subscribed", ref=ref, seq=23)
    publish_over_http(bob, topic, 1, "live")
    assert a.expect("event")["seq"] == 24
    assert a.quiet()


def test_resume_while_others_publish_has_no_gap_and_no_duplicate(team):
    alice, bob, topic = team.alice, team.bob, chat(team)
    publish_over_http(alice, topic, 30, "old")
    writer = bob.socket()

    def publish_during_replay():
        for i in range(25):  # within the publish rate limit's burst
            writer.request("publish", topic=topic, data={"body": f"new{i}", "client_id": f"n{i}"})
            time.sleep(0.005)  # the pace of the writes that land during the replay, not a wait for anything

    thread = threading.Thread(target=publish_during_replay)
    a = alice.socket()
    thread.start()
    a.subscribe(topic, since=5)
    seqs, subscribed_at = [], None
    while len(seqs) < 50 or subscribed_at is None:  # every publish may land before the replay reads the log
        frame = a.recv(10)
        if frame["type"] == "subscribed":
            subscribed_at = frame["seq"]
            assert seqs[-1] == subscribed_at if seqs else subscribed_at == 5
        else:
            seqs.append(frame["seq"])
    thread.join()
    assert subscribed_at is not None
    assert seqs == list(range(6, 56))
    assert a.quiet()


def test_since_ahead_of_the_head_asks_for_a_resync(team):
    alice, topic = team.alice, chat(team)
    a = alice.socket()
    ref = a.subscribe(topic, since=999)
    assert a.expect("resync_required", ref=ref, topic=topic)


def test_the_socket_outlives_its_access_token_and_closes_on_logout(team):
    alice, topic = team.alice, chat(team)
    a = alice.socket()
    a.subscribe(topic)
    a.expect("subscribed")
    expired = lambda: alice.http.get(alice.url + "/api/me").json().get("error") == "token_expired"  # noqa: E731
    assert wait_until(expired, timeout=5)  # HEARTH_ACCESS_TTL=2 has run out
    a.alive()

    laptop = requests.Session()  # another HTTP client holding the same session's refresh cookie
    laptop.cookies.update(alice.http.cookies)
    started = time.monotonic()
    response = laptop.post(
        alice.url + "/auth/logout", headers={"X-CSRF-TOKEN": alice.http.cookies.get("csrf_refresh_token")}
    )
    assert response.status_code == 204
    assert a.close_code(timeout=2) == 4403
    assert time.monotonic() - started < 1.0


def test_revoking_a_session_closes_only_its_sockets(team):
    alice = team.alice
    phone = Person(alice.url, alice.username, register=False).login()
    on_laptop, on_phone = alice.socket(), phone.socket()
    phone_sid = next(s["id"] for s in phone.api("GET", "/auth/sessions").json() if s["current"])
    assert alice.api("DELETE", f"/auth/sessions/{phone_sid}").status_code == 204
    assert on_phone.close_code(timeout=2) == 4403
    on_laptop.alive()


def test_refresh_reuse_closes_the_sessions_sockets(team):
    alice = team.alice
    a = alice.socket()
    a.alive()  # served, so its session's ending reaches it
    stolen = dict(alice.http.cookies)
    assert alice.api("POST", "/auth/refresh").status_code == 200
    thief = requests.Session()
    thief.cookies.update(stolen)
    # inside the grace the replay gets the current tokens; after a second rotation it is reuse
    assert alice.api("POST", "/auth/refresh").status_code == 200
    answer = thief.post(alice.url + "/auth/refresh", headers={"X-CSRF-TOKEN": stolen["csrf_refresh_token"]})
    assert answer.json()["error"] == "refresh_reused"
    assert a.close_code(timeout=2) == 4403


@pytest.mark.parametrize(
    "frame,code",
    [
        ("not json", "invalid_json"),
        ("[1,2]", "invalid_message"),
        ('{"type":"dance","ref":"x"}', "invalid_message"),
        ('{"ref":"x"}', "invalid_message"),
        ('{"type":"subscribe","topic":"weather:1","ref":"x"}', "unknown_topic"),
        ('{"type":"subscribe","ref":"x"}', "invalid_message"),
        ('{"type":"subscribe","topic":"chat:abc","ref":"x"}', "not_found"),
        ('{"type":"subscribe","topic":"chat:999999","ref":"x"}', "not_found"),
        ('{"type":"subscribe","topic":"chat:2147483648","ref":"x"}', "not_found"),
        ('{"type":"subscribe","topic":"chat:1","since":"yesterday","ref":"x"}', "invalid_message"),
        ('{"type":"publish","topic":"presence:1","ref":"x","data":{}}', "invalid_message"),
        ('{"type":"publish","topic":"chat:1","ref":"x"}', "invalid_message"),
        ("[" * 30000 + "]" * 30000, "invalid_json"),
    ],
)
def test_malformed_frames_get_error_frames_and_the_socket_stays_open(team, frame, code):
    alice = team.alice
    a = alice.socket()
    a.ws.send(frame)
    error = a.expect("error")
    assert error["code"] == code, error
    a.alive()


def test_invalid_messages_change_nothing(team):
    alice, topic, board = team.alice, chat(team), team.board
    a = alice.socket()
    for data in ({"body": ""}, {"body": "x" * 4001}, {"body": 5}, {}):
        ref = a.request("publish", topic=topic, data=data)
        assert a.expect("error", ref=ref)["code"] == "invalid_message"
    ref = a.request("publish", topic=f"board:{board['id']}", data={"op": "card.create", "column_id": "x", "title": "t"})
    assert a.expect("error", ref=ref)["code"] == "invalid_message"
    assert alice.api("GET", f"/api/channels/{topic.split(':')[1]}/messages").json() == []


def test_board_operations_over_the_socket(team):
    alice, bob, board = team.alice, team.bob, team.board
    topic = f"board:{board['id']}"
    a, b = alice.socket(), bob.socket()
    b.subscribe(topic)
    b.expect("subscribed")
    todo, doing = board["columns"][0]["id"], board["columns"][1]["id"]
    ref = a.request("publish", topic=topic, data={"op": "card.create", "column_id": todo, "title": "socket card"})
    ack = a.expect("ack", ref=ref)
    card = ack["card"]
    assert card["title"] == "socket card" and ack["seq"] == 1
    assert b.expect("event", event="card.created")["data"] == card

    ref = a.request(
        "publish",
        topic=topic,
        data={"op": "card.move", "card_id": card["id"], "version": 1, "column_id": doing, "position": 0},
    )
    moved = a.expect("ack", ref=ref)["card"]
    assert (moved["column_id"], moved["version"]) == (doing, 2)
    assert b.expect("event", event="card.moved")["data"] == moved

    ref = a.request(
        "publish", topic=topic, data={"op": "card.update", "card_id": card["id"], "version": 1, "title": "stale"}
    )
    conflict = a.expect("error", ref=ref, code="conflict")
    assert conflict["current"] == moved
    ref = a.request("publish", topic=topic, data={"op": "card.delete", "card_id": card["id"], "version": 2})
    assert a.expect("ack", ref=ref)["id"] == card["id"]
    assert b.expect("event", event="card.deleted")["data"] == {
        "id": card["id"],
        "board_id": board["id"],
        "column_id": doing,
    }


def test_a_card_of_another_board_is_not_found_on_this_topic(team):
    alice, ws, board = team.alice, team.workspace, team.board
    other = alice.api("POST", f"/api/workspaces/{ws['id']}/boards", {"name": "other"}).json()
    card = alice.api(
        "POST", f"/api/boards/{other['id']}/cards", {"column_id": other["columns"][0]["id"], "title": "x"}
    ).json()
    a = alice.socket()
    ref = a.request(
        "publish", topic=f"board:{board['id']}", data={"op": "card.delete", "card_id": card["id"], "version": 1}
    )
    assert a.expect("error", ref=ref)["code"] == "not_found"
    ref = a.request("publish", topic=f"board:{board['id']}", data={"op": "card.delete", "card_id": 2**31, "version": 1})
    assert a.expect("error", ref=ref)["code"] == "not_found"


def test_many_sockets_resuming_and_publishing_at_once_all_get_through(server, team):
    """More sockets at once than the worker has database connections: every resume and publish gets through.

    On PostgreSQL the frames really interleave (psycopg waits cooperatively under gevent), so
    this is where a frame holding two pooled connections at once, or seqs claimed out of
    order, would show.
    """
    alice, bob, carol, ws, topic = team.alice, team.bob, team.carol, team.workspace, chat(team)
    alice.create(f"/api/workspaces/{ws['id']}/members", {"username": carol.username})
    publish_over_http(alice, topic, 3, "old")
    sockets = [person.socket() for person in (alice, bob, carol) for _ in range(10)]
    for sock in sockets:
        sock.subscribe(topic, since=0)
        sock.subscribe(f"presence:{ws['id']}")
    for sock in sockets:
        frames = []
        while sum(f["type"] != "presence_diff" for f in frames) < 6:
            frames.append(sock.recv(10))
        assert [f["seq"] for f in frames if f["type"] == "event"] == [1, 2, 3]
        assert sorted(f["type"] for f in frames if f["type"] not in ("event", "presence_diff")) == [
            "presence_state",
            "subscribed",
            "subscribed",
        ]

    refs = [
        sock.request("publish", topic=topic, data={"body": f"from {i}", "client_id": f"c{i}"})
        for i, sock in enumerate(sockets)
    ]
    acked = []
    for sock, ref in zip(sockets, refs):
        seen, ack = [], None
        while len(seen) < len(sockets) or ack is None:  # every message once, in seq order, and its own ack
            frame = sock.recv(10)
            if frame["type"] == "event":
                seen.append(frame["seq"])
            elif frame["type"] == "ack":
                assert frame["ref"] == ref
                ack = frame["seq"]
        assert seen == list(range(4, 4 + len(sockets)))
        acked.append(ack)
    assert sorted(acked) == list(range(4, 4 + len(sockets)))


def test_presence_counts_users_not_tabs_and_has_a_grace(team):
    alice, bob, carol, ws = team.alice, team.bob, team.carol, team.workspace
    topic = f"presence:{ws['id']}"
    a = alice.socket()
    ref = a.subscribe(topic)
    a.expect("subscribed", ref=ref, seq=None)
    state = a.expect("presence_state", topic=topic)
    assert [(u["id"], u["connections"]) for u in state["users"]] == [(alice.id, 1)]

    b1 = bob.socket()
    b1.subscribe(topic)
    b1.expect("subscribed")
    assert {u["id"] for u in b1.expect("presence_state")["users"]} == {alice.id, bob.id}
    diff = a.expect("presence_diff")
    assert [u["id"] for u in diff["joins"]] == [bob.id] and diff["leaves"] == []

    b2 = bob.socket()  # a second tab is no second join
    b2.subscribe(topic)
    b2.expect("subscribed")
    assert next(u for u in b2.expect("presence_state")["users"] if u["id"] == bob.id)["connections"] == 2
    assert a.quiet(0.5)

    b2.close()  # one tab of two goes: no leave
    assert a.quiet(1.5)
    bob.api("POST", "/auth/refresh")  # the access token (HEARTH_ACCESS_TTL=2) ran out meanwhile
    b1.close()  # the last tab goes, and a reconnect within the grace is no leave-and-join
    b3 = bob.socket()
    b3.subscribe(topic)
    b3.expect("subscribed")
    b3.expect("presence_state")
    assert a.quiet(1.5)
    b3.close()
    diff = a.expect("presence_diff", timeout=4)
    assert [u["id"] for u in diff["leaves"]] == [bob.id]

    carol.api("POST", "/auth/refresh")
    e = carol.socket()
    ref = e.subscribe(topic)
    e.expect("error", ref=ref, code="not_found")


def test_unsubscribe_stops_events(team):
    alice, bob, topic = team.alice, team.bob, chat(team)
    a = alice.socket()
    a.subscribe(topic)
    a.expect("subscribed")
    ref = a.request("unsubscribe", topic=topic)
    a.expect("unsubscribed", ref=ref, topic=topic)
    publish_over_http(bob, topic, 1)
    assert a.quiet()


def test_an_oversized_frame_closes_with_1009(team):
    alice = team.alice
    a = alice.socket()
    a.ws.send('{"type":"ping","ref":"' + "x" * (65 * 1024) + '"}')
    assert a.close_code() == 1009


def test_invalid_utf8_closes_with_1007(server, team):
    alice = team.alice
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    raw.sendall(
        (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Origin: %s\r\nCookie: %s\r\n\r\n" % (server.port, server.url, alice.cookie_header())
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += raw.recv(4096)
    assert response.startswith(b"HTTP/1.1 101")
    payload = b"\xff\xfe\xfd"
    mask = b"\x01\x02\x03\x04"
    raw.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    data = response.split(b"\r\n\r\n", 1)[1]
    deadline = time.monotonic() + 5
    while len(data) < 4 and time.monotonic() < deadline:
        data += raw.recv(4096)
    assert data[0] == 0x88, data  # a close frame
    assert int.from_bytes(data[2:4], "big") == 1007
    raw.close()


def test_a_flooding_client_is_limited_and_a_neighbour_notices_nothing(team):
    alice, bob, topic = team.alice, team.bob, chat(team)
    neighbour = bob.socket()
    neighbour.subscribe(topic)
    neighbour.expect("subscribed")
    flood = alice.socket()
    for i in range(200):
        flood.ws.send(
            '{"type":"publish","topic":"%s","ref":"f%d","data":{"body":"spam %d","client_id":"f%d"}}' % (topic, i, i, i)
        )
    codes = []
    try:
        while True:
            frame = flood.recv(3)
            if frame["type"] == "error":
                codes.append(frame["code"])
    except Exception:
        pass
    assert "rate_limited" in codes
    # the neighbour got every stored message once, in order, and its socket is fine
    stored = alice.api("GET", f"/api/channels/{topic.split(':')[1]}/messages?limit=100").json()
    seqs = [neighbour.expect("event")["seq"] for _ in stored]
    assert seqs == [m["seq"] for m in stored]
    neighbour.alive()


def test_sustained_abuse_is_closed_with_1008(team):
    alice = team.alice
    abuser = alice.socket()
    for _ in range(ABUSE_LIMIT):
        abuser.ws.send("nonsense")
    assert abuser.close_code(timeout=5) == 1008


def test_the_socket_cap_refuses_the_extra_upgrade_and_frees_on_close(hearth_server):
    server = hearth_server({"HEARTH_MAX_SOCKETS_PER_USER": "3"})
    alice = Person(server.url, "capped")
    sockets = [alice.socket() for _ in range(3)]
    with pytest.raises(InvalidStatus) as refused:
        alice.socket()
    assert refused.value.response.status_code == 429
    assert b"too_many_connections" in refused.value.response.body
    sockets[0].close()
    assert wait_until(lambda: opens(alice), timeout=5).alive()  # its slot is free once the server saw it close


def test_sigterm_closes_every_socket_with_1001_saying_when_to_come_back(hearth_server):
    """A restart spreads its sockets' returns: each 1001 names a wait within the worker's window (1 s for a few)."""
    server = hearth_server()
    people = [Person(server.url, f"term{i}") for i in range(3)]
    sockets = [p.socket() for p in people]
    for s in sockets:
        s.alive()
    for p in people:
        p.http.close()  # an idle keep-alive connection would hold the graceful shutdown to its end
    server.process.send_signal(signal.SIGTERM)
    closes = [s.closing(timeout=5) for s in sockets]
    assert [code for code, _ in closes] == [1001, 1001, 1001]
    waits = [re.fullmatch(r"server going away; retry in (\d+) ms", reason) for _, reason in closes]
    assert all(wait and 0 <= int(wait[1]) < 1000 for wait in waits), closes
    assert server.process.wait(15) == 0


def test_permessage_deflate_is_not_negotiated_though_offered(team):
    a = team.alice.socket()  # the websockets client offers permessage-deflate, as browsers do
    assert "permessage-deflate" in a.ws.request.headers.get("Sec-WebSocket-Extensions", "")
    assert a.ws.response.headers.get("Sec-WebSocket-Extensions") is None
    a.alive()


@pytest.mark.parametrize(
    "headers, fix",
    [
        ({"Sec-WebSocket-Version": "8"}, "Sec-WebSocket-Version: 13"),
        ({"Sec-WebSocket-Version": None}, "Sec-WebSocket-Version: 13"),
        ({"Sec-WebSocket-Key": "c2hvcnQ="}, "Sec-WebSocket-Key"),  # 5 bytes, not 16
        ({"Sec-WebSocket-Key": "not base64 at all!!!!!!!"}, "Sec-WebSocket-Key"),
        ({"Sec-WebSocket-Key": None}, "Sec-WebSocket-Key"),
        ({"Upgrade": None, "Connection": None}, None),  # no upgrade at all: routing's own 400
    ],
)
def test_an_upgrade_that_is_no_websocket_handshake_is_refused_with_what_to_send(server, team, headers, fix):
    """RFC 6455 §4.2.1: a checked user's malformed handshake gets a 400 saying what is wrong, never a 101."""
    sent = {
        "Origin": server.url,
        "Cookie": team.alice.fresh_cookie_header(),
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        **headers,
    }
    response = requests.get(server.url + "/ws", headers={k: v for k, v in sent.items() if v is not None}, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "invalid_input"
    if fix is not None:
        assert fix.split(":")[0] in response.json()["message"]
        assert response.headers["Sec-WebSocket-Version"] == "13"


def test_the_handshake_answers_the_key_as_rfc_6455_computes_it(server, team):
    """The 101 comes from flask-sock (wsproto's handshake) after Hearth's checks: RFC 6455's own example key and
    answer, with the offered permessage-deflate declined."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    raw.sendall(
        (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            "Origin: %s\r\nCookie: %s\r\n\r\n" % (server.port, server.url, team.alice.fresh_cookie_header())
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += raw.recv(4096)
    head = response.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    assert head[0] == "HTTP/1.1 101 Switching Protocols"
    fields = {name.lower(): value for name, value in (line.split(": ", 1) for line in head[1:])}
    assert fields["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert fields["upgrade"].lower() == "websocket" and fields["connection"].lower() == "upgrade"
    assert "sec-websocket-extensions" not in fields  # permessage-deflate is declined
    raw.close()


def test_an_upgrade_without_host_is_refused_with_what_to_send(server, team):
    """RFC 6455 §4.2.1 asks for a Host; without one the handshake would fail inside wsproto (a 500): a 400."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    raw.sendall(
        (
            "GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Origin: %s\r\nCookie: %s\r\n\r\n" % (server.url, team.alice.fresh_cookie_header())
        ).encode()
    )
    response = b""
    while chunk := raw.recv(4096):
        response += chunk
    raw.close()
    head, body = response.split(b"\r\n\r\n", 1)
    assert head.split(b"\r\n")[0].split(b" ")[1] == b"400", head
    assert b"Host" in body and b"invalid_input" in body
