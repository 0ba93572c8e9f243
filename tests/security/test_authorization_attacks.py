"""Mallory, a signed-in user with a workspace of her own, uses the ids of Alice's: every route, every topic.

Each answer is `not_found` (the ids might as well not exist), nothing of Alice's shows in
it, and nothing of Alice's changes.
"""

import pytest
from support import settings_for

from app import create_app


def routes_with_ids(team):
    """(endpoint, method, path, body) for every route that takes an id, with the ids of Alice's workspace.
    Where a route takes two ids, one is Mallory's own and the other Alice's."""
    ours, theirs = team.ours, team.theirs
    wid, cid, bid, card = ours.workspace["id"], ours.channel["id"], ours.board["id"], ours.card["id"]
    message = ours.message["id"]
    my_wid, my_bid, my_card = theirs.workspace["id"], theirs.board["id"], theirs.card["id"]
    sid = next(s["id"] for s in team.alice.api("GET", "/auth/sessions").json())
    return [
        ("api.members", "GET", f"/api/workspaces/{wid}/members", None),
        ("api.add_member", "POST", f"/api/workspaces/{wid}/members", {"username": team.mallory.username}),
        ("api.remove_member", "DELETE", f"/api/workspaces/{wid}/members/{team.bob.id}", None),
        ("api.remove_member", "DELETE", f"/api/workspaces/{wid}/members/{team.mallory.id}", None),
        ("api.channels", "GET", f"/api/workspaces/{wid}/channels", None),
        ("api.create_channel", "POST", f"/api/workspaces/{wid}/channels", {"name": "mine now"}),
        ("api.boards", "GET", f"/api/workspaces/{wid}/boards", None),
        ("api.create_board", "POST", f"/api/workspaces/{wid}/boards", {"name": "mine now"}),
        ("api.rename_channel", "PATCH", f"/api/channels/{cid}", {"name": "mine now"}),
        ("api.delete_channel", "DELETE", f"/api/channels/{cid}", None),
        ("api.mark_read", "POST", f"/api/channels/{cid}/read", {"seq": 1}),
        ("api.messages", "GET", f"/api/channels/{cid}/messages", None),
        ("api.post_message", "POST", f"/api/channels/{cid}/messages", {"body": "mine now", "client_id": "x"}),
        ("api.edit_message", "PATCH", f"/api/messages/{message}", {"body": "mine now"}),
        ("api.delete_message", "DELETE", f"/api/messages/{message}", None),
        ("api.board", "GET", f"/api/boards/{bid}", None),
        ("api.rename_board", "PATCH", f"/api/boards/{bid}", {"name": "mine now"}),
        ("api.delete_board", "DELETE", f"/api/boards/{bid}", None),
        ("api.create_card", "POST", f"/api/boards/{bid}/cards", {"column_id": ours.columns[0], "title": "mine now"}),
        ("api.create_card", "POST", f"/api/boards/{my_bid}/cards", {"column_id": ours.columns[0], "title": "there"}),
        ("api.update_card", "PATCH", f"/api/cards/{card}", {"version": 1, "title": "mine now"}),
        ("api.update_card", "PATCH", f"/api/cards/{my_card}", {"version": 1, "column_id": ours.columns[1]}),
        ("api.delete_card", "DELETE", f"/api/cards/{card}", {"version": 1}),
        ("auth.end_session", "DELETE", f"/auth/sessions/{sid}", None),
        ("pages.workspace_page", "GET", f"/w/{wid}", None),
        ("pages.chat", "GET", f"/w/{wid}/c/{cid}", None),
        ("pages.chat", "GET", f"/w/{my_wid}/c/{cid}", None),
        ("pages.board", "GET", f"/w/{wid}/b/{bid}", None),
        ("pages.board", "GET", f"/w/{my_wid}/b/{bid}", None),
        ("pages.add_member", "POST", f"/w/{wid}/members", {"username": team.mallory.username}),
        ("pages.remove_member", "POST", f"/w/{wid}/members/{team.bob.id}/remove", {}),
        ("pages.rename", "POST", f"/w/{wid}/c/{cid}/rename", {"name": "mine now"}),
        ("pages.rename", "POST", f"/w/{my_wid}/b/{bid}/rename", {"name": "mine now"}),
        ("pages.delete", "POST", f"/w/{wid}/b/{bid}/delete", {}),
        ("pages.delete", "POST", f"/w/{my_wid}/c/{cid}/delete", {}),
        ("pages.create_channel", "POST", f"/w/{wid}/channels", {"name": "mine now"}),
        ("pages.create_board", "POST", f"/w/{wid}/boards", {"name": "mine now"}),
        ("pages.send_message", "POST", f"/w/{wid}/c/{cid}", {"body": "mine now"}),
        ("pages.send_message", "POST", f"/w/{my_wid}/c/{cid}", {"body": "mine now"}),
        ("pages.create_card", "POST", f"/w/{wid}/b/{bid}/cards", {"column_id": ours.columns[0], "title": "mine now"}),
        ("pages.move_card", "POST", f"/w/{wid}/b/{bid}/cards/{card}/move", {"direction": "next", "version": 1}),
        ("pages.move_card", "POST", f"/w/{my_wid}/b/{my_bid}/cards/{card}/move", {"direction": "next", "version": 1}),
        ("pages.card_details", "GET", f"/w/{wid}/b/{bid}/cards/{card}", None),
        ("pages.card_details", "GET", f"/w/{my_wid}/b/{my_bid}/cards/{card}", None),
        ("pages.edit_card", "POST", f"/w/{wid}/b/{bid}/cards/{card}", {"title": "mine now", "version": 1}),
        ("pages.edit_card", "POST", f"/w/{my_wid}/b/{my_bid}/cards/{card}", {"title": "mine now", "version": 1}),
        ("pages.delete_card", "POST", f"/w/{wid}/b/{bid}/cards/{card}/delete", {"version": 1}),
        ("pages.delete_card", "POST", f"/w/{my_wid}/b/{my_bid}/cards/{card}/delete", {"version": 1}),
        ("settings.end_session", "POST", f"/settings/sessions/{sid}/end", {}),
        ("auth.delete_token", "DELETE", f"/auth/tokens/{ours.tokens[0]['id']}", None),
        ("settings.delete_token", "POST", f"/settings/tokens/{ours.tokens[1]['id']}/delete", {}),
        ("api.invites", "GET", f"/api/workspaces/{wid}/invites", None),
        ("api.create_invite", "POST", f"/api/workspaces/{wid}/invites", {}),
        ("api.withdraw_invite", "DELETE", f"/api/invites/{ours.invites[0]['id']}", None),
        ("pages.create_invite", "POST", f"/w/{wid}/invites", {"max_uses": "5"}),
        ("pages.withdraw_invite", "POST", f"/w/{wid}/invites/{ours.invites[0]['id']}/withdraw", {}),
        ("pages.withdraw_invite", "POST", f"/w/{my_wid}/invites/{ours.invites[0]['id']}/withdraw", {}),
        # a link's token is what lets someone in: without Alice's, no guess opens her workspace
        ("api.accept_invite", "POST", f"/api/invites/{'0' * 43}/accept", None),
        ("pages.invite", "GET", f"/invite/{'0' * 43}", None),
        ("pages.join", "POST", f"/invite/{'0' * 43}", {}),
        # site admin routes: Mallory is no admin (403), whoever she names
        ("api.admin_change_user", "PATCH", f"/api/admin/users/{team.alice.id}", {"admin": True}),
        ("api.admin_deactivate", "POST", f"/api/admin/users/{team.alice.id}/deactivate", None),
        ("api.admin_reactivate", "POST", f"/api/admin/users/{team.alice.id}/reactivate", None),
        ("api.admin_reset_two_factor", "POST", f"/api/admin/users/{team.alice.id}/reset-two-factor", None),
        ("pages.admin_act_on_user", "POST", f"/admin/users/{team.alice.id}/deactivate", {}),
        # threads and reactions: a message of Alice's workspace is no message to Mallory
        ("api.list_replies", "GET", f"/api/messages/{message}/replies", None),
        ("api.add_reaction", "PUT", f"/api/messages/{message}/reactions/👍", None),
        ("api.remove_reaction", "DELETE", f"/api/messages/{message}/reactions/👍", None),
        # someone else's passkey, and mailed links and avatars by a guessed token or digest
        ("passkeys.remove", "DELETE", "/auth/passkeys/1", None),
        ("settings.remove_passkey", "POST", "/settings/security/passkeys/1/remove", {}),
        ("auth.password_reset_page", "GET", f"/auth/reset/{'0' * 43}", None),
        ("auth.password_reset", "POST", f"/auth/password-reset/{'0' * 43}", {"password": "mine now, all of it"}),
        ("auth.verify_email_page", "GET", f"/auth/verify-email/{'0' * 43}", None),
        ("auth.verify_email", "POST", f"/auth/verify-email/{'0' * 43}", None),
        ("avatars.avatar", "GET", f"/avatars/{team.alice.id}/{'0' * 32}.png", None),
        # search and files: nothing of Alice's found, read, added to or sent
        ("api.search_workspace", "GET", f"/api/workspaces/{wid}/search?q=secret", None),
        ("pages.search_page", "GET", f"/w/{wid}/search?q=secret", None),
        ("api.upload_channel_file", "POST", f"/api/channels/{cid}/files", {"file": "mine now"}),
        ("api.upload_card_file", "POST", f"/api/cards/{card}/files", {"file": "mine now"}),
        ("files.file", "GET", f"/files/{ours.file['id']}/secret.txt", None),
        ("files.thumbnail", "GET", f"/files/{ours.file['id']}/thumbnail/secret.txt", None),
        (
            "api.post_message",
            "POST",
            f"/api/channels/{theirs.channel['id']}/messages",
            {"body": "mine now", "file_ids": [ours.file["id"]]},
        ),
        # private channels, direct messages, mentions and levels (tests/workspaces/test_private_channels.py tries
        # them from inside the workspace too)
        ("api.direct_message", "POST", f"/api/workspaces/{wid}/dms", {"usernames": [team.bob.username]}),
        ("api.recent_mentions", "GET", f"/api/workspaces/{wid}/mentions", None),
        ("api.list_channel_members", "GET", f"/api/channels/{cid}/members", None),
        ("api.add_channel_member", "POST", f"/api/channels/{cid}/members", {"username": team.mallory.username}),
        ("api.remove_channel_member", "DELETE", f"/api/channels/{cid}/members/{team.bob.id}", None),
        ("api.set_notify", "PUT", f"/api/channels/{cid}/notify", {"level": "all"}),
        ("pages.direct_message", "POST", f"/w/{wid}/dms", {"usernames": team.bob.username}),
        ("pages.add_channel_member", "POST", f"/w/{wid}/c/{cid}/members", {"username": team.mallory.username}),
        ("pages.add_channel_member", "POST", f"/w/{my_wid}/c/{cid}/members", {"username": team.mallory.username}),
        ("pages.remove_channel_member", "POST", f"/w/{wid}/c/{cid}/members/{team.bob.id}/remove", {}),
        ("pages.set_notify", "POST", f"/w/{wid}/c/{cid}/notify", {"level": "all"}),
        ("pages.set_notify", "POST", f"/w/{my_wid}/c/{cid}/notify", {"level": "all"}),
        ("pages.mentions_page", "GET", f"/w/{wid}/mentions", None),
        # a board's own columns, and a card's people, comments and activity
        ("api.create_column", "POST", f"/api/boards/{bid}/columns", {"name": "mine now"}),
        ("api.update_column", "PATCH", f"/api/columns/{ours.columns[0]}", {"name": "mine now", "position": 2}),
        ("api.delete_column", "DELETE", f"/api/columns/{ours.columns[2]}", None),
        ("api.update_card", "PATCH", f"/api/cards/{my_card}", {"version": 1, "assignees": [team.alice.id]}),
        ("api.card_comments", "GET", f"/api/cards/{card}/comments", None),
        ("api.add_card_comment", "POST", f"/api/cards/{card}/comments", {"body": "mine now"}),
        ("api.card_activity", "GET", f"/api/cards/{card}/activity", None),
        ("pages.my_cards", "GET", f"/w/{wid}/my-cards", None),
        ("pages.comment_on_card", "POST", f"/w/{wid}/b/{bid}/cards/{card}/comments", {"body": "mine now"}),
        ("pages.comment_on_card", "POST", f"/w/{my_wid}/b/{my_bid}/cards/{card}/comments", {"body": "mine now"}),
    ]


