"""Personal access tokens: created and deleted with a browser session, used by programs with a Bearer header."""

import sqlalchemy as sa

from hearth.extensions import db
from hearth.models import PersonalToken


def create(auth, name="deploy bot"):
    response = auth.call("POST", "/auth/tokens", {"name": name})
    assert response.status_code == 201, response.json
    return response.json


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_stored_only_as_a_digest_and_listed_without_its_secret(app, auth):
    auth.register()
    created = create(auth)
    assert created["token"].startswith("hearth_pat_") and len(created["token"]) > 40
    assert set(created) == {"id", "name", "created_at", "token"}
    listed = auth.call("GET", "/auth/tokens").json
    assert listed == [
        {"id": created["id"], "name": "deploy bot", "created_at": created["created_at"], "last_used_at": None}
    ]
    with app.app_context():
        stored = db.session.scalar(sa.select(PersonalToken))
        assert created["token"] not in (stored.token_hash, stored.name)
        assert len(stored.token_hash) == 64


def test_a_token_calls_the_api_without_csrf_or_origin_and_its_use_is_recorded(client, auth):
    auth.register()
    token = create(auth)["token"]
    client.delete_cookie("access_token_cookie")
    me = client.get("/api/me", headers=bearer(token))
    assert (me.status_code, me.json["username"]) == (200, "alice")
    ws = client.post(
        "/api/workspaces", json={"name": "bots"}, headers={**bearer(token), "Origin": "https://evil.example"}
    )
    assert ws.status_code == 201
    auth.login()
    assert auth.call("GET", "/auth/tokens").json[0]["last_used_at"] is not None


def test_cookies_are_ignored_when_the_header_is_present(client, auth, new_client):
    other_client, bob = new_client()
    bob.register("bob")
    bob_token = create(bob)["token"]
    auth.register("alice")  # this browser's cookies are Alice's
    assert client.get("/api/me", headers=bearer(bob_token)).json["username"] == "bob"
    # a broken header is refused even though Alice's cookie would have been good
    refused = client.get("/api/me", headers={**auth.headers(), "Authorization": "Bearer hearth_pat_nope"})
    assert (refused.status_code, refused.json["error"]) == (401, "token_invalid")


def test_a_deleted_token_answers_token_revoked_and_disappears_from_the_list(client, auth):
    auth.register()
    first, second = create(auth, "one"), create(auth, "two")
    assert client.get("/api/me", headers=bearer(first["token"])).status_code == 200
    assert auth.call("DELETE", f"/auth/tokens/{first['id']}").status_code == 204
    answer = client.get("/api/me", headers=bearer(first["token"]))
    assert (answer.status_code, answer.json["error"]) == (401, "token_revoked")
    assert [t["name"] for t in auth.call("GET", "/auth/tokens").json] == ["two"]
    assert client.get("/api/me", headers=bearer(second["token"])).status_code == 200
    assert auth.call("DELETE", f"/auth/tokens/{first['id']}").status_code == 404


def test_a_token_cannot_mint_list_or_delete_tokens(client, auth):
    auth.register()
    created = create(auth)
    client.delete_cookie("access_token_cookie")
    for method, path, body in (
        ("POST", "/auth/tokens", {"name": "more"}),
        ("GET", "/auth/tokens", None),
        ("DELETE", f"/auth/tokens/{created['id']}", None),
    ):
        answer = client.open(path, method=method, json=body, headers=bearer(created["token"]))
        assert (answer.status_code, answer.json["error"]) == (401, "token_missing"), path


def test_tokens_need_csrf_from_a_browser(client, auth):
    auth.register()
    refused = client.post("/auth/tokens", json={"name": "x"})
    assert (refused.status_code, refused.json["error"]) == (403, "csrf_failed")


def test_another_users_token_is_not_found(auth, new_client):
    auth.register("alice")
    alices = create(auth)
    _, bob = new_client()
    bob.register("bob")
    assert bob.call("DELETE", f"/auth/tokens/{alices['id']}").status_code == 404
    assert [t["id"] for t in auth.call("GET", "/auth/tokens").json] == [alices["id"]]


def test_a_password_change_and_logout_all_end_tokens(client, auth):
    auth.register()
    kept_by_nothing = create(auth)["token"]
    assert (
        auth.call(
            "POST", "/auth/password", {"current_password": "correct horse battery", "new_password": "n3w password!"}
        ).status_code
        == 204
    )
    assert client.get("/api/me", headers=bearer(kept_by_nothing)).json["error"] == "token_revoked"
    second = create(auth)["token"]
    assert client.post("/auth/logout-all", headers=auth.headers("refresh")).status_code == 204
    assert client.get("/api/me", headers=bearer(second)).json["error"] == "token_revoked"


