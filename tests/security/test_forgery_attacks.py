"""Cross-site forgery against the running server: socket hijacking by Origin, and every mutating route without CSRF.

A forged request carries the victim's cookies (the browser attaches them) but cannot read
them, so it cannot send the matching `X-CSRF-TOKEN`: missing, wrong, or the other cookie's value.
"""

import pytest
import requests
from support import PASSWORD, settings_for
from wsclient import upgrade_status

from app import create_app


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "null",
        "https://evil.example",
        "http://127.0.0.1.evil.example",
        "{url}.evil.example",
        "{url}@evil.example",
        "https://127.0.0.1:{port}",
        "http://127.0.0.1:1",
        "http://localhost:{port}",
    ],
)
def test_an_upgrade_from_a_foreign_or_missing_origin_is_refused_before_the_handshake(server, person, origin):
    headers = {"Cookie": person().cookie_header()}
    if origin:
        headers["Origin"] = origin.format(url=server.url, port=server.url.rsplit(":", 1)[1])
    status, response = upgrade_status(server.url, headers)
    assert (status, response.json()["error"]) == (403, "forbidden")
    assert "Sec-WebSocket-Accept" not in response.headers


def test_an_upgrade_from_our_own_origin_is_accepted(server, person):
    status, response = upgrade_status(server.url, {"Cookie": person().cookie_header(), "Origin": server.url})
    assert status == 101 and response.headers["Sec-WebSocket-Accept"]


