"""Replies and reactions over the socket: in seq order for every subscriber, resumed with no gap, on one
worker and across two on Redis."""

import itertools
import uuid

import pytest
from servers import live_server
from support import workspace_of
from wsclient import Person, socket_on

names = (f"threader{i}" for i in itertools.count())

server = live_server({"HEARTH_PRESENCE_GRACE": "1"}, each_database=True)


@pytest.fixture
def pair(server):
    alice, bob = Person(server.url, next(names)), Person(server.url, next(names))
    return alice, bob, workspace_of(alice, bob).channel


def publish(sock, topic, **data):
    """Publish and return the answer to it (ack or error), reading past the events in between."""
    ref = sock.request("publish", topic=topic, data=data)
    while True:
        frame = sock.recv()
        if frame.get("ref") == ref:
            return frame


def subscribed(sock, topic, since=None):
    sock.subscribe(topic, since=since)
    return sock.expect("subscribed", topic=topic)


def thread_and_reactions(sock, topic):
    """A message, a reply to it, a reaction on each and one taken back: what both tests replay."""
    parent = publish(sock, topic, body="release on friday?", client_id=uuid.uuid4().hex)
    reply = publish(sock, topic, body="yes, after the freeze", client_id=uuid.uuid4().hex, parent_id=parent["id"])
    assert reply["type"] == "ack", reply
    for op, message, emoji in (
        ("message.react", parent["id"], "👍"),
        ("message.react", reply["id"], "🎉"),
        ("message.unreact", parent["id"], "👍"),
    ):
        assert publish(sock, topic, op=op, message_id=message, emoji=emoji)["type"] == "ack"
    return parent, reply


def check_events(events, parent, reply, user_id):
    """created parent, created reply, the parent's counts, three reaction changes: seqs 1–6 with no gap."""
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert [(e["event"], e["data"]["id"]) for e in events] == [
        ("message.created", parent["id"]),
        ("message.created", reply["id"]),
        ("message.updated", parent["id"]),
        ("message.updated", parent["id"]),
        ("message.updated", reply["id"]),
        ("message.updated", parent["id"]),
    ]
    assert events[1]["data"]["parent_id"] == parent["id"]
    assert events[2]["data"]["reply_count"] == 1 and events[2]["data"]["last_reply_at"]
    assert events[3]["data"]["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [user_id]}]
    assert events[4]["data"]["reactions"] == [{"emoji": "🎉", "count": 1, "user_ids": [user_id]}]
    assert events[5]["data"]["reactions"] == []


def test_replies_and_reactions_reach_every_subscriber_in_seq_order(pair):
    alice, bob, channel = pair
    topic = f"chat:{channel['id']}"
    a, b = alice.socket(), bob.socket()
    subscribed(a, topic)
    subscribed(b, topic)
    parent, reply = thread_and_reactions(a, topic)
    check_events(b.events(6), parent, reply, alice.id)
    assert b.quiet()
    # a reply to a reply is refused, and stores nothing
    refused = publish(a, topic, body="deeper", client_id=uuid.uuid4().hex, parent_id=reply["id"])
    assert refused["type"] == "error" and refused["code"] == "invalid_message"
    assert b.quiet()


def test_a_reconnect_resumes_replies_and_reactions_from_the_last_seq(pair):
    alice, bob, channel = pair
    topic = f"chat:{channel['id']}"
    a, b = alice.socket(), bob.socket()
    subscribed(a, topic)
    subscribed(b, topic)
    parent = publish(a, topic, body="release on friday?", client_id=uuid.uuid4().hex)
    assert b.events(1)[0]["seq"] == 1
    b.close()  # Bob is away while the thread goes on
    reply = publish(a, topic, body="yes", client_id=uuid.uuid4().hex, parent_id=parent["id"])
    publish(a, topic, op="message.react", message_id=reply["id"], emoji="🎉")
    b = bob.socket()
    b.subscribe(topic, since=1)
    replayed = b.events(3)
    assert [(e["seq"], e["event"], e["data"]["id"]) for e in replayed] == [
        (2, "message.created", reply["id"]),
        (3, "message.updated", parent["id"]),
        (4, "message.updated", reply["id"]),
    ]
    assert b.expect("subscribed")["seq"] == 4
    assert b.quiet()


def test_replies_and_reactions_cross_workers_live_and_on_resume(two_workers):
    server = two_workers
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    channel = workspace_of(alice, bob).channel
    topic = f"chat:{channel['id']}"
    a, worker_a = socket_on(server, alice)
    b, _ = socket_on(server, bob, avoid=worker_a)
    subscribed(a, topic, since=0)
    subscribed(b, topic, since=0)
    parent, reply = thread_and_reactions(a, topic)
    check_events(b.events(6), parent, reply, alice.id)

    b.close()  # offline on the other worker while someone replies and reacts
    second = publish(a, topic, body="and the notes", client_id=uuid.uuid4().hex, parent_id=parent["id"])
    publish(a, topic, op="message.react", message_id=second["id"], emoji="✅")
    b, _ = socket_on(server, bob, avoid=worker_a)
    b.subscribe(topic, since=6)
    replayed = b.events(3)
    assert [(e["seq"], e["event"], e["data"]["id"]) for e in replayed] == [
        (7, "message.created", second["id"]),
        (8, "message.updated", parent["id"]),
        (9, "message.updated", second["id"]),
    ]
    assert replayed[1]["data"]["reply_count"] == 2
    assert b.expect("subscribed")["seq"] == 9
    assert b.quiet()