def test_token_sessions_are_not_listed_as_devices(auth):
    auth.register()
    create(auth)
    assert len(auth.call("GET", "/auth/sessions").json) == 1


def test_token_names_are_checked(auth):
    auth.register()
    for body in ({}, {"name": ""}, {"name": "x" * 81}, {"name": 5}):
        answer = auth.call("POST", "/auth/tokens", body)
        assert (answer.status_code, answer.json["fields"]) == (400, ["name"])


def test_malformed_bearer_headers_are_token_invalid_and_other_schemes_leave_the_cookie_to_decide(client, auth):
    auth.register()
    for header in ("Bearer", "Bearer ", "bearer x", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Bearer hearth_pat_x"):
        answer = client.get("/api/me", headers={"Authorization": header})
        assert (answer.status_code, answer.json["error"]) == (401, "token_invalid"), header
    for header in ("", "Basic YWxpY2U6cHc=", "Token hearth_pat_x"):  # e.g. a proxy's HTTP Basic auth
        assert client.get("/api/me", headers={"Authorization": header}).json["username"] == "alice", header
        refused = client.post("/api/workspaces", json={"name": "x"}, headers={"Authorization": header})
        assert (refused.status_code, refused.json["error"]) == (403, "csrf_failed"), header  # still a cookie request
    client.delete_cookie("access_token_cookie")
    assert client.get("/api/me", headers={"Authorization": "Basic YWxpY2U6cHc="}).json["error"] == "token_missing"


def test_logins_beyond_the_session_cap_never_end_a_token(make_app):
    from support import Auth

    app = make_app(MAX_SESSIONS_PER_USER=2)
    client = app.test_client()
    auth = Auth(client)
    auth.register()
    token = create(auth)["token"]
    for _ in range(3):
        assert Auth(app.test_client()).login().status_code == 200
    assert client.get("/api/me", headers=bearer(token)).status_code == 200
    assert auth.call("GET", "/api/me").json["error"] == "token_revoked"  # the oldest browser session did end


def test_a_user_holds_a_bounded_number_of_tokens(monkeypatch, auth):
    from hearth.accounts import personal_tokens

    monkeypatch.setattr(personal_tokens, "MAX_TOKENS_PER_USER", 3)
    auth.register()
    first = [create(auth, f"bot {i}") for i in range(3)]
    refused = auth.call("POST", "/auth/tokens", {"name": "one more"})
    assert (refused.status_code, refused.json["error"]) == (409, "conflict")
    assert auth.call("DELETE", f"/auth/tokens/{first[0]['id']}").status_code == 204
    assert create(auth, "one more")["name"] == "one more"


def test_a_deleted_token_whose_session_row_is_gone_still_answers_token_revoked(app, client, auth):
    from datetime import timedelta

    from hearth.accounts.sessions import delete_ended_sessions
    from hearth.models import utcnow

    auth.register()
    created = create(auth)
    assert auth.call("DELETE", f"/auth/tokens/{created['id']}").status_code == 204
    with app.app_context():
        assert delete_ended_sessions(now=utcnow() + timedelta(days=31)) >= 1
    answer = client.get("/api/me", headers=bearer(created["token"]))
    assert (answer.status_code, answer.json["error"]) == (401, "token_revoked")


def test_last_used_at_is_written_at_most_once_a_minute_not_on_every_request(app, client, auth):
    from datetime import UTC, datetime

    auth.register()
    created = create(auth)
    assert client.get("/api/me", headers=bearer(created["token"])).status_code == 200
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.session.execute(sa.update(PersonalToken).values(last_used_at=long_ago))
        db.session.commit()
    for _ in range(5):
        assert client.get("/api/me", headers=bearer(created["token"])).status_code == 200
    listed = auth.call("GET", "/auth/tokens").json[0]
    assert listed["last_used_at"] == "2020-01-01T00:00:00Z"  # the first use wrote it; these five wrote nothing


def test_a_message_sent_with_a_token_says_which_one_and_keeps_it_after_the_token_goes(client, auth):
    auth.register()
    token = create(auth, "deploy-bot")
    ws = auth.create("/api/workspaces", {"name": "bots"})
    general = auth.call("GET", f"/api/workspaces/{ws['id']}/channels").json[0]
    path = f"/api/channels/{general['id']}/messages"
    by_bot = client.post(path, json={"body": "deployed"}, headers=bearer(token["token"]))
    assert (by_bot.status_code, by_bot.json["via"]) == (201, "deploy-bot")
    assert auth.call("POST", path, {"body": "thanks"}).json["via"] is None
    assert auth.call("DELETE", f"/auth/tokens/{token['id']}").status_code == 204
    listed = [(m["body"], m["via"]) for m in auth.call("GET", path).json]
    assert listed == [("deployed", "deploy-bot"), ("thanks", None)]