def mutating_routes(team):
    """(endpoint, method, path, body, token kind, form?) for every mutating route but login and register."""
    ours, alice, wid = team.ours, team.alice, team.ours.workspace["id"]
    cid, bid, card, message = ours.channel["id"], ours.board["id"], ours.card["id"], ours.message["id"]
    sid = next(s["id"] for s in alice.api("GET", "/auth/sessions").json() if s["current"])
    added = f"{alice.username}-added"
    hush, bob = ours.private["id"], team.bob.username
    return [
        ("api.create_workspace", "POST", "/api/workspaces", {"name": "forged"}, "access", False),
        (
            "api.add_member",
            "POST",
            f"/api/workspaces/{wid}/members",
            {"username": team.mallory.username},
            "access",
            False,
        ),
        ("api.create_channel", "POST", f"/api/workspaces/{wid}/channels", {"name": "forged"}, "access", False),
        ("api.remove_member", "DELETE", f"/api/workspaces/{wid}/members/{team.bob.id}", None, "access", False),
        ("api.rename_channel", "PATCH", f"/api/channels/{cid}", {"name": "renamed"}, "access", False),
        ("api.delete_channel", "DELETE", f"/api/channels/{cid}", None, "access", False),
        ("api.mark_read", "POST", f"/api/channels/{cid}/read", {"seq": 1}, "access", False),
        ("api.rename_board", "PATCH", f"/api/boards/{bid}", {"name": "renamed"}, "access", False),
        ("api.delete_board", "DELETE", f"/api/boards/{bid}", None, "access", False),
        ("api.create_board", "POST", f"/api/workspaces/{wid}/boards", {"name": "forged"}, "access", False),
        (
            "api.post_message",
            "POST",
            f"/api/channels/{cid}/messages",
            {"body": "forged", "client_id": "f"},
            "access",
            False,
        ),
        (
            "api.create_card",
            "POST",
            f"/api/boards/{bid}/cards",
            {"column_id": ours.columns[0], "title": "forged"},
            "access",
            False,
        ),
        ("api.rename_channel", "PATCH", f"/api/channels/{cid}", {"name": "renamed"}, "access", False),
        ("api.delete_channel", "DELETE", f"/api/channels/{ours.spare_channel['id']}", None, "access", False),
        ("api.mark_read", "POST", f"/api/channels/{cid}/read", {"seq": 1}, "access", False),
        ("api.rename_board", "PATCH", f"/api/boards/{bid}", {"name": "renamed"}, "access", False),
        ("api.delete_board", "DELETE", f"/api/boards/{ours.spare_board['id']}", None, "access", False),
        ("api.remove_member", "DELETE", f"/api/workspaces/{wid}/members/{team.bob.id}", None, "access", False),
        ("api.add_reaction", "PUT", f"/api/messages/{message}/reactions/%F0%9F%91%8D", None, "access", False),
        ("api.remove_reaction", "DELETE", f"/api/messages/{message}/reactions/%F0%9F%91%8D", None, "access", False),
        ("api.edit_message", "PATCH", f"/api/messages/{message}", {"body": "forged"}, "access", False),
        ("api.delete_message", "DELETE", f"/api/messages/{message}", None, "access", False),
        ("api.update_card", "PATCH", f"/api/cards/{card}", {"version": 1, "title": "forged"}, "access", False),
        ("api.delete_card", "DELETE", f"/api/cards/{card}", {"version": 1}, "access", False),
        (
            "auth.change_password",
            "POST",
            "/auth/password",
            {"current_password": PASSWORD, "new_password": "taken over!"},
            "access",
            False,
        ),
        ("auth.end_session", "DELETE", f"/auth/sessions/{sid}", None, "access", False),
        ("auth.refresh", "POST", "/auth/refresh", None, "refresh", False),
        ("auth.logout", "POST", "/auth/logout", None, "refresh", False),
        ("auth.logout_all", "POST", "/auth/logout-all", None, "refresh", False),
        ("auth.resume", "POST", "/auth/resume", {"next": "/"}, "refresh", True),
        ("pages.create_workspace", "POST", "/w", {"name": "forged"}, "access", True),
        ("pages.add_member", "POST", f"/w/{wid}/members", {"username": team.mallory.username}, "access", True),
        ("pages.remove_member", "POST", f"/w/{wid}/members/{team.bob.id}/remove", {}, "access", True),
        ("pages.rename", "POST", f"/w/{wid}/c/{cid}/rename", {"name": "renamed again"}, "access", True),
        ("pages.delete", "POST", f"/w/{wid}/b/{bid}/delete", {}, "access", True),
        ("pages.create_channel", "POST", f"/w/{wid}/channels", {"name": "forged"}, "access", True),
        ("pages.create_board", "POST", f"/w/{wid}/boards", {"name": "forged"}, "access", True),
        ("pages.send_message", "POST", f"/w/{wid}/c/{cid}", {"body": "forged"}, "access", True),
        (
            "pages.create_card",
            "POST",
            f"/w/{wid}/b/{bid}/cards",
            {"column_id": ours.columns[0], "title": "forged"},
            "access",
            True,
        ),
        (
            "pages.move_card",
            "POST",
            f"/w/{wid}/b/{bid}/cards/{card}/move",
            {"direction": "next", "version": 1},
            "access",
            True,
        ),
        (
            "pages.edit_card",
            "POST",
            f"/w/{wid}/b/{bid}/cards/{card}",
            {"title": "forged", "description": "", "version": 1},
            "access",
            True,
        ),
        ("pages.delete_card", "POST", f"/w/{wid}/b/{bid}/cards/{card}/delete", {"version": 1}, "access", True),
        ("settings.end_session", "POST", f"/settings/sessions/{sid}/end", {}, "access", True),
        ("settings.end_other_sessions", "POST", "/settings/sessions/end-others", {}, "access", True),
        (
            "settings.change_password",
            "POST",
            "/settings/password",
            {"current_password": PASSWORD, "new_password": "taken over!", "confirm_password": "taken over!"},
            "access",
            True,
        ),
        ("auth.two_factor_setup", "POST", "/auth/2fa/setup", None, "access", False),
        ("auth.two_factor_enable", "POST", "/auth/2fa/enable", {"code": "123456"}, "access", False),
        ("auth.two_factor_disable", "POST", "/auth/2fa/disable", {"password": PASSWORD}, "access", False),
        ("auth.reauthenticate_session", "POST", "/auth/reauthenticate", {"password": PASSWORD}, "access", False),
        ("settings.begin_two_factor", "POST", "/settings/security/setup", {}, "access", True),
        ("settings.enable_two_factor", "POST", "/settings/security/enable", {"code": "123456"}, "access", True),
        ("settings.disable_two_factor", "POST", "/settings/security/disable", {"password": PASSWORD}, "access", True),
        ("auth.create_token", "POST", "/auth/tokens", {"name": "forged"}, "access", False),
        ("auth.delete_token", "DELETE", f"/auth/tokens/{ours.tokens[0]['id']}", None, "access", False),
        ("settings.create_token", "POST", "/settings/tokens", {"name": "forged"}, "access", True),
        ("api.update_me", "PATCH", "/api/me", {"display_name": "forged"}, "access", False),
        ("api.put_avatar", "PUT", "/api/me/avatar", {"file": "forged"}, "access", False),
        ("api.upload_channel_file", "POST", f"/api/channels/{cid}/files", {"file": "forged"}, "access", False),
        ("api.upload_card_file", "POST", f"/api/cards/{card}/files", {"file": "forged"}, "access", False),
        ("api.delete_avatar", "DELETE", "/api/me/avatar", None, "access", False),
        ("settings.update_display_name", "POST", "/settings/profile", {"display_name": "forged"}, "access", True),
        ("settings.change_email", "POST", "/settings/profile/email", {"email": "forged@example.com"}, "access", True),
        ("settings.resend_verification", "POST", "/settings/profile/email/resend", {}, "access", True),
        ("settings.upload_avatar", "POST", "/settings/profile/avatar", {}, "access", True),
        ("settings.remove_avatar", "POST", "/settings/profile/avatar/delete", {}, "access", True),
        ("settings.delete_token", "POST", f"/settings/tokens/{ours.tokens[1]['id']}/delete", {}, "access", True),
        ("passkeys.registration_options", "POST", "/auth/passkeys/register/options", None, "access", False),
        ("passkeys.add", "POST", "/auth/passkeys", {"credential": {"id": "forged"}, "name": "forged"}, "access", False),
        ("passkeys.remove", "DELETE", "/auth/passkeys/999999", None, "access", False),
        ("settings.remove_passkey", "POST", "/settings/security/passkeys/999999/remove", {}, "access", True),
        ("api.create_invite", "POST", f"/api/workspaces/{wid}/invites", {"max_uses": 2}, "access", False),
        ("api.withdraw_invite", "DELETE", f"/api/invites/{ours.invites[0]['id']}", None, "access", False),
        ("api.accept_invite", "POST", f"/api/invites/{ours.invites[1]['token']}/accept", None, "access", False),
        ("pages.create_invite", "POST", f"/w/{wid}/invites", {"max_uses": "5"}, "access", True),
        ("pages.withdraw_invite", "POST", f"/w/{wid}/invites/{ours.invites[1]['id']}/withdraw", {}, "access", True),
        ("pages.join", "POST", f"/invite/{ours.invites[1]['token']}", {}, "access", True),
        # site admin routes: Alice is made an admin where the requests must go through
        (
            "api.admin_create_user",
            "POST",
            "/api/admin/users",
            {"username": added, "password": PASSWORD},
            "access",
            False,
        ),
        ("api.admin_change_user", "PATCH", f"/api/admin/users/{team.mallory.id}", {"admin": False}, "access", False),
        ("api.admin_deactivate", "POST", f"/api/admin/users/{team.mallory.id}/deactivate", None, "access", False),
        ("api.admin_reactivate", "POST", f"/api/admin/users/{team.mallory.id}/reactivate", None, "access", False),
        (
            "api.admin_reset_two_factor",
            "POST",
            f"/api/admin/users/{team.mallory.id}/reset-two-factor",
            None,
            "access",
            False,
        ),
        (
            "pages.admin_create_user",
            "POST",
            "/admin/users",
            {"username": added + "2", "password": PASSWORD},
            "access",
            True,
        ),
        ("pages.admin_act_on_user", "POST", f"/admin/users/{team.mallory.id}/reset-two-factor", {}, "access", True),
        # private channels, direct messages and notification levels
        (
            "api.direct_message",
            "POST",
            f"/api/workspaces/{wid}/dms",
            {"usernames": [team.bob.username]},
            "access",
            False,
        ),
        ("api.add_channel_member", "POST", f"/api/channels/{hush}/members", {"username": bob}, "access", False),
        ("api.remove_channel_member", "DELETE", f"/api/channels/{hush}/members/{team.bob.id}", None, "access", False),
        ("api.set_notify", "PUT", f"/api/channels/{cid}/notify", {"level": "all"}, "access", False),
        ("pages.direct_message", "POST", f"/w/{wid}/dms", {"usernames": team.bob.username}, "access", True),
        ("pages.add_channel_member", "POST", f"/w/{wid}/c/{hush}/members", {"username": bob}, "access", True),
        ("pages.remove_channel_member", "POST", f"/w/{wid}/c/{hush}/members/{team.bob.id}/remove", {}, "access", True),
        ("pages.set_notify", "POST", f"/w/{wid}/c/{cid}/notify", {"level": "all"}, "access", True),
        # a board's own columns and a card's comments
        ("api.create_column", "POST", f"/api/boards/{bid}/columns", {"name": "forged"}, "access", False),
        ("api.update_column", "PATCH", f"/api/columns/{ours.columns[0]}", {"name": "forged"}, "access", False),
        ("api.delete_column", "DELETE", f"/api/columns/{ours.spare_column['id']}", None, "access", False),
        ("api.add_card_comment", "POST", f"/api/cards/{card}/comments", {"body": "forged"}, "access", False),
        (
            "pages.comment_on_card",
            "POST",
            f"/w/{wid}/b/{bid}/cards/{card}/comments",
            {"body": "forged"},
            "access",
            True,
        ),
    ]


