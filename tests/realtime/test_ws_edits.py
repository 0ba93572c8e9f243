"""Message edits and deletions over the socket, live and after a resume, on one worker and across two on Redis."""

import itertools
import uuid

import pytest
from servers import live_server
from support import team_of, workspace_of
from wsclient import Person, socket_on

names = (f"editor{i}" for i in itertools.count())


server = live_server({"HEARTH_PRESENCE_GRACE": "1"}, each_database=True)


@pytest.fixture
def team(server):
    """Alice owns a workspace with a channel and a board; Bob is a member; Carol is not (see `support.team_of`)."""
    return team_of(*(Person(server.url, next(names)) for _ in range(3)))


def subscribed(person, topic, since=None):
    sock = person.socket()
    sock.subscribe(topic, since=since)
    sock.expect("subscribed", topic=topic)
    return sock


def send(sock, topic, body):
    """Publish a message and return its ack (the sender's own event is read past)."""
    client_id = uuid.uuid4().hex
    ref = sock.request("publish", topic=topic, data={"body": body, "client_id": client_id})
    ack, own_event = None, None
    while ack is None or own_event is None:
        frame = sock.recv()
        if frame["type"] == "ack" and frame["ref"] == ref:
            ack = frame
        elif frame.get("event") == "message.created" and frame["data"]["client_id"] == client_id:
            own_event = frame
    return ack


def answer_to(sock, ref):
    """The frame answering `ref`, reading past events."""
    while True:
        frame = sock.recv()
        if frame.get("ref") == ref:
            return frame


def test_an_edit_and_a_deletion_reach_every_subscriber_with_the_next_seq(team):
    alice, bob, channel = team.alice, team.bob, team.channel
    topic = f"chat:{channel['id']}"
    a, b = subscribed(alice, topic), subscribed(bob, topic)
    first = send(a, topic, "helo")
    second = send(a, topic, "wrong channel")
    assert [e["seq"] for e in b.events(2)] == [1, 2]

    ref = a.request("publish", topic=topic, data={"op": "message.update", "message_id": first["id"], "body": "hello"})
    ack = answer_to(a, ref)
    assert (ack["type"], ack["id"], ack["seq"]) == ("ack", first["id"], 3)
    assert ack["message"]["body"] == "hello" and ack["message"]["edited_at"]
    event = b.expect("event", seq=3, event="message.updated")
    assert event["data"] == ack["message"]

    ref = a.request("publish", topic=topic, data={"op": "message.delete", "message_id": second["id"]})
    assert answer_to(a, ref) == {"type": "ack", "ref": ref, "id": second["id"], "seq": 4}
    event = b.expect("event", seq=4, event="message.deleted")
    assert event["data"] == {"id": second["id"], "channel_id": channel["id"]}
    assert b.quiet()
    listed = bob.api("GET", f"/api/channels/{channel['id']}/messages").json()
    assert [(m["id"], m["body"]) for m in listed] == [(first["id"], "hello")]


def test_only_the_author_changes_a_message_over_the_socket(team):
    alice, bob, eve, channel = team.alice, team.bob, team.carol, team.channel
    topic = f"chat:{channel['id']}"
    a, b = subscribed(alice, topic), subscribed(bob, topic)
    mine = send(a, topic, "alice's")
    b.events(1)
    for op in ({"op": "message.update", "body": "bob's now"}, {"op": "message.delete"}):
        ref = b.request("publish", topic=topic, data={**op, "message_id": mine["id"]})
        assert b.expect("error", ref=ref)["code"] == "forbidden"
    assert a.quiet(0.3) and b.quiet(0.3)

    e = eve.socket()
    ref = e.request("publish", topic=topic, data={"op": "message.delete", "message_id": mine["id"]})
    assert e.expect("error", ref=ref)["code"] == "not_found"
    e.alive()
    # her own channel, Alice's message id
    own = workspace_of(eve).channel
    ref = e.request("publish", topic=f"chat:{own['id']}", data={"op": "message.delete", "message_id": mine["id"]})
    assert e.expect("error", ref=ref)["code"] == "not_found"
    assert [m["body"] for m in alice.api("GET", f"/api/channels/{channel['id']}/messages").json()] == ["alice's"]


