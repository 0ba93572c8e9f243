"""The workspace's own rules over HTTP: unread counts and read markers, renaming and deleting, removing and leaving."""

import pytest

from hearth.extensions import db
from hearth.models import Event, Message, utcnow


def channels(member, team):
    return member.call("GET", f"/api/workspaces/{team.workspace['id']}/channels").json


def say(member, team, body, channel=None):
    channel_id = (channel or team.channel)["id"]
    response = member.call("POST", f"/api/channels/{channel_id}/messages", {"body": body})
    assert response.status_code == 201, response.json
    return response.json


def read(member, channel_id, seq):
    return member.call("POST", f"/api/channels/{channel_id}/read", {"seq": seq})


# unread counts and read markers


def test_a_new_channel_lists_its_head_a_zero_marker_and_nothing_unread(team):
    assert channels(team.bob, team) == [
        {"id": team.channel["id"], "workspace_id": team.workspace["id"], "name": "general", "seq": 0, "read_seq": 0,
         "unread": 0, "kind": "public", "created_by": team.workspace["owner_id"], "mentions": 0, "notify": "mentions"}
    ]  # fmt: skip


def test_unread_counts_messages_by_others_after_the_marker(team):
    for body in ("one", "two", "three"):
        say(team.alice, team, body)
    say(team.bob, team, "bob's own")
    (bobs,) = channels(team.bob, team)
    assert (bobs["seq"], bobs["read_seq"], bobs["unread"]) == (4, 0, 3)  # his own message is not unread
    (alices,) = channels(team.alice, team)
    assert (alices["seq"], alices["read_seq"], alices["unread"]) == (4, 0, 1)

    assert read(team.bob, team.channel["id"], 2).status_code == 204
    (bobs,) = channels(team.bob, team)
    assert (bobs["read_seq"], bobs["unread"]) == (2, 1)
    assert channels(team.alice, team)[0]["read_seq"] == 0  # markers are per user


def test_a_deleted_message_is_not_unread(app, team):
    say(team.alice, team, "kept")
    gone = say(team.alice, team, "taken back")
    with app.app_context():
        db.session.get(Message, gone["id"]).deleted_at = utcnow()
        db.session.commit()
    assert channels(team.bob, team)[0]["unread"] == 1


def test_the_marker_only_moves_forward_and_never_past_the_head(team):
    for body in ("one", "two", "three"):
        say(team.alice, team, body)
    channel_id = team.channel["id"]
    assert read(team.bob, channel_id, 99).status_code == 204
    assert channels(team.bob, team)[0]["read_seq"] == 3
    assert read(team.bob, channel_id, 1).status_code == 204
    assert channels(team.bob, team)[0]["read_seq"] == 3
    say(team.alice, team, "four")
    assert channels(team.bob, team)[0]["unread"] == 1


def test_markers_are_kept_per_channel(team):
    other = team.alice.call("POST", f"/api/workspaces/{team.workspace['id']}/channels", {"name": "random"}).json
    say(team.alice, team, "in general")
    say(team.alice, team, "in random", channel=other)
    say(team.alice, team, "in random again", channel=other)
    read(team.bob, other["id"], 2)
    listed = {c["name"]: (c["read_seq"], c["unread"]) for c in channels(team.bob, team)}
    assert listed == {"general": (0, 1), "random": (2, 0)}


@pytest.mark.parametrize("body", [{}, {"seq": "3"}, {"seq": -1}, {"seq": 1.5}, {"seq": True}])
def test_a_bad_marker_is_invalid_input(team, body):
    response = team.bob.call("POST", f"/api/channels/{team.channel['id']}/read", body)
    assert (response.status_code, response.json["error"]) == (400, "invalid_input")


def test_a_stranger_can_neither_list_nor_mark(team):
    assert team.carol.call("GET", f"/api/workspaces/{team.workspace['id']}/channels").status_code == 404
    response = read(team.carol, team.channel["id"], 1)
    assert (response.status_code, response.json["error"]) == (404, "not_found")
    assert read(team.carol, 10**6, 1).status_code == 404


