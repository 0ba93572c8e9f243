"""The workspace topic, read markers, typing and withdrawals against the running server with real WebSocket clients."""

import itertools
import time

import pytest
from servers import live_server
from support import team_of
from wsclient import Person

names = (f"live{i}" for i in itertools.count())


server = live_server({"HEARTH_PRESENCE_GRACE": "5", "HEARTH_MAX_SOCKETS_PER_USER": "20"}, each_database=True)


@pytest.fixture
def team(server):
    """Alice owns a workspace with a channel and a board; Bob is a member; Carol is not (see `support.team_of`)."""
    return team_of(*(Person(server.url, next(names)) for _ in range(3)))


def subscribed(sock, topic, since=None):
    ref = sock.subscribe(topic, since)
    return sock.expect("subscribed", ref=ref, topic=topic)


def frames_until(sock, predicate, timeout=5):
    """Every frame up to and including the first that matches."""
    seen, deadline = [], time.monotonic() + timeout
    while True:
        frame = sock.recv(max(0.05, deadline - time.monotonic()))
        seen.append(frame)
        if predicate(frame):
            return seen


# the workspace topic


def test_the_workspace_topic_streams_channels_boards_and_members(team):
    alice, bob, eve, ws, board = team.alice, team.bob, team.carol, team.workspace, team.board
    topic = f"workspace:{ws['id']}"
    b = bob.socket()
    head = subscribed(b, topic)["seq"]
    assert head == 3  # bob added, the channel, the board

    created = alice.api("POST", f"/api/workspaces/{ws['id']}/channels", {"name": "random"}).json()
    event = b.expect("event", topic=topic, seq=head + 1, event="channel.created")
    assert event["data"] == {key: created[key] for key in ("id", "workspace_id", "name", "kind", "created_by")}
    assert created["notify"] == "mentions" and created["mentions"] == 0  # the answer is as the caller sees it
    alice.api("PATCH", f"/api/boards/{board['id']}", {"name": "roadmap"})
    assert b.expect("event", seq=head + 2, event="board.updated")["data"]["name"] == "roadmap"
    alice.api("DELETE", f"/api/channels/{created['id']}")
    assert b.expect("event", seq=head + 3, event="channel.deleted")["data"] == {
        "id": created["id"],
        "workspace_id": ws["id"],
    }
    alice.api("POST", f"/api/workspaces/{ws['id']}/members", {"username": eve.username})
    added = b.expect("event", seq=head + 4, event="member.added")["data"]
    assert added == {"user": {"id": eve.id, "username": eve.username, "display_name": eve.username, "avatar_url": None}}
    assert b.quiet()


def test_the_workspace_topic_replays_from_a_seq_like_chat(team):
    alice, bob, ws = team.alice, team.bob, team.workspace
    topic = f"workspace:{ws['id']}"
    for name in ("one", "two"):
        alice.api("POST", f"/api/workspaces/{ws['id']}/boards", {"name": name})
    b = bob.socket()
    ref = b.subscribe(topic, since=3)
    replayed = b.events(2)
    assert [(e["seq"], e["event"], e["data"]["name"]) for e in replayed] == [
        (4, "board.created", "one"),
        (5, "board.created", "two"),
    ]
    b.expect("subscribed", ref=ref, seq=5)
    ref = b.subscribe(f"workspace:{ws['id']}", since=99)
    b.expect("resync_required", ref=ref)


def test_a_stranger_cannot_follow_a_workspace_and_nobody_publishes_to_one(team):
    alice, eve, ws = team.alice, team.carol, team.workspace
    e = eve.socket()
    ref = e.subscribe(f"workspace:{ws['id']}")
    e.expect("error", ref=ref, code="not_found")
    a = alice.socket()
    ref = a.request("publish", topic=f"workspace:{ws['id']}", data={"name": "x"})
    a.expect("error", ref=ref, code="invalid_message")


# read markers


def test_a_read_marker_reaches_every_socket_of_its_user_and_nobody_else(team):
    alice, bob, channel = team.alice, team.bob, team.channel
    chat = f"chat:{channel['id']}"
    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "hi"})
    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "there"})
    tab_on_chat, tab_elsewhere, a = bob.socket(), bob.socket(), alice.socket()
    subscribed(tab_on_chat, chat)
    subscribed(a, chat)
    assert bob.api("POST", f"/api/channels/{channel['id']}/read", {"seq": 2}).status_code == 204
    for sock in (tab_on_chat, tab_elsewhere):  # followed or not: the sidebar of every tab counts unread
        assert sock.expect("read") == {"type": "read", "topic": chat, "seq": 2}
    assert a.quiet()
    # a marker that does not move sends nothing
    assert bob.api("POST", f"/api/channels/{channel['id']}/read", {"seq": 1}).status_code == 204
    assert tab_on_chat.quiet() and tab_elsewhere.quiet()


def test_a_message_sent_while_offline_is_unread_after_reconnecting_and_read_after_viewing(team):
    alice, bob, ws, channel = team.alice, team.bob, team.workspace, team.channel
    chat = f"chat:{channel['id']}"
    b = bob.socket()
    head = subscribed(b, chat)["seq"]
    b.close()  # bob goes offline
    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "while you were out"})

    again, second_tab = bob.socket(), bob.socket()
    ref = again.subscribe(chat, since=head)
    missed = again.expect("event", seq=head + 1)
    again.expect("subscribed", ref=ref, seq=head + 1)
    (listed,) = bob.api("GET", f"/api/workspaces/{ws['id']}/channels").json()
    assert (listed["seq"], listed["read_seq"], listed["unread"]) == (1, 0, 1)

    bob.api("POST", f"/api/channels/{channel['id']}/read", {"seq": missed["seq"]})
    for sock in (again, second_tab):
        sock.expect("read", topic=chat, seq=1)
    assert bob.api("GET", f"/api/workspaces/{ws['id']}/channels").json()[0]["unread"] == 0


