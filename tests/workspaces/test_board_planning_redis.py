"""Boards a team plans on, live on two gunicorn workers sharing Redis: column and comment events, mentions of
whoever is assigned, two people editing one card's labels and assignees at once, and a column deleted while
someone drags a card into it. Each person's sockets are on different workers."""

import time

import pytest
from support import workspace_of
from wsclient import Person, socket_on


@pytest.fixture
def two_workers(hearth_server, redis_server):
    redis_server.client.flushall()
    return hearth_server({"REDIS_URL": redis_server.url}, workers=2)


@pytest.fixture
def place(two_workers):
    alice, bob = Person(two_workers.url, "alice"), Person(two_workers.url, "bob")
    place = workspace_of(alice, bob)
    place.alice, place.bob, place.server = alice, bob, two_workers
    place.topic = f"board:{place.board['id']}"
    return place


def following(place, person, topic, worker=None, avoid=None):
    sock, pid = socket_on(place.server, person, worker=worker, avoid=avoid)
    ref = sock.subscribe(topic)
    sock.expect("subscribed", ref=ref, topic=topic)
    return sock, pid


def frames(sock, count, timeout=5):
    """The next `count` frames, whatever their order across the broker's channels."""
    deadline = time.monotonic() + timeout
    return [sock.recv(max(0.05, deadline - time.monotonic())) for _ in range(count)]


def test_column_changes_and_comments_reach_the_other_worker_in_order_and_replay_after_a_reconnect(place):
    alice, bob, board = place.alice, place.bob, place.board["id"]
    a, worker_a = following(place, alice, place.topic)
    b, _ = following(place, bob, place.topic, avoid=worker_a)

    review = alice.create(f"/api/boards/{board}/columns", {"name": "Review"})
    assert alice.api("PATCH", f"/api/columns/{review['id']}", {"name": "QA", "position": 0}).status_code == 200
    card = alice.create(f"/api/boards/{board}/cards", {"column_id": place.columns[0], "title": "Release"})
    comment = alice.create(f"/api/cards/{card['id']}/comments", {"body": "_after_ QA"})
    assert alice.api("DELETE", f"/api/columns/{review['id']}").status_code == 204

    seen = b.events(5)
    assert [(e["event"], e["seq"]) for e in seen] == [
        ("column.created", 1),
        ("column.updated", 2),
        ("card.created", 3),
        ("card.comment", 4),
        ("column.deleted", 5),
    ]
    assert seen[0]["data"] == review
    assert seen[1]["data"] == {"id": review["id"], "board_id": board, "name": "QA", "position": 0}
    assert seen[3]["data"] == comment and "<em>after</em>" in comment["html"]
    assert seen[4]["data"] == {"id": review["id"], "board_id": board}
    assert [e["seq"] for e in a.events(5)] == [1, 2, 3, 4, 5]

    # Bob's tab reconnects on Alice's worker, having seen the first two: the rest come once, in order
    b.close()
    again, _ = socket_on(place.server, bob, worker=worker_a)
    ref = again.subscribe(place.topic, since=2)
    replayed = [(e["event"], e["seq"]) for e in again.events(3)]
    assert replayed == [("card.created", 3), ("card.comment", 4), ("column.deleted", 5)]
    assert again.expect("subscribed", ref=ref, topic=place.topic)["seq"] == 5
    assert again.quiet(0.5)


def test_assigning_someone_mentions_them_on_every_socket_of_theirs_subscribed_or_not(place):
    alice, bob, board = place.alice, place.bob, place.board["id"]
    a, worker_a = following(place, alice, place.topic)
    b_board, _ = following(place, bob, place.topic, avoid=worker_a)
    b_elsewhere, _ = socket_on(place.server, bob, worker=worker_a)  # a tab on the chat page, say: no board topic
    card = alice.create(f"/api/boards/{board}/cards", {"column_id": place.columns[0], "title": "Write the notes"})
    assert a.expect("event")["event"] == "card.created" and b_board.expect("event")["event"] == "card.created"

    change = {"version": 1, "assignees": [bob.id, alice.id], "due_on": "2026-12-31", "labels": ["docs"]}
    updated = alice.api("PATCH", f"/api/cards/{card['id']}", change).json()
    mention = b_elsewhere.expect("mention")
    assert mention == {"type": "mention", "topic": place.topic, "card": updated}
    got = {f["type"]: f for f in frames(b_board, 2)}
    assert got["mention"]["card"]["id"] == card["id"] and got["event"]["event"] == "card.updated"
    assert got["event"]["data"]["labels"] == ["docs"] and got["event"]["data"]["due_on"] == "2026-12-31"
    assert {u["id"] for u in got["event"]["data"]["assignees"]} == {alice.id, bob.id}
    assert a.expect("event")["event"] == "card.updated"
    assert a.quiet(0.5)  # Alice assigned herself: no mention for her

    # already assigned: an edit mentions nobody again
    assert alice.api("PATCH", f"/api/cards/{card['id']}", {"version": 2, "labels": ["docs", "v2"]}).status_code == 200
    assert b_board.expect("event")["event"] == "card.updated"
    assert b_elsewhere.quiet(0.5) and b_board.quiet(0.1)


