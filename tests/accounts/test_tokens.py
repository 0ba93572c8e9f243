"""Access and refresh tokens: their cookies, claims and lifetimes (every forged one is in tests/security/)."""

import time
from http.cookies import SimpleCookie

import jwt
import pytest
from support import Auth, expired


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
def test_cookie_attributes_are_the_documented_ones(make_app, secure):
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


def test_tokens_carry_the_documented_claims(auth):
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


def test_expired_access_token_then_refresh_works_again(client, auth):
    auth.register()
    assert client.get("/api/me").status_code == 200
    auth.set_access_token(expired(auth.cookie("access_token_cookie")))
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_expired")
    refreshed = auth.refresh()
    assert refreshed.status_code == 200
    assert refreshed.json["access_expires_at"] > time.time()
    assert client.get("/api/me").json["username"] == "alice"


def test_expired_token_of_an_ended_session_says_revoked(client, auth):
    auth.register()
    expired_access = expired(auth.cookie("access_token_cookie"))
    assert auth.logout().status_code == 204
    auth.set_access_token(expired_access)
    response = client.get("/api/me")
    assert (response.status_code, response.json["error"]) == (401, "token_revoked")


def test_session_past_its_absolute_end_is_over(make_app):
    client = make_app(SESSION_MAX_AGE=1, ACCESS_TTL=60).test_client()
    auth = Auth(client)
    auth.register()
    # neither token outlives the session
    access, refresh = auth.cookie("access_token_cookie"), auth.cookie("refresh_token_cookie", path="/auth")
    assert claims(access)["exp"] - time.time() <= 1.5
    assert claims(refresh)["exp"] - time.time() <= 1.5
    # so once the session's end has passed, the browser holds both of them run out
    auth.set_access_token(expired(access))
    auth.set_refresh_token(expired(refresh))
    response = auth.refresh()
    assert response.status_code == 401
    assert response.json["error"] in ("session_expired", "token_expired")
    assert client.get("/api/me").status_code == 401