def test_marking_read_needs_the_csrf_header(client, team):
    response = client.post(f"/api/channels/{team.channel['id']}/read", json={"seq": 1})
    assert (response.status_code, response.json["error"]) == (403, "csrf_failed")


# renaming and deleting channels and boards


@pytest.mark.parametrize("kind", ["channels", "boards"])
def test_the_owner_renames_and_members_cannot(team, kind):
    row = team.channel if kind == "channels" else team.board
    response = team.alice.call("PATCH", f"/api/{kind}/{row['id']}", {"name": "  renamed  "})
    assert response.status_code == 200
    assert response.json["name"] == "renamed" and response.json["id"] == row["id"]
    assert response.json["workspace_id"] == team.workspace["id"]

    refused = team.bob.call("PATCH", f"/api/{kind}/{row['id']}", {"name": "mine now"})
    assert (refused.status_code, refused.json["error"]) == (403, "forbidden")
    hidden = team.carol.call("PATCH", f"/api/{kind}/{row['id']}", {"name": "mine now"})
    assert (hidden.status_code, hidden.json["error"]) == (404, "not_found")
    listed = team.bob.call("GET", f"/api/workspaces/{team.workspace['id']}/{kind}").json
    assert [r["name"] for r in listed] == ["renamed"]


@pytest.mark.parametrize("kind", ["channels", "boards"])
def test_a_rename_to_a_taken_name_is_a_conflict_and_a_bad_name_invalid(team, kind):
    team.alice.call("POST", f"/api/workspaces/{team.workspace['id']}/{kind}", {"name": "taken"})
    row = team.channel if kind == "channels" else team.board
    response = team.alice.call("PATCH", f"/api/{kind}/{row['id']}", {"name": "taken"})
    assert (response.status_code, response.json["error"]) == (409, "conflict")
    for bad in ({}, {"name": ""}, {"name": "x" * 81}, {"name": 7}):
        response = team.alice.call("PATCH", f"/api/{kind}/{row['id']}", bad)
        assert (response.status_code, response.json["error"]) == (400, "invalid_input"), bad


def test_a_member_is_refused_before_their_body_is_read(team):
    response = team.bob.call("PATCH", f"/api/channels/{team.channel['id']}", {"name": ""})
    assert response.status_code == 403


def test_deleting_a_channel_takes_its_messages_and_log_with_it(app, team):
    say(team.alice, team, "soon gone")
    read(team.bob, team.channel["id"], 1)
    assert team.bob.call("DELETE", f"/api/channels/{team.channel['id']}").status_code == 403
    assert team.carol.call("DELETE", f"/api/channels/{team.channel['id']}").status_code == 404
    assert team.alice.call("DELETE", f"/api/channels/{team.channel['id']}").status_code == 204
    assert channels(team.bob, team) == []
    assert team.bob.call("GET", f"/api/channels/{team.channel['id']}/messages").status_code == 404
    assert read(team.bob, team.channel["id"], 1).status_code == 404
    assert team.alice.call("DELETE", f"/api/channels/{team.channel['id']}").status_code == 404
    with app.app_context():
        assert db.session.query(Event).filter(Event.topic == f"chat:{team.channel['id']}").count() == 0
    # the name is free again, and a new channel starts from seq 0
    again = team.alice.call("POST", f"/api/workspaces/{team.workspace['id']}/channels", {"name": "general"}).json
    assert say(team.alice, team, "fresh start", channel=again)["seq"] == 1


def test_deleting_a_board_takes_its_cards(team):
    card = team.alice.call(
        "POST", f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "t"}
    )
    assert team.bob.call("DELETE", f"/api/boards/{team.board['id']}").status_code == 403
    assert team.alice.call("DELETE", f"/api/boards/{team.board['id']}").status_code == 204
    assert team.bob.call("GET", f"/api/boards/{team.board['id']}").status_code == 404
    assert team.bob.call("GET", f"/api/workspaces/{team.workspace['id']}/boards").json == []
    assert team.alice.call("PATCH", f"/api/cards/{card.json['id']}", {"version": 1, "title": "x"}).status_code == 404


