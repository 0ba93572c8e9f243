"""Private channels and direct messages against the running server with real sockets: nothing reaches anyone
outside (subscribe, replay, the workspace topic, typing), removal ends the topic at once, a mention finds its
person wherever they are. The same across two workers on Redis."""

import itertools
import json
import time

import pytest
from servers import live_server
from wsclient import Person, socket_on

names = (f"priv{i}" for i in itertools.count())

server = live_server({"HEARTH_PRESENCE_GRACE": "5", "HEARTH_MAX_SOCKETS_PER_USER": "20"}, each_database=True)


def subscribed(sock, topic, since=None):
    ref = sock.subscribe(topic, since)
    return sock.expect("subscribed", ref=ref, topic=topic)


def refused(sock, topic, since=None):
    ref = sock.subscribe(topic, since)
    sock.expect("error", ref=ref, code="not_found")


def replayed(sock, topic):
    """Every frame a subscribe from seq 0 brings: the replay, `subscribed`, and whatever follows."""
    sock.subscribe(topic, 0)
    frames = drain(sock)
    assert any(f["type"] == "subscribed" for f in frames), frames
    return frames


def drain(sock, timeout=0.5):
    """Every frame that arrives until the socket is quiet for `timeout`."""
    frames = []
    while True:
        try:
            frames.append(sock.recv(timeout))
        except TimeoutError:
            return frames


def team_in(url):
    """Alice owns a workspace with Bob and Dave; #secret is Alice's and Bob's; Carol is outside the workspace."""
    alice, bob, dave, carol = (Person(url, next(names)) for _ in range(4))
    ws = alice.create("/api/workspaces", {"name": "Team"})
    for p in (bob, dave):
        alice.create(f"/api/workspaces/{ws['id']}/members", {"username": p.username})
    general = next(c for c in alice.api("GET", f"/api/workspaces/{ws['id']}/channels").json() if c["name"] == "general")
    return alice, bob, dave, carol, ws, general


@pytest.fixture
def team(server):
    return team_in(server.url)


def test_outsiders_get_nothing_of_a_private_channel_on_any_topic(team):
    alice, bob, dave, carol, ws, general = team
    wtopic = f"workspace:{ws['id']}"
    a, b, d = alice.socket(), bob.socket(), dave.socket()
    for sock in (a, b, d):
        subscribed(sock, wtopic)
    secret = alice.create(f"/api/workspaces/{ws['id']}/channels", {"name": "secret-plans", "private": True})
    created = a.expect("event", topic=wtopic, event="channel.created")
    assert created["data"]["name"] == "secret-plans"
    for sock in (b, d):  # the seq is theirs too, with nothing in it
        hidden = sock.expect("event", topic=wtopic, event="channel.created", seq=created["seq"])
        assert hidden["data"] == {"redacted": True}
    alice.create(f"/api/channels/{secret['id']}/members", {"username": bob.username})
    assert b.expect("event", topic=wtopic, event="channel.created")["data"]["name"] == "secret-plans"
    assert d.expect("event", topic=wtopic)["data"] == {"redacted": True}
    chat = f"chat:{secret['id']}"
    subscribed(b, chat)
    alice.create(f"/api/channels/{secret['id']}/messages", {"body": "the plan"})
    assert b.expect("event", topic=chat, event="message.created")["data"]["body"] == "the plan"

    # subscribe, replay and typing from outside: not_found
    for outsider in (dave, carol):
        s = outsider.socket()
        refused(s, chat)
        refused(s, chat, since=0)
        s.send(type="typing", topic=chat, ref="t")
        s.expect("error", ref="t", code="not_found")
    # the workspace topic from seq 0 names nothing of it for Dave, and everything for Bob
    seen_by_dave = replayed(dave.socket(), wtopic)
    assert "secret-plans" not in json.dumps(seen_by_dave)
    assert {"redacted": True} in [f.get("data") for f in seen_by_dave]
    assert "secret-plans" in json.dumps(replayed(bob.socket(), wtopic))
    assert d.quiet(0.3)


