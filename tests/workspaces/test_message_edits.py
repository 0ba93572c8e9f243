"""Editing and deleting messages over HTTP: only the author, never a stranger, and the event log forgets old text."""

import json

import pytest

from hearth.extensions import db
from hearth.models import Event


def post(team, body, who=None, client_id=None):
    payload = {"body": body} | ({"client_id": client_id} if client_id else {})
    response = (who or team.alice).call("POST", f"/api/channels/{team.channel['id']}/messages", payload)
    assert response.status_code == 201, response.json
    return response.json


def history(team, who=None):
    return (who or team.bob).call("GET", f"/api/channels/{team.channel['id']}/messages").json


def events_of(app, team):
    with app.app_context():
        rows = db.session.query(Event).filter_by(topic=f"chat:{team.channel['id']}").order_by(Event.seq).all()
        return [(e.seq, e.kind, json.loads(e.data)) for e in rows]


def test_the_author_edits_a_message_and_everyone_sees_it_edited(team):
    message = post(team, "helo team")
    response = team.alice.call("PATCH", f"/api/messages/{message['id']}", {"body": "hello team"})
    assert response.status_code == 200
    edited = response.json
    assert edited["body"] == "hello team" and edited["edited_at"].endswith("Z")
    assert {k: edited[k] for k in ("id", "seq", "created_at", "client_id")} == {
        k: message[k] for k in ("id", "seq", "created_at", "client_id")
    }
    assert history(team) == [edited]


def test_the_author_deletes_a_message_and_history_leaves_it_out(team):
    first, second = post(team, "keep me"), post(team, "pasted my password")
    response = team.alice.call("DELETE", f"/api/messages/{second['id']}")
    assert (response.status_code, response.data) == (204, b"")
    assert [m["id"] for m in history(team)] == [first["id"]]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_another_member_may_not_change_a_message(team, method):
    message = post(team, "alice's words")
    response = team.bob.call(method, f"/api/messages/{message['id']}", {"body": "bob's words"})
    assert (response.status_code, response.json["error"]) == (403, "forbidden")
    assert history(team) == [message]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_stranger_sees_no_message(team, method):
    message = post(team, "members only")
    for missing in (message["id"], message["id"] + 1000):
        response = team.carol.call(method, f"/api/messages/{missing}", {"body": "x"})
        assert (response.status_code, response.json["error"]) == (404, "not_found")
    assert history(team) == [message]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_deleted_message_is_not_found(team, method):
    message = post(team, "soon gone")
    assert team.alice.call("DELETE", f"/api/messages/{message['id']}").status_code == 204
    response = team.alice.call(method, f"/api/messages/{message['id']}", {"body": "back again"})
    assert (response.status_code, response.json["error"]) == (404, "not_found")
    assert history(team) == []


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001, 42, None])
def test_an_edit_keeps_the_body_limits(team, body):
    message = post(team, "fine")
    response = team.alice.call("PATCH", f"/api/messages/{message['id']}", {"body": body})
    assert (response.status_code, response.json["fields"]) == (400, ["body"])
    assert history(team) == [message]


def test_membership_is_checked_before_the_body(team):
    message = post(team, "fine")
    response = team.carol.call("PATCH", f"/api/messages/{message['id']}", {"body": ""})
    assert response.status_code == 404
    response = team.bob.call("PATCH", f"/api/messages/{message['id']}", {"body": ""})
    assert response.status_code == 403


def test_edits_and_deletions_take_the_next_seq_of_the_channel(app, team):
    kept, gone = post(team, "first draft"), post(team, "oops")
    team.alice.call("PATCH", f"/api/messages/{kept['id']}", {"body": "final text"})
    team.alice.call("DELETE", f"/api/messages/{gone['id']}")
    kinds = [(seq, kind) for seq, kind, _ in events_of(app, team)]
    assert kinds == [(1, "message.created"), (2, "message.created"), (3, "message.updated"), (4, "message.deleted")]
    assert post(team, "next")["seq"] == 5


def test_no_event_keeps_the_text_from_before_an_edit_or_a_deletion(app, team):
    kept, gone = post(team, "first draft"), post(team, "my password is hunter2")
    team.alice.call("PATCH", f"/api/messages/{kept['id']}", {"body": "second draft"})
    team.alice.call("PATCH", f"/api/messages/{kept['id']}", {"body": "final text"})
    team.alice.call("DELETE", f"/api/messages/{gone['id']}")
    log = events_of(app, team)
    stored = json.dumps(log)
    assert "draft" not in stored and "hunter2" not in stored
    by_seq = {seq: data for seq, _, data in log}
    assert by_seq[1]["body"] == by_seq[3]["body"] == by_seq[4]["body"] == "final text"
    assert by_seq[2] == {"id": gone["id"], "channel_id": team.channel["id"], "redacted": True}
    assert by_seq[5] == {"id": gone["id"], "channel_id": team.channel["id"]}


def test_resending_a_deleted_message_does_not_bring_it_back(team):
    message = post(team, "regret", client_id="c-9")
    team.alice.call("DELETE", f"/api/messages/{message['id']}")
    again = team.alice.call(
        "POST", f"/api/channels/{team.channel['id']}/messages", {"body": "regret", "client_id": "c-9"}
    )
    assert (again.status_code, again.json["error"]) == (404, "not_found")
    assert history(team) == []


def test_the_chat_page_offers_edit_and_delete_on_the_viewers_own_messages_only(team):
    mine, theirs = post(team, "alice wrote this"), post(team, "bob wrote this", who=team.bob)
    team.alice.call("PATCH", f"/api/messages/{mine['id']}", {"body": "alice rewrote this"})
    page = team.alice.client.get(f"/w/{team.workspace['id']}/c/{team.channel['id']}").get_data(as_text=True)
    own, other = page.split("</ol>")[0].split(f'data-message-id="{theirs["id"]}"')
    assert "alice rewrote this" in own and "(edited)" in own
    assert 'data-action="edit"' in own and 'data-action="delete"' in own
    assert 'data-action="edit"' not in other and 'data-action="delete"' not in other and "(edited)" not in other
    assert 'data-action="reply"' in other and 'data-action="react"' in other  # anyone replies and reacts