def test_the_workspace_topic_records_each_change_in_order(app, team):
    ws_id = team.workspace["id"]
    team.alice.call("PATCH", f"/api/channels/{team.channel['id']}", {"name": "lobby"})
    team.alice.call("DELETE", f"/api/boards/{team.board['id']}")
    team.bob.call("DELETE", f"/api/workspaces/{ws_id}/members/{team.bob.call('GET', '/api/me').json['id']}")
    with app.app_context():
        log = db.session.query(Event).filter(Event.topic == f"workspace:{ws_id}").order_by(Event.seq).all()
    assert [(e.seq, e.kind) for e in log] == [
        (1, "channel.created"),  # general, made with the workspace
        (2, "member.added"),
        (3, "board.created"),
        (4, "channel.updated"),
        (5, "board.deleted"),
        (6, "member.removed"),
    ]


# removing members and leaving


def member_ids(member, team):
    return [u["id"] for u in member.call("GET", f"/api/workspaces/{team.workspace['id']}/members").json]


def me(member):
    return member.call("GET", "/api/me").json["id"]


def test_the_owner_removes_a_member_who_then_sees_nothing_of_the_workspace(team):
    ws_id, bob_id = team.workspace["id"], me(team.bob)
    say(team.alice, team, "before")
    read(team.bob, team.channel["id"], 1)
    assert team.alice.call("DELETE", f"/api/workspaces/{ws_id}/members/{bob_id}").status_code == 204
    assert bob_id not in member_ids(team.alice, team)
    for path in (
        f"/api/workspaces/{ws_id}/channels",
        f"/api/workspaces/{ws_id}/members",
        f"/api/channels/{team.channel['id']}/messages",
        f"/api/boards/{team.board['id']}",
    ):
        assert team.bob.call("GET", path).status_code == 404, path
    assert team.bob.call("GET", "/api/workspaces").json == []

    # added again, he starts with no marker: what was said is unread
    team.alice.call("POST", f"/api/workspaces/{ws_id}/members", {"username": "bob"})
    assert channels(team.bob, team)[0]["read_seq"] == 0


def test_any_member_leaves_but_the_owner_cannot(team):
    ws_id = team.workspace["id"]
    refused = team.alice.call("DELETE", f"/api/workspaces/{ws_id}/members/{me(team.alice)}")
    assert (refused.status_code, refused.json["error"]) == (409, "conflict")
    assert team.bob.call("DELETE", f"/api/workspaces/{ws_id}/members/{me(team.bob)}").status_code == 204
    assert member_ids(team.alice, team) == [me(team.alice)]


def test_a_member_cannot_remove_someone_else(team, new_client):
    ws_id = team.workspace["id"]
    _, dave = new_client()
    dave.register("dave")
    team.alice.call("POST", f"/api/workspaces/{ws_id}/members", {"username": "dave"})
    for target in (me(dave), me(team.alice)):
        response = team.bob.call("DELETE", f"/api/workspaces/{ws_id}/members/{target}")
        assert (response.status_code, response.json["error"]) == (403, "forbidden")
    assert len(member_ids(team.alice, team)) == 3


def test_strangers_and_non_members_are_not_found(team):
    ws_id = team.workspace["id"]
    carol_id = me(team.carol)
    response = team.carol.call("DELETE", f"/api/workspaces/{ws_id}/members/{carol_id}")
    assert (response.status_code, response.json["error"]) == (404, "not_found")
    assert team.carol.call("DELETE", f"/api/workspaces/{ws_id}/members/{me(team.bob)}").status_code == 404
    assert team.alice.call("DELETE", f"/api/workspaces/{ws_id}/members/{carol_id}").status_code == 404
    assert team.alice.call("DELETE", f"/api/workspaces/{ws_id}/members/999999").status_code == 404


def test_removing_needs_the_csrf_header(client, team):
    response = client.delete(f"/api/workspaces/{team.workspace['id']}/members/{me(team.bob)}")
    assert (response.status_code, response.json["error"]) == (403, "csrf_failed")
    assert me(team.bob) in member_ids(team.alice, team)