def test_removal_ends_the_topic_at_once_and_a_reconnect_gets_nothing(team):
    alice, bob, dave, carol, ws, general = team
    secret = alice.create(f"/api/workspaces/{ws['id']}/channels", {"name": "secret", "private": True})
    alice.create(f"/api/channels/{secret['id']}/members", {"username": bob.username})
    chat, wtopic = f"chat:{secret['id']}", f"workspace:{ws['id']}"
    alice.create(f"/api/channels/{secret['id']}/messages", {"body": "before"})
    b1, b2, a = bob.socket(), bob.socket(), alice.socket()
    for sock in (b1, b2):
        subscribed(sock, chat)
        subscribed(sock, wtopic)
    subscribed(a, chat)
    started = time.monotonic()
    assert alice.api("DELETE", f"/api/channels/{secret['id']}/members/{bob.id}").status_code == 204
    for sock in (b1, b2):
        frames = [sock.recv(1), sock.recv(1)]
        assert {"type": "unsubscribed", "topic": chat, "ref": None, "reason": "removed"} in frames
        gone = next(f for f in frames if f["type"] == "event")
        assert gone["event"] == "channel.deleted" and gone["data"]["id"] == secret["id"]
    assert time.monotonic() - started < 1
    assert a.quiet(0.3)  # Alice stays
    alice.create(f"/api/channels/{secret['id']}/messages", {"body": "after bob left"})
    assert b1.quiet(0.5)
    # a reconnect, resuming from 0, finds nothing
    b3 = bob.socket()
    refused(b3, chat, since=0)
    assert '"secret"' not in json.dumps(replayed(b3, wtopic))
    b3.send(type="typing", topic=chat, ref="t")
    b3.expect("error", ref="t", code="not_found")
    # a member who leaves on their own is told the same
    alice.create(f"/api/channels/{secret['id']}/members", {"username": dave.username})
    d = dave.socket()
    subscribed(d, chat)
    assert dave.api("DELETE", f"/api/channels/{secret['id']}/members/{dave.id}").status_code == 204
    assert d.expect("unsubscribed", topic=chat)["reason"] == "removed"


def test_a_mention_reaches_the_persons_sockets_wherever_they_are(team):
    alice, bob, dave, carol, ws, general = team
    idle, watching, d = bob.socket(), bob.socket(), dave.socket()
    subscribed(watching, f"chat:{general['id']}")
    idle.alive()
    posted = alice.create(f"/api/channels/{general['id']}/messages", {"body": "@" + bob.username + " look"})
    frame = idle.expect("mention")
    assert frame == {"type": "mention", "topic": f"chat:{general['id']}", "message": posted}
    frames = [watching.recv(), watching.recv()]
    assert {f["type"] for f in frames} == {"mention", "event"}
    assert d.quiet(0.3)
    # in a direct message only its people are mentioned and told
    dm = alice.create(f"/api/workspaces/{ws['id']}/dms", {"usernames": [bob.username]})
    assert dm["name"] == bob.username and dm["notify"] == "all"
    alice.create(f"/api/channels/{dm['id']}/messages", {"body": f"@{bob.username} and @{dave.username}"})
    assert idle.expect("mention")["message"]["mentions"] == [bob.id]
    assert d.quiet(0.3)


def test_two_workers_on_redis_remove_and_mention_everywhere(hearth_server, redis_server):
    redis_server.client.flushall()
    two = hearth_server({"REDIS_URL": redis_server.url, "HEARTH_PRESENCE_GRACE": "5"}, workers=2)
    alice, bob, dave, carol, ws, general = team_in(two.url)
    secret = alice.create(f"/api/workspaces/{ws['id']}/channels", {"name": "secret", "private": True})
    alice.create(f"/api/channels/{secret['id']}/members", {"username": bob.username})
    chat = f"chat:{secret['id']}"
    a, worker_a = socket_on(two, alice)
    b_there, _ = socket_on(two, bob, worker=worker_a)
    b_here, _ = socket_on(two, bob, avoid=worker_a)
    d_here, _ = socket_on(two, dave, avoid=worker_a)
    for sock in (b_there, b_here):
        subscribed(sock, chat)
    subscribed(d_here, f"workspace:{ws['id']}")

    alice.create(f"/api/channels/{secret['id']}/messages", {"body": f"hey @{bob.username}"})
    for sock in (b_there, b_here):
        assert {sock.recv(2)["type"], sock.recv(2)["type"]} == {"event", "mention"}
    assert d_here.quiet(0.3)

    started = time.monotonic()
    assert alice.api("DELETE", f"/api/channels/{secret['id']}/members/{bob.id}").status_code == 204
    for sock in (b_there, b_here):
        assert sock.expect("unsubscribed", timeout=1, topic=chat)["reason"] == "removed"
    assert time.monotonic() - started < 1
    assert d_here.expect("event", timeout=1)["data"] == {"redacted": True}
    alice.create(f"/api/channels/{secret['id']}/messages", {"body": "after"})
    assert b_here.quiet(0.5) and b_there.quiet(0.1)
