"""Two gunicorn workers sharing Redis: messages, presence and revocations cross between workers."""

import time

import pytest
from support import wait_until, workspace_of
from wsclient import Person, opens, socket_on, worker_of


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


def test_concurrent_socket_cap_claims_share_round_trips_and_each_gets_its_own_answer(redis_server):
    """Claims and releases made at the same moment go to Redis together; the cap still holds exactly."""
    import threading

    from hearth.realtime.registry import RedisRegistry

    redis_server.client.flushall()
    registry = RedisRegistry(redis_server.url)
    sends = []
    send = registry.pipelined._send
    registry.pipelined._send = lambda batch: sends.append(len(batch)) or send(batch)
    start, answers = threading.Barrier(20), {}

    def claim(i):
        start.wait()
        answers[i] = registry.claim("sockets:7", f"tab-{i}", 60, limit=5)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = sorted(i for i, ok in answers.items() if ok)
    assert len(answers) == 20 and len(won) == 5  # the cap of 5, whatever the batching
    assert sorted(registry.live("sockets:7")) == sorted(f"tab-{i}" for i in won)
    assert sum(sends) == 20 and len(sends) < 20, sends  # fewer round trips than callers

    assert registry.release("sockets:7", f"tab-{won[0]}") is True
    assert registry.release("sockets:7", f"tab-{won[0]}") is False  # each caller its own answer
    redis_server.client.set("hearth:live:not-a-set", "x")
    with pytest.raises(Exception, match="WRONGTYPE"):
        registry.claim("not-a-set", "tab", 60)  # an error reaches its own caller
    assert registry.claim("sockets:7", f"tab-{won[0]}", 60, limit=5) is True  # and the next calls work