ADMIN_ONLY = {
    "api.admin_change_user",
    "api.admin_deactivate",
    "api.admin_reactivate",
    "api.admin_reset_two_factor",
    "pages.admin_act_on_user",
}


def test_the_table_covers_every_route_that_takes_an_id(tmp_path, team):
    app = create_app(settings_for(tmp_path))
    with_ids = {r.endpoint for r in app.url_map.iter_rules() if r.arguments and r.endpoint != "static"}
    assert {route[0] for route in routes_with_ids(team)} == with_ids


def test_every_route_with_another_workspaces_ids_is_not_found_and_changes_nothing(team, snapshot):
    mallory = team.mallory
    before, hers = snapshot(team.alice, team.ours), snapshot(mallory, team.theirs)
    csrf = mallory.http.cookies.get("csrf_access_token")
    for endpoint, method, path, body in routes_with_ids(team):
        if endpoint.startswith(("pages.", "settings.")) and method == "POST":
            response = mallory.http.post(mallory.url + path, data={**body, "csrf_token": csrf}, allow_redirects=False)
        else:
            response = mallory.http.request(method, mallory.url + path, json=body, headers={"X-CSRF-TOKEN": csrf})
        if endpoint in ADMIN_ONLY:
            assert response.status_code in (303, 403), (endpoint, path, response.status_code)  # a form: back, told no
            if response.status_code == 303:
                assert response.headers["Location"].startswith("/admin")
            else:
                assert response.json()["error"] == "forbidden", (endpoint, path)
            continue
        assert response.status_code in (400, 404), (endpoint, path, response.status_code)
        if response.headers["Content-Type"].startswith("application/json"):
            assert response.json()["error"] in ("not_found", "invalid_input"), (endpoint, path)
        assert "secret" not in response.text and team.alice.username not in response.text, (endpoint, path)
    assert snapshot(team.alice, team.ours) == before
    assert snapshot(mallory, team.theirs) == hers  # nor did Alice's column take Mallory's card
    assert team.alice.api("GET", "/api/me").status_code == 200