def test_two_people_editing_labels_and_assignees_at_once_one_wins_the_other_sees_it(place):
    alice, bob, board = place.alice, place.bob, place.board["id"]
    a, worker_a = following(place, alice, place.topic)
    b, _ = following(place, bob, place.topic, avoid=worker_a)
    card = alice.create(f"/api/boards/{board}/cards", {"column_id": place.columns[0], "title": "Pricing"})
    a.expect("event"), b.expect("event")

    a_ref = a.request(
        "publish",
        topic=place.topic,
        data={"op": "card.update", "card_id": card["id"], "version": 1, "labels": ["alice's"]},
    )
    b_ref = b.request(
        "publish",
        topic=place.topic,
        data={"op": "card.update", "card_id": card["id"], "version": 1, "assignees": [bob.id]},
    )
    answers = {}
    for name, sock, ref in (("alice", a, a_ref), ("bob", b, b_ref)):
        for frame in frames(sock, 2):
            if frame["type"] in ("ack", "error"):
                assert frame["ref"] == ref
                answers[name] = frame
    assert sorted(f["type"] for f in answers.values()) == ["ack", "error"]
    lost = next(f for f in answers.values() if f["type"] == "error")
    won = next(f for f in answers.values() if f["type"] == "ack")
    assert lost["code"] == "conflict" and lost["current"] == won["card"] and lost["current"]["version"] == 2
    stored = alice.api("GET", f"/api/boards/{board}").json()["columns"][0]["cards"][0]
    assert stored == won["card"]


def test_a_column_deleted_while_someone_drags_a_card_into_it(place):
    alice, bob, board = place.alice, place.bob, place.board["id"]
    a, worker_a = following(place, alice, place.topic)
    b, _ = following(place, bob, place.topic, avoid=worker_a)
    card = alice.create(f"/api/boards/{board}/cards", {"column_id": place.columns[0], "title": "Hotfix"})
    review = alice.create(f"/api/boards/{board}/columns", {"name": "Review"})
    assert [e["event"] for e in b.events(2)] == ["card.created", "column.created"]
    a.events(2)

    # Bob picks the card up; Alice deletes the empty column before his drop arrives
    assert alice.api("DELETE", f"/api/columns/{review['id']}").status_code == 204
    ref = b.request(
        "publish",
        topic=place.topic,
        data={"op": "card.move", "card_id": card["id"], "version": 1, "column_id": review["id"], "position": 0},
    )
    got = {f["type"]: f for f in frames(b, 2)}
    assert got["event"]["event"] == "column.deleted"
    assert got["error"]["ref"] == ref and got["error"]["code"] == "invalid_message"
    assert got["error"]["fields"] == ["column_id"]
    assert a.expect("event")["event"] == "column.deleted" and a.quiet(0.5)  # no card.moved
    columns = alice.api("GET", f"/api/boards/{board}").json()["columns"]
    assert [c["name"] for c in columns] == ["To do", "Doing", "Done"]
    assert columns[0]["cards"][0]["id"] == card["id"] and columns[0]["cards"][0]["version"] == 1

    # and the other way round: a column that has just received a card is no longer empty
    column = alice.create(f"/api/boards/{board}/columns", {"name": "Blocked"})
    assert bob.api("PATCH", f"/api/cards/{card['id']}", {"version": 1, "column_id": column["id"]}).status_code == 200
    assert alice.api("DELETE", f"/api/columns/{column['id']}").status_code == 409