@pytest.mark.parametrize(
    "data, code",
    [
        ({"op": "message.update", "message_id": "1", "body": "x"}, "invalid_message"),
        ({"op": "message.update", "message_id": 1}, "invalid_message"),
        ({"op": "message.update", "message_id": 1, "body": "x" * 4001}, "invalid_message"),
        ({"op": "message.remove", "message_id": 1}, "invalid_message"),
        ({"op": "message.delete", "message_id": 10**12}, "not_found"),
    ],
)
def test_malformed_edits_are_refused_and_change_nothing(team, data, code):
    alice, channel = team.alice, team.channel
    topic = f"chat:{channel['id']}"
    a = subscribed(alice, topic)
    mine = send(a, topic, "untouched")
    if data.get("message_id") == 1:
        data = {**data, "message_id": mine["id"]}
    ref = a.request("publish", topic=topic, data=data)
    assert a.expect("error", ref=ref)["code"] == code
    assert a.quiet(0.3)
    listed = alice.api("GET", f"/api/channels/{channel['id']}/messages").json()
    assert [(m["body"], m["edited_at"]) for m in listed] == [("untouched", None)]


def test_a_deleted_message_is_not_found_for_further_changes(team):
    alice, channel = team.alice, team.channel
    topic = f"chat:{channel['id']}"
    a = subscribed(alice, topic)
    mine = send(a, topic, "short-lived")
    ref = a.request("publish", topic=topic, data={"op": "message.delete", "message_id": mine["id"]})
    assert answer_to(a, ref)["type"] == "ack"
    for op in ({"op": "message.update", "body": "back"}, {"op": "message.delete"}):
        ref = a.request("publish", topic=topic, data={**op, "message_id": mine["id"]})
        assert answer_to(a, ref)["code"] == "not_found"


def final_state(frames):
    """What a client shows after applying message events in order: id → body."""
    shown = {}
    for frame in frames:
        data = frame["data"]
        if frame["event"] == "message.deleted":
            shown.pop(data["id"], None)
        elif not data.get("redacted"):
            shown[data["id"]] = data["body"]
    return shown


def test_a_tab_offline_during_edits_and_deletions_resumes_to_the_final_state(team):
    alice, bob, channel = team.alice, team.bob, team.channel
    topic = f"chat:{channel['id']}"
    a = subscribed(alice, topic)
    kept, gone = send(a, topic, "first draft"), send(a, topic, "oops")
    b = bob.socket()
    b.subscribe(topic, since=0)
    seen = b.events(2)
    b.expect("subscribed", seq=2)
    last = seen[-1]["seq"]
    b.close()  # Bob's tab goes offline

    for body in ("second draft", "final text"):
        alice.api("PATCH", f"/api/messages/{kept['id']}", {"body": body})
    alice.api("DELETE", f"/api/messages/{gone['id']}")
    later = send(a, topic, "after")

    b = bob.socket()
    ref = b.subscribe(topic, since=last)
    replayed = b.events(4)
    assert [e["seq"] for e in replayed] == [3, 4, 5, 6]  # no gap, no duplicate
    assert b.expect("subscribed", ref=ref)["seq"] == 6
    assert final_state(seen + replayed) == {kept["id"]: "final text", later["id"]: "after"}
    assert "draft" not in str(replayed)
    ref = a.request("publish", topic=topic, data={"op": "message.update", "message_id": later["id"], "body": "live"})
    assert b.expect("event", seq=7, event="message.updated")["data"]["body"] == "live"
    assert b.quiet()


