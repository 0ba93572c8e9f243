"""Threads and reactions through the API: replies under their parent, counts on it, reactions per person."""

import json

import pytest
import sqlalchemy as sa

from hearth.extensions import db
from hearth.models import Event

THUMBS, PARTY = "%F0%9F%91%8D", "%F0%9F%8E%89"


def post(team, body, who=None, **extra):
    return (who or team.alice).call("POST", f"/api/channels/{team.channel['id']}/messages", {"body": body, **extra})


def history(team, who=None):
    return (who or team.bob).call("GET", f"/api/channels/{team.channel['id']}/messages").json


def test_a_reply_is_listed_under_its_parent_and_not_in_the_channels_history(team):
    parent = post(team, "lunch?").json
    first = post(team, "yes", who=team.bob, parent_id=parent["id"]).json
    second = post(team, "**later**", parent_id=parent["id"]).json
    assert first["parent_id"] == parent["id"] and second["html"] == "<p><strong>later</strong></p>"
    assert [m["id"] for m in history(team)] == [parent["id"]]
    shown = history(team)[0]
    assert shown["reply_count"] == 2 and shown["last_reply_at"] == second["created_at"]
    replies = team.bob.call("GET", f"/api/messages/{parent['id']}/replies").json
    assert [m["body"] for m in replies] == ["yes", "**later**"]
    after = team.bob.call("GET", f"/api/messages/{parent['id']}/replies?after={first['id']}&limit=5").json
    assert [m["id"] for m in after] == [second["id"]]


def test_a_reply_and_its_parents_new_counts_are_events_of_the_channel_in_order(app, team):
    parent = post(team, "lunch?").json
    reply = post(team, "yes", parent_id=parent["id"]).json
    with app.app_context():
        rows = db.session.execute(
            sa.select(Event.seq, Event.kind, Event.data)
            .where(Event.topic == f"chat:{team.channel['id']}")
            .order_by(Event.seq)
        ).all()
    assert [(seq, kind, json.loads(data)["id"]) for seq, kind, data in rows] == [
        (1, "message.created", parent["id"]),
        (2, "message.created", reply["id"]),
        (3, "message.updated", parent["id"]),
    ]
    assert json.loads(rows[2].data)["reply_count"] == 1


def test_deleting_a_reply_takes_it_from_its_parents_count(team):
    parent = post(team, "lunch?").json
    reply = post(team, "yes", parent_id=parent["id"]).json
    assert team.alice.call("DELETE", f"/api/messages/{reply['id']}").status_code == 204
    assert history(team)[0]["reply_count"] == 0 and history(team)[0]["last_reply_at"] is None
    assert team.bob.call("GET", f"/api/messages/{parent['id']}/replies").json == []


@pytest.mark.parametrize("parent", ["reply", "missing", "deleted"])
def test_a_reply_answers_a_live_top_level_message_of_the_same_channel(team, parent):
    top = post(team, "top").json
    ids = {"reply": post(team, "r", parent_id=top["id"]).json["id"], "missing": 999999}
    if parent == "deleted":
        gone = post(team, "gone").json
        team.alice.call("DELETE", f"/api/messages/{gone['id']}")
        ids["deleted"] = gone["id"]
    response = post(team, "answer", parent_id=ids[parent])
    assert (response.status_code, response.json["error"]) == (
        (400, "invalid_input") if parent == "reply" else (404, "not_found")
    )


def test_a_stranger_reads_no_thread_and_reacts_to_nothing(team):
    parent = post(team, "secret").json
    assert team.carol.call("GET", f"/api/messages/{parent['id']}/replies").status_code == 404
    assert team.carol.call("PUT", f"/api/messages/{parent['id']}/reactions/{THUMBS}").status_code == 404
    assert history(team, team.alice)[0]["reactions"] == []


def test_reactions_are_counted_per_emoji_with_me_for_the_caller_and_are_idempotent(team):
    message = post(team, "ship it").json
    url = f"/api/messages/{message['id']}/reactions"
    for who, emoji in ((team.alice, THUMBS), (team.alice, THUMBS), (team.bob, THUMBS), (team.bob, PARTY)):
        assert who.call("PUT", f"{url}/{emoji}").status_code == 204
    seen_by_alice = history(team, team.alice)[0]["reactions"]
    assert [(r["emoji"], r["count"], r["me"]) for r in seen_by_alice] == [("👍", 2, True), ("🎉", 1, False)]
    assert team.bob.call("DELETE", f"{url}/{THUMBS}").status_code == 204
    assert team.bob.call("DELETE", f"{url}/{THUMBS}").status_code == 204  # again: no change
    seen_by_bob = history(team)[0]["reactions"]
    assert [(r["emoji"], r["count"], r["me"]) for r in seen_by_bob] == [("👍", 1, False), ("🎉", 1, True)]


@pytest.mark.parametrize("emoji", ["x", "%F0%9F%91%8D%F0%9F%91%8D", "%3Cscript%3E", "%E2%9D%A4"])
def test_a_reaction_is_one_emoji_of_the_set(team, emoji):
    message = post(team, "hi").json
    response = team.alice.call("PUT", f"/api/messages/{message['id']}/reactions/{emoji}")
    assert (response.status_code, response.json["error"]) == (400, "invalid_input")


def test_a_message_holds_at_most_20_different_reactions(team):
    from hearth.workspaces.reactions import EMOJI

    message = post(team, "vote").json
    url = f"/api/messages/{message['id']}/reactions"
    for i, emoji in enumerate(EMOJI[:20]):
        who = team.alice if i % 2 else team.bob
        assert who.call("PUT", f"{url}/{emoji}").status_code == 204
    response = team.alice.call("PUT", f"{url}/{EMOJI[20]}")
    assert (response.status_code, response.json["error"]) == (409, "conflict")
    assert team.alice.call("PUT", f"{url}/{EMOJI[0]}").status_code == 204  # one already there: still fine
    assert len(history(team)[0]["reactions"]) == 20


def test_a_reaction_is_a_message_updated_event_carrying_who_reacted(app, team):
    message = post(team, "hi").json
    team.bob.call("PUT", f"/api/messages/{message['id']}/reactions/{THUMBS}")
    team.bob.call("PUT", f"/api/messages/{message['id']}/reactions/{THUMBS}")  # no change: no event
    with app.app_context():
        rows = db.session.execute(
            sa.select(Event.seq, Event.kind, Event.data)
            .where(Event.topic == f"chat:{team.channel['id']}")
            .order_by(Event.seq)
        ).all()
    assert [(seq, kind) for seq, kind, _ in rows] == [(1, "message.created"), (2, "message.updated")]
    bob_id = team.bob.call("GET", "/api/me").json["id"]
    assert json.loads(rows[1].data)["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [bob_id]}]


def test_the_chat_page_shows_top_level_messages_as_html_with_thread_counts(team):
    parent = post(team, "- one\n- two\n\n```\ncode()\n```").json
    post(team, "a reply", parent_id=parent["id"])
    page = team.bob.client.get(f"/w/{team.workspace['id']}/c/{team.channel['id']}").get_data(as_text=True)
    listed = page.split("</ol>")[0]
    assert "<ul>\n<li>one</li>" in listed and "<pre><code>code()\n</code></pre>" in listed
    assert "a reply" not in listed and "1 reply" in listed
