"""Two gunicorn workers sharing Redis: messages, presence and revocations cross between workers."""

import time

import pytest
from support import wait_until, workspace_of
from wsclient import Person, opens, socket_on, worker_of


@pytest.fixture
def two_workers(hearth_server, redis_server):
    redis_server.client.flushall()
    return hearth_server({"REDIS_URL": redis_server.url, "HEARTH_PRESENCE_GRACE": "1"}, workers=2)


def test_messages_presence_and_logout_cross_workers(two_workers):
    server = two_workers
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    place = workspace_of(alice, bob)
    ws, channel = place.workspace, place.channel
    topic = f"chat:{channel['id']}"

    a, worker_a = socket_on(server, alice)
    b, worker_b = socket_on(server, bob, avoid=worker_a)
    assert worker_a != worker_b

    for sock in (a, b):
        sock.subscribe(topic)
        sock.expect("subscribed")
    ref = a.request("publish", topic=topic, data={"body": "across workers", "client_id": "x"})
    frames = [a.recv(), a.recv()]
    assert {f["type"] for f in frames} == {"ack", "event"} and {f.get("ref") for f in frames} == {ref, None}
    assert b.expect("event")["data"]["body"] == "across workers"
    assert b.quiet()

    presence = f"presence:{ws['id']}"
    b.subscribe(presence)
    b.expect("subscribed")
    assert [u["id"] for u in b.expect("presence_state")["users"]] == [bob.id]
    a.subscribe(presence)
    a.expect("subscribed")
    assert {u["id"] for u in a.expect("presence_state")["users"]} == {alice.id, bob.id}
    assert [u["id"] for u in b.expect("presence_diff")["joins"]] == [alice.id]

    # alice's second socket on bob's worker: her logout closes sockets on both workers
    a2, _ = socket_on(server, alice, worker=worker_b)
    started = time.monotonic()
    assert alice.api("POST", "/auth/logout").status_code == 204
    assert a.close_code(timeout=2) == 4403
    assert a2.close_code(timeout=2) == 4403
    assert time.monotonic() - started < 1.5
    diff = b.expect("presence_diff", timeout=5)
    assert [u["id"] for u in diff["leaves"]] == [alice.id]


def test_the_socket_cap_counts_across_workers(hearth_server, redis_server):
    redis_server.client.flushall()
    server = hearth_server({"REDIS_URL": redis_server.url, "HEARTH_MAX_SOCKETS_PER_USER": "4"}, workers=2)
    alice = Person(server.url, "alice")
    held = [alice.socket() for _ in range(4)]
    assert len({worker_of(server, s) for s in held}) >= 1
    from websockets.exceptions import InvalidStatus

    for _ in range(4):  # whichever worker takes the upgrade, the fifth is refused
        with pytest.raises(InvalidStatus) as refused:
            alice.socket()
        assert refused.value.response.status_code == 429
    held.pop().close()
    assert wait_until(lambda: opens(alice), timeout=5).alive()  # its slot is free once the server saw it close