def test_a_member_resuming_from_zero_never_receives_text_taken_back(team):
    alice, bob, channel = team.alice, team.bob, team.channel
    topic = f"chat:{channel['id']}"
    a = subscribed(alice, topic)
    kept, gone = send(a, topic, "typo-laden first version"), send(a, topic, "the door code is 4711")
    alice.api("PATCH", f"/api/messages/{kept['id']}", {"body": "tidy"})
    alice.api("DELETE", f"/api/messages/{gone['id']}")

    b = bob.socket()
    b.subscribe(topic, since=0)
    replayed = b.events(4)
    assert [e["seq"] for e in replayed] == [1, 2, 3, 4]
    assert "typo" not in str(replayed) and "4711" not in str(replayed)
    assert replayed[1]["data"] == {"id": gone["id"], "channel_id": channel["id"], "redacted": True}
    assert final_state(replayed) == {kept["id"]: "tidy"}


def test_edits_and_deletions_cross_workers_live_and_on_resume(two_workers):
    server = two_workers
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    channel = workspace_of(alice, bob).channel
    topic = f"chat:{channel['id']}"
    a, worker_a = socket_on(server, alice)
    b, _ = socket_on(server, bob, avoid=worker_a)
    for sock in (a, b):
        sock.subscribe(topic, since=0)
        sock.expect("subscribed")
    kept, gone = send(a, topic, "draft"), send(a, topic, "mistake")
    assert [e["seq"] for e in b.events(2)] == [1, 2]

    ref = a.request("publish", topic=topic, data={"op": "message.update", "message_id": kept["id"], "body": "final"})
    answer_to(a, ref)
    assert b.expect("event", seq=3, event="message.updated")["data"]["body"] == "final"

    b.close()  # offline on the other worker while the message is deleted
    ref = a.request("publish", topic=topic, data={"op": "message.delete", "message_id": gone["id"]})
    answer_to(a, ref)
    b, _ = socket_on(server, bob, avoid=worker_a)
    b.subscribe(topic, since=3)
    assert b.expect("event", seq=4, event="message.deleted")["data"]["id"] == gone["id"]
    assert b.expect("subscribed")["seq"] == 4
    assert b.quiet()


def test_card_edits_and_deletions_cross_workers_live_and_on_resume(two_workers):
    server = two_workers
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    place = workspace_of(alice, bob, channels=())
    topic, column = f"board:{place.board['id']}", place.columns[0]
    a, worker_a = socket_on(server, alice)
    b, _ = socket_on(server, bob, avoid=worker_a)
    for sock in (a, b):
        sock.subscribe(topic, since=0)
        sock.expect("subscribed")

    def publish(**data):
        ref = a.request("publish", topic=topic, data=data)
        answer = answer_to(a, ref)
        assert answer["type"] == "ack", answer
        return answer

    kept = publish(op="card.create", column_id=column, title="first title")["card"]
    gone = publish(op="card.create", column_id=column, title="api key 0xDEADBEEF")["card"]
    kept = publish(op="card.update", card_id=kept["id"], version=1, title="final", description="notes")["card"]
    live = b.events(3)
    assert [(e["seq"], e["event"]) for e in live] == [(1, "card.created"), (2, "card.created"), (3, "card.updated")]
    assert live[2]["data"] == kept

    b.close()  # offline on the other worker while a card moves and another is deleted
    publish(op="card.move", card_id=kept["id"], version=2, column_id=place.columns[1], position=0)
    publish(op="card.delete", card_id=gone["id"], version=1)
    b, _ = socket_on(server, bob, avoid=worker_a)
    b.subscribe(topic, since=3)
    replayed = b.events(2)
    assert [(e["seq"], e["event"]) for e in replayed] == [(4, "card.moved"), (5, "card.deleted")]
    assert replayed[0]["data"]["column_id"] == place.columns[1] and replayed[1]["data"]["id"] == gone["id"]
    assert b.expect("subscribed")["seq"] == 5
    assert b.quiet()

    # a newcomer from seq 0: every seq, none of the text taken back
    from_zero = bob.socket()
    from_zero.subscribe(topic, since=0)
    everything = from_zero.events(5)
    assert [e["seq"] for e in everything] == [1, 2, 3, 4, 5]
    assert "first title" not in str(everything) and "DEADBEEF" not in str(everything)