def topic_frames(team):
    ours, theirs = team.ours, team.theirs
    card, my_board = ours.card["id"], f"board:{theirs.board['id']}"
    message, my_chat = ours.message["id"], f"chat:{theirs.channel['id']}"
    return [
        {"type": "subscribe", "topic": f"chat:{ours.channel['id']}", "since": 0},
        {"type": "subscribe", "topic": f"board:{ours.board['id']}", "since": 0},
        {"type": "subscribe", "topic": f"presence:{ours.workspace['id']}"},
        {"type": "subscribe", "topic": f"workspace:{ours.workspace['id']}", "since": 0},
        {"type": "typing", "topic": f"chat:{ours.channel['id']}"},
        {"type": "publish", "topic": f"chat:{ours.channel['id']}", "data": {"body": "mine now", "client_id": "x"}},
        {
            "type": "publish",
            "topic": f"board:{ours.board['id']}",
            "data": {"op": "card.create", "column_id": ours.columns[0], "title": "mine now"},
        },
        # her own board's topic, Alice's card or column
        {
            "type": "publish",
            "topic": my_board,
            "data": {"op": "card.update", "card_id": card, "version": 1, "title": "x"},
        },
        {
            "type": "publish",
            "topic": my_board,
            "data": {"op": "card.move", "card_id": card, "version": 1, "column_id": ours.columns[1], "position": 0},
        },
        {"type": "publish", "topic": my_board, "data": {"op": "card.delete", "card_id": card, "version": 1}},
        # her own channel's topic, Alice's message
        {"type": "publish", "topic": my_chat, "data": {"op": "message.update", "message_id": message, "body": "x"}},
        {"type": "publish", "topic": my_chat, "data": {"op": "message.delete", "message_id": message}},
        {
            "type": "publish",
            "topic": f"chat:{ours.channel['id']}",
            "data": {"op": "message.delete", "message_id": message},
        },
        {
            "type": "publish",
            "topic": my_board,
            "data": {"op": "card.create", "column_id": ours.columns[0], "title": "x"},
        },
    ]


@pytest.mark.parametrize("index", range(14))
def test_every_topic_with_another_workspaces_ids_is_not_found_and_changes_nothing(team, snapshot, index):
    frame = topic_frames(team)[index]
    before = snapshot(team.alice, team.ours)
    alice_sock, sock = team.alice.socket(), team.mallory.socket()
    alice_sock.subscribe(f"chat:{team.ours.channel['id']}")
    alice_sock.expect("subscribed")
    ref = sock.request(**frame)
    answer = sock.recv()
    assert answer["type"] == "error" and answer["ref"] == ref, answer
    assert answer["code"] in ("not_found", "invalid_input", "invalid_message"), answer
    assert "secret" not in str(answer)
    assert sock.alive()  # the socket stays open
    assert alice_sock.quiet(0.3)  # nothing reached Alice's channel
    assert snapshot(team.alice, team.ours) == before