def test_the_table_covers_every_mutating_route(tmp_path, team):
    app = create_app(settings_for(tmp_path))
    mutating = {r.endpoint for r in app.url_map.iter_rules() if r.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    assert {route[0] for route in mutating_routes(team)} == mutating - SIGNED_OUT


# Made signed out, like login and register: no CSRF value, a foreign Origin refused (test_signed_out_routes_...).
SIGNED_OUT = {
    "auth.login",
    "auth.register",
    "auth.password_reset_request",
    "auth.password_reset",
    "auth.verify_email",
    "passkeys.login_options",
    "passkeys.login",
}


def test_every_mutating_route_refuses_a_forged_request_and_changes_nothing(team, snapshot):
    alice = team.alice
    before = snapshot(alice, team.ours)
    cookies = {kind: alice.http.cookies.get(f"csrf_{kind}_token") for kind in ("access", "refresh")}
    for endpoint, method, path, body, kind, form in mutating_routes(team):
        other = cookies["refresh" if kind == "access" else "access"]
        for forged in (None, "wrong", other):
            if form:
                fields = {**body, **({"csrf_token": forged} if forged else {})}
                response = alice.http.request(method, alice.url + path, data=fields, allow_redirects=False)
            else:
                headers = {"X-CSRF-TOKEN": forged} if forged else {}
                response = alice.http.request(method, alice.url + path, json=body, headers=headers)
            assert response.status_code == 403, (endpoint, forged, response.status_code, response.text[:200])
            if not form:
                assert response.json()["error"] == "csrf_failed", endpoint
            assert "Set-Cookie" not in response.headers, endpoint  # no tokens rotated, none cleared
    assert snapshot(alice, team.ours) == before
    assert alice.api("GET", "/api/me").status_code == 200  # still signed in: no logout, no revocation
    assert team.alice.login() and alice.api("GET", "/api/me").status_code == 200  # the password is unchanged


def card_version(someone, place):
    board = someone.api("GET", f"/api/boards/{place.board['id']}").json()
    return next(c["version"] for column in board["columns"] for c in column["cards"] if c["id"] == place.card["id"])


# Answers other than the usual success that still show the request got past the CSRF check: a made-up
# two-step code is refused on its merits, and a new token is shown on the page that answers the post.
# A JSON body or a form without a file is no picture: the avatar uploads are refused on their merits too.
SUCCESS = {
    "auth.two_factor_enable": (400,),
    "settings.enable_two_factor": (400,),
    "settings.create_token": (201,),
    "passkeys.add": (400,),  # a made-up credential, refused on its merits
    "passkeys.remove": (404,),  # no such passkey: found missing only past the CSRF check
    "settings.remove_passkey": (404,),
    "api.put_avatar": (400,),
    "api.upload_channel_file": (400,),  # no multipart file: refused on its merits, past the CSRF check
    "api.upload_card_file": (400,),
    "settings.upload_avatar": (415,),
}


def test_the_same_requests_with_the_right_csrf_value_go_through(team, site_admin):
    """The table is made of working requests: what refused them above was the CSRF check alone."""
    alice = team.alice
    assert site_admin.api("PATCH", f"/api/admin/users/{alice.id}", {"admin": True}).status_code == 200
    # the card goes last of the card routes; password changes (which end the tokens) after everything
    routes = sorted(
        mutating_routes(team), key=lambda route: (route[0].endswith("change_password"), route[0] == "api.delete_card")
    )
    for endpoint, method, path, body, kind, form in routes:
        if body and "version" in body:
            body["version"] = card_version(alice, team.ours)
        if endpoint == "pages.delete_card":  # the table's card is left for api.delete_card, the last row
            spare = alice.api(
                "POST", f"/api/boards/{team.ours.board['id']}/cards", {"column_id": team.ours.columns[0], "title": "x"}
            ).json()
            path, body = path.replace(f"/cards/{team.ours.card['id']}/", f"/cards/{spare['id']}/"), {"version": 1}
        if endpoint in ("api.delete_channel", "api.delete_board", "pages.delete"):  # a spare goes, the table's stay
            kind_path = "channels" if endpoint == "api.delete_channel" else "boards"
            spare = alice.api(
                "POST", f"/api/workspaces/{team.ours.workspace['id']}/{kind_path}", {"name": f"spare for {endpoint}"}
            )
            spare_id = spare.json()["id"]
            path = (
                f"/api/{kind_path}/{spare_id}"
                if endpoint.startswith("api.")
                else path.replace(f"/b/{team.ours.board['id']}/", f"/b/{spare_id}/")
            )
        if endpoint.endswith(("remove_member", "channel_member", "direct_message")):
            # Bob comes back: to be removed again, or to be talked to and added to #hush
            alice.api("POST", f"/api/workspaces/{team.ours.workspace['id']}/members", {"username": team.bob.username})
        if endpoint in ("auth.logout", "auth.logout_all", "auth.end_session", "settings.end_session"):
            continue  # they would end the session the rest of the table runs in; tests/accounts/test_logout.py has them
        csrf = alice.http.cookies.get(f"csrf_{kind}_token")
        if form:
            response = alice.http.request(
                method, alice.url + path, data={**body, "csrf_token": csrf}, allow_redirects=False
            )
            assert response.status_code in SUCCESS.get(endpoint, (303,)), (endpoint, response.text[:300])
        else:
            response = alice.http.request(method, alice.url + path, json=body, headers={"X-CSRF-TOKEN": csrf})
            assert response.status_code in SUCCESS.get(endpoint, (200, 201, 204)), (endpoint, response.text[:300])
        if endpoint in ("auth.change_password", "settings.change_password"):
            alice.api("POST", "/auth/password", {"current_password": "taken over!", "new_password": PASSWORD})


@pytest.mark.parametrize("path", ["/auth/logout", "/auth/logout-all", "/auth/refresh", "/auth/resume"])
@pytest.mark.parametrize("cookies_sent", [False, True], ids=["as SameSite sends it", "by a browser without SameSite"])
def test_a_cross_site_post_cannot_sign_anyone_out(server, person, path, cookies_sent):
    """Another site's form posting to a session route: the browser shows the answer's Set-Cookie headers,
    so clearing the cookies would sign the person out while their session stays live in the device list."""
    victim = person()
    jar = victim.http.cookies if cookies_sent else None
    response = requests.post(
        server.url + path,
        data={"next": "/"},
        cookies=jar,
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"},
        allow_redirects=False,
    )
    assert response.status_code in (303, 401, 403), response.text[:200]
    assert "Set-Cookie" not in response.headers
    assert victim.api("GET", "/api/me").status_code == 200
    assert len(victim.api("GET", "/auth/sessions").json()) == 1
    assert victim.api("POST", path if path != "/auth/resume" else "/auth/refresh").status_code in (200, 204)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/password-reset", {"login": "anyone"}),
        ("/auth/password-reset/" + "x" * 43, {"password": "a new password"}),
        ("/auth/verify-email/" + "x" * 43, {}),
    ],
)
@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_the_signed_out_mailed_link_routes_refuse_a_foreign_origin(server, path, body, origin):
    """They need no CSRF value (no one is signed in), so the Origin is what stops another site posting them."""
    response = requests.post(server.url + path, json=body, headers={"Origin": origin})
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert "Set-Cookie" not in response.headers
