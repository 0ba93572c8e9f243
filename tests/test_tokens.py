"""Access and refresh tokens: their cookies, their claims, and every way a token is refused."""

import base64
import json
import time

import jwt
import pytest
from http.cookies import SimpleCookie

from conftest import TEST_SECRET


def set_cookies(response):
    """Set-Cookie headers by cookie name, with their attributes."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            found[name] = (morsel, header)
    return found


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


EXPECTED_COOKIES = {
    # name: (HttpOnly, Path)
    "access_token_cookie": (True, "/"),
    "refresh_token_cookie": (True, "/auth"),
    "csrf_access_token": (False, "/"),
    "csrf_refresh_token": (False, "/"),
}


@pytest.mark.parametrize("secure", [False, True])
def test_cookie_attributes_follow_the_contract(make_app, secure):
    client = make_app(SECURE_COOKIES=secure).test_client()
    response = client.post("/auth/register", json={"username": "alice", "password": "long enough pw"})
    assert response.status_code == 201
    cookies = set_cookies(response)
    assert set(cookies) == set(EXPECTED_COOKIES)
    for name, (httponly, path) in EXPECTED_COOKIES.items():
        morsel, header = cookies[name]
        assert bool(morsel["httponly"]) is httponly, header
        assert morsel["path"] == path, header
        assert morsel["samesite"] == "Lax", header
        assert bool(morsel["secure"]) is secure, header
        # the cookie lives as long as the session may (14 days), not as long as the access JWT
        assert 14 * 24 * 3600 - 5 <= int(morsel["max-age"]) <= 14 * 24 * 3600, header


def test_secure_cookies_are_the_default_in_production(make_app):
    app = make_app(ENV="production")
    assert app.config["JWT_COOKIE_SECURE"] is True


def test_tokens_carry_the_contract_claims(auth):
    body = auth.register().json
    access = claims(auth.cookie("access_token_cookie"))
    refresh = claims(auth.cookie("refresh_token_cookie", path="/auth"))
    for token in (access, refresh):
        assert {"sub", "sid", "jti", "type", "iat", "exp"} <= set(token)
        assert token["sub"] == str(body["user"]["id"])
        assert token["sid"] == body["session_id"]
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["exp"] - access["iat"] == 300
    assert body["access_expires_at"] == access["exp"]
    assert jwt.get_unverified_header(auth.cookie("access_token_cookie"))["alg"] == "HS256"


def forge(payload, key=TEST_SECRET, algorithm="HS256"):
    return jwt.encode(payload, key, algorithm=algorithm)


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(client, auth):
    auth.register()
    payload = claims(auth.cookie("access_token_cookie"))
    auth.set_access_token(f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}.")
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json["error"] == "token_invalid"


def test_token_signed_with_another_key_is_refused(client, auth):
    auth.register()
    payload = claims(auth.cookie("access_token_cookie"))
    auth.set_access_token(forge(payload, key="a-guessed-key-" * 4))
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_invalid")


def test_other_algorithm_with_the_right_key_is_refused(client, auth):
    auth.register()
    payload = claims(auth.cookie("access_token_cookie"))
    auth.set_access_token(forge(payload, algorithm="HS512"))
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_invalid")


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..."])
def test_malformed_access_cookie_is_refused(client, auth, garbage):
    auth.register()
    auth.set_access_token(garbage)
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json["error"] in ("token_invalid", "token_missing")


def test_refresh_token_used_as_access_token_is_refused(client, auth):
    auth.register()
    auth.set_access_token(auth.cookie("refresh_token_cookie", path="/auth"))
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_invalid")


def test_access_token_used_as_refresh_token_is_refused(client, auth):
    auth.register()
    auth.set_refresh_token(auth.cookie("access_token_cookie"))
    response = client.post("/auth/refresh", headers=auth.headers("access"))
    assert (response.status_code, response.json["error"]) == (401, "token_invalid")


def test_token_from_query_string_or_header_is_not_accepted(app, auth):
    auth.register()
    token = auth.cookie("access_token_cookie")
    stranger = app.test_client()
    assert stranger.get(f"/api/me?jwt={token}").json["error"] == "token_missing"
    response = stranger.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json["error"]) == (401, "token_missing")


def test_forged_session_id_is_refused(client, auth, new_client):
    auth.register()
    _, bob = new_client()
    bob.register("bob")
    payload = claims(auth.cookie("access_token_cookie"))
    payload["sid"] = claims(bob.cookie("access_token_cookie"))["sid"]  # Bob's session, Alice's sub
    auth.set_access_token(forge(payload))
    assert client.get("/api/me").json["error"] == "token_revoked"


def test_expired_access_token_then_refresh_works_again(make_app):
    client = make_app(ACCESS_TTL=1).test_client()
    from conftest import Auth

    auth = Auth(client)
    auth.register()
    assert client.get("/api/me").status_code == 200
    time.sleep(2.1)
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_expired")
    refreshed = auth.refresh()
    assert refreshed.status_code == 200
    assert refreshed.json["access_expires_at"] > time.time()
    assert client.get("/api/me").json["username"] == "alice"


def test_expired_token_of_an_ended_session_says_revoked(make_app):
    from conftest import Auth

    app = make_app(ACCESS_TTL=1)
    client = app.test_client()
    auth = Auth(client)
    auth.register()
    expired_access = auth.cookie("access_token_cookie")
    assert auth.logout().status_code == 204
    time.sleep(2.1)
    auth.set_access_token(expired_access)
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_revoked")


def test_token_of_a_deleted_user_is_refused(app, client, auth):
    from extensions import db
    from models import User

    auth.register()
    with app.app_context():
        db.session.delete(db.session.get(User, 1))
        db.session.commit()
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_revoked")


def test_session_past_its_absolute_end_is_over(make_app):
    from conftest import Auth

    client = make_app(SESSION_MAX_AGE=1, ACCESS_TTL=60).test_client()
    auth = Auth(client)
    auth.register()
    # neither token outlives the session
    assert claims(auth.cookie("access_token_cookie"))["exp"] - time.time() <= 1.5
    time.sleep(2.1)
    response = auth.refresh()
    assert response.status_code == 401
    assert response.json["error"] in ("session_expired", "token_expired")
    assert client.get("/api/me").status_code == 401
