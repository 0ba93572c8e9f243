"""Two gunicorn workers sharing Redis: removals, deletions, read markers and typing reach the other worker."""

import time

import pytest
from support import workspace_of
from wsclient import Person, socket_on


@pytest.fixture
def two_workers(hearth_server, redis_server):
    redis_server.client.flushall()
    return hearth_server({"REDIS_URL": redis_server.url, "HEARTH_PRESENCE_GRACE": "5"}, workers=2)


def subscribed(sock, topic, since=None):
    ref = sock.subscribe(topic, since)
    return sock.expect("subscribed", ref=ref, topic=topic)


def unsubscribed_topics(sock, count, timeout=1):
    """The topics of the next `count` unsubscribed frames; a presence diff that was already on its way
    across workers when the socket joined (Alice's own join) may come first."""
    ended, deadline = set(), time.monotonic() + timeout
    while len(ended) < count:
        frame = sock.recv(max(0.01, deadline - time.monotonic()))
        if frame["type"] == "presence_diff" and not frame["leaves"]:
            continue
        assert frame["type"] == "unsubscribed", frame
        ended.add(frame["topic"])
    return ended


def test_a_removal_on_one_worker_ends_the_members_sockets_on_both_within_a_second(two_workers):
    server = two_workers
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    place = workspace_of(alice, bob)
    ws, channel = place.workspace, place.channel
    chat, who = f"chat:{channel['id']}", f"presence:{ws['id']}"

    a, worker_a = socket_on(server, alice)
    b_there, _ = socket_on(server, bob, worker=worker_a)
    b_here, worker_b = socket_on(server, bob, avoid=worker_a)
    subscribed(a, who)
    a.expect("presence_state")
    for sock in (b_there, b_here):
        subscribed(sock, chat)
        subscribed(sock, who)
        sock.expect("presence_state")
    assert [u["id"] for u in a.expect("presence_diff")["joins"]] == [bob.id]

    started = time.monotonic()
    assert alice.api("DELETE", f"/api/workspaces/{ws['id']}/members/{bob.id}").status_code == 204
    for sock in (b_there, b_here):
        ended = unsubscribed_topics(sock, 2)
        assert ended == {chat, who}
    assert [u["id"] for u in a.expect("presence_diff", timeout=1)["leaves"]] == [bob.id]  # no 5 s grace
    assert time.monotonic() - started < 1

    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "after bob left"})
    a.send(type="typing", topic=chat)
    assert b_there.quiet(0.7) and b_here.quiet(0.7)
    assert a.quiet(0.1)  # one leave, not one per worker


def test_deletion_read_markers_and_typing_cross_workers(two_workers):
    server = two_workers
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    general, random = workspace_of(alice, bob, channels=("general", "random")).channels
    chat = f"chat:{general['id']}"

    a, worker_a = socket_on(server, alice)
    b, _ = socket_on(server, bob, avoid=worker_a)
    b_other_tab, _ = socket_on(server, bob, worker=worker_a)
    for sock in (a, b):
        subscribed(sock, chat)
        subscribed(sock, f"chat:{random['id']}")

    a.send(type="typing", topic=chat)
    assert b.expect("typing")["user"]["id"] == alice.id

    alice.api("POST", f"/api/channels/{general['id']}/messages", {"body": "hello"})
    b.expect("event", seq=1)
    a.recv()  # her own event
    assert bob.api("POST", f"/api/channels/{general['id']}/read", {"seq": 1}).status_code == 204
    for sock in (b, b_other_tab):
        sock.expect("read", topic=chat, seq=1)

    alice.api("DELETE", f"/api/channels/{random['id']}")
    for sock in (a, b):
        sock.expect("unsubscribed", topic=f"chat:{random['id']}", reason="deleted", timeout=1)
    assert a.quiet(0.3) and b.quiet(0.3)
