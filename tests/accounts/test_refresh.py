"""Refresh rotation, the reuse grace, and what reuse does to the whole session."""

import time

import jwt
import pytest
from support import Auth


def refresh_jti(auth):
    return jwt.decode(auth.cookie("refresh_token_cookie", path="/auth"), options={"verify_signature": False})["jti"]


@pytest.fixture
def no_grace(make_app):
    """No reuse grace at all: a replayed refresh token is past the grace the moment it was rotated."""
    client = make_app(REUSE_GRACE=0).test_client()
    auth = Auth(client)
    auth.register()
    return client, auth


def test_refresh_rotates_the_refresh_token_and_issues_new_csrf_values(auth):
    auth.register()
    before = (refresh_jti(auth), auth.csrf("access"), auth.csrf("refresh"))
    response = auth.refresh()
    assert response.status_code == 200
    assert set(response.json) == {"access_expires_at"}
    after = (refresh_jti(auth), auth.csrf("access"), auth.csrf("refresh"))
    assert all(a != b for a, b in zip(before, after))
    assert auth.client.get("/api/me").status_code == 200


def test_refresh_is_post_only(client, auth):
    auth.register()
    response = client.get("/auth/refresh", headers={"Accept": "application/json"})
    assert (response.status_code, response.json["error"]) == (405, "method_not_allowed")


def test_refresh_without_a_cookie_is_token_missing(client):
    response = client.post("/auth/refresh")
    assert (response.status_code, response.json["error"]) == (401, "token_missing")


def test_old_refresh_token_after_the_grace_revokes_the_session(no_grace):
    client, auth = no_grace
    stolen = auth.cookie("refresh_token_cookie", path="/auth")
    stolen_csrf = auth.csrf("refresh")
    assert auth.refresh().status_code == 200
    current_refresh = auth.cookie("refresh_token_cookie", path="/auth")
    current_access = auth.cookie("access_token_cookie")
    current_csrf = auth.csrf("refresh")

    auth.set_refresh_token(stolen)
    replay = client.post("/auth/refresh", headers={"X-CSRF-TOKEN": stolen_csrf})
    assert (replay.status_code, replay.json["error"]) == (401, "refresh_reused")

    # the legitimate holder's newer tokens die with the session
    auth.set_refresh_token(current_refresh)
    auth.client.set_cookie("csrf_refresh_token", current_csrf)
    response = auth.refresh()
    assert (response.status_code, response.json["error"]) == (401, "token_revoked")
    auth.set_access_token(current_access)
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_revoked")


def test_a_token_two_rotations_old_is_reuse_even_inside_the_grace(auth):
    auth.register()
    oldest = auth.cookie("refresh_token_cookie", path="/auth")
    csrf = auth.csrf("refresh")
    assert auth.refresh().status_code == 200
    assert auth.refresh().status_code == 200
    access = auth.cookie("access_token_cookie")
    auth.set_refresh_token(oldest)
    auth.client.set_cookie("csrf_refresh_token", csrf)
    response = auth.client.post("/auth/refresh", headers={"X-CSRF-TOKEN": csrf})
    assert response.json["error"] == "refresh_reused"
    auth.set_access_token(access)
    assert auth.client.get("/api/me").json["error"] == "token_revoked"


def test_two_refreshes_with_the_same_token_inside_the_grace_both_succeed(app, auth):
    auth.register()
    token = auth.cookie("refresh_token_cookie", path="/auth")
    csrf = auth.csrf("refresh")
    other_tab = app.test_client()
    other_tab.set_cookie("refresh_token_cookie", token, path="/auth")
    other_tab.set_cookie("csrf_refresh_token", csrf)

    first = auth.refresh()
    second = other_tab.post("/auth/refresh", headers={"X-CSRF-TOKEN": csrf})
    assert first.status_code == second.status_code == 200
    # the second got the session's current refresh token back, not a third one
    second_jti = jwt.decode(
        other_tab.get_cookie("refresh_token_cookie", path="/auth").value, options={"verify_signature": False}
    )["jti"]
    assert second_jti == refresh_jti(auth)
    # and both tabs go on working and refreshing
    assert other_tab.get("/api/me").status_code == 200
    assert auth.refresh().status_code == 200


def test_refresh_never_extends_past_the_absolute_end(make_app):
    client = make_app(SESSION_MAX_AGE=30, REFRESH_TTL=3600).test_client()
    auth = Auth(client)
    auth.register()
    response = auth.refresh()
    exp = jwt.decode(auth.cookie("refresh_token_cookie", path="/auth"), options={"verify_signature": False})["exp"]
    assert exp <= time.time() + 31
    assert response.json["access_expires_at"] <= time.time() + 31