# typing


def test_typing_reaches_the_others_once_per_two_seconds_and_is_not_stored(team):
    alice, bob, channel = team.alice, team.bob, team.channel
    chat = f"chat:{channel['id']}"
    a, a2, b = alice.socket(), alice.socket(), bob.socket()
    for sock in (a, a2, b):
        subscribed(sock, chat)
    a.send(type="typing", topic=chat)
    frame = b.expect("typing")
    first_at = time.monotonic()
    assert frame == {
        "type": "typing",
        "topic": chat,
        "user": {"id": alice.id, "username": alice.username, "display_name": alice.username, "avatar_url": None},
    }
    assert a.quiet(0.3) and a2.quiet(0.3)  # not to the typer's own sockets
    relayed, deadline = [], first_at + 3.5
    while time.monotonic() < deadline and not relayed:  # a keystroke every 0.1 s
        a.send(type="typing", topic=chat)
        try:
            relayed.append(b.expect("typing", timeout=0.1))
        except TimeoutError:
            pass
    assert relayed, "typing stopped being relayed"
    assert 1.9 <= time.monotonic() - first_at <= 3.0  # the next one only once 2 s had passed
    assert bob.api("GET", f"/api/channels/{channel['id']}/messages").json() == []
    b2 = bob.socket()
    assert subscribed(b2, chat)["seq"] == 0  # typing takes no seq


def test_typing_is_refused_where_it_does_not_belong(team):
    alice, eve, channel, board = team.alice, team.carol, team.channel, team.board
    e, a = eve.socket(), alice.socket()
    e.send(type="typing", topic=f"chat:{channel['id']}", ref="t1")
    e.expect("error", ref="t1", code="not_found")
    a.send(type="typing", topic=f"board:{board['id']}", ref="t2")
    a.expect("error", ref="t2", code="invalid_message")
    a.send(type="typing", ref="t3")
    a.expect("error", ref="t3", code="invalid_message")


# withdrawals: removal and deletion


def test_a_removed_member_loses_every_topic_of_the_workspace_at_once(team):
    alice, bob, ws, channel, board = team.alice, team.bob, team.workspace, team.channel, team.board
    chat, plan, room, who = (
        f"chat:{channel['id']}",
        f"board:{board['id']}",
        f"workspace:{ws['id']}",
        f"presence:{ws['id']}",
    )
    a, b = alice.socket(), bob.socket()
    subscribed(a, who)
    a.expect("presence_state")
    for topic in (chat, plan, room, who):
        subscribed(b, topic)
    b.expect("presence_state")
    assert [u["id"] for u in a.expect("presence_diff")["joins"]] == [bob.id]

    started = time.monotonic()
    assert alice.api("DELETE", f"/api/workspaces/{ws['id']}/members/{bob.id}").status_code == 204
    ended = {}
    seen = frames_until(
        b,
        lambda f: f["type"] == "unsubscribed" and not ended.update({f["topic"]: f["reason"]}) and len(ended) == 4,
        timeout=1,
    )
    assert time.monotonic() - started < 1
    assert ended == dict.fromkeys((chat, plan, room, who), "removed")
    # he hears of his own removal on the workspace topic first, then of nothing more
    assert seen[0]["event"] == "member.removed" and seen[0]["data"]["user"]["id"] == bob.id
    # the removed member leaves presence at once: no grace (it is 5 s on this server)
    assert [u["id"] for u in a.expect("presence_diff", timeout=1)["leaves"]] == [bob.id]

    # nothing of the workspace reaches him any more
    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "not for bob"})
    alice.api("POST", f"/api/workspaces/{ws['id']}/channels", {"name": "secret"})
    a.send(type="typing", topic=chat)
    assert b.quiet(1)
    ref = b.subscribe(chat, since=0)
    b.expect("error", ref=ref, code="not_found")
    assert bob.api("GET", f"/api/channels/{channel['id']}/messages").status_code == 404


def test_leaving_ends_only_the_leavers_subscriptions(team):
    alice, bob, ws, channel = team.alice, team.bob, team.workspace, team.channel
    chat = f"chat:{channel['id']}"
    a, b = alice.socket(), bob.socket()
    subscribed(a, chat)
    subscribed(b, chat)
    assert bob.api("DELETE", f"/api/workspaces/{ws['id']}/members/{bob.id}").status_code == 204
    b.expect("unsubscribed", topic=chat, reason="removed")
    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "still here"})
    assert a.expect("event")["data"]["body"] == "still here"
    assert b.quiet()


def test_deleting_a_channel_or_board_ends_its_subscriptions_for_everyone(team):
    alice, bob, channel, board = team.alice, team.bob, team.channel, team.board
    chat, plan = f"chat:{channel['id']}", f"board:{board['id']}"
    a, b = alice.socket(), bob.socket()
    for sock in (a, b):
        subscribed(sock, chat)
        subscribed(sock, plan)
    alice.api("DELETE", f"/api/channels/{channel['id']}")
    for sock in (a, b):
        sock.expect("unsubscribed", topic=chat, reason="deleted", ref=None)
    alice.api("DELETE", f"/api/boards/{board['id']}")
    for sock in (a, b):
        sock.expect("unsubscribed", topic=plan, reason="deleted")
    assert a.quiet() and b.quiet()
    ref = b.subscribe(chat, since=0)
    b.expect("error", ref=ref, code="not_found")
