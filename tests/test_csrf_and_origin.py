"""Double-submit CSRF on every cookie-authenticated mutating route, and the Origin check behind it."""

import pytest
from support import PASSWORD

# (method, path, body, which CSRF cookie the route expects)
MUTATING_ROUTES = [
    ("POST", "/auth/refresh", None, "refresh"),
    ("POST", "/auth/resume", None, "refresh"),
    ("POST", "/auth/logout", None, "refresh"),
    ("POST", "/auth/logout-all", None, "refresh"),
    ("POST", "/auth/password", {"current_password": PASSWORD, "new_password": "another passphrase"}, "access"),
    ("DELETE", "/auth/sessions/1", None, "access"),
]


def still_signed_in(auth):
    return auth.client.get("/api/me").status_code == 200 and auth.client.get("/auth/sessions").json


@pytest.mark.parametrize("method,path,body,kind", MUTATING_ROUTES)
@pytest.mark.parametrize("csrf", ["missing", "wrong", "other cookie"])
def test_mutating_route_without_the_right_csrf_value_is_refused(auth, method, path, body, kind, csrf):
    auth.register()
    other = "access" if kind == "refresh" else "refresh"
    headers = {"Accept": "application/json"}
    if csrf == "wrong":
        headers["X-CSRF-TOKEN"] = "0" * 36
    elif csrf == "other cookie":
        headers["X-CSRF-TOKEN"] = auth.csrf(other)
    response = auth.client.open(path, method=method, json=body, headers=headers)
    assert response.status_code == 403, response.data
    assert response.json["error"] == "csrf_failed"
    assert still_signed_in(auth)


@pytest.mark.parametrize("method,path,body,kind", MUTATING_ROUTES)
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost.evil.example"])
def test_mutating_route_from_a_foreign_origin_is_refused(auth, method, path, body, kind, origin):
    auth.register()
    headers = {"Accept": "application/json", "Origin": origin, **auth.headers(kind)}
    response = auth.client.open(path, method=method, json=body, headers=headers)
    assert (response.status_code, response.json["error"]) == (403, "csrf_failed")
    assert still_signed_in(auth)


def test_same_origin_and_allowed_origins_pass(make_app):
    from support import Auth

    client = make_app(ALLOWED_ORIGINS="https://app.example, https://admin.example").test_client()
    auth = Auth(client)
    auth.register()
    for origin in ("http://localhost", "https://admin.example"):
        response = client.post("/auth/refresh", headers={"Origin": origin, **auth.headers("refresh")})
        assert response.status_code == 200, origin


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register"])
def test_login_and_register_from_a_foreign_origin_are_forbidden(client, auth, path):
    auth.register()
    body = {"username": "alice" if path.endswith("login") else "mallory", "password": PASSWORD}
    response = client.post(path, json=body, headers={"Origin": "https://evil.example"})
    assert (response.status_code, response.json["error"]) == (403, "forbidden")


def test_form_posts_may_carry_the_csrf_value_as_a_field(auth):
    auth.register()
    response = auth.client.post("/auth/logout", data={"csrf_token": auth.csrf("refresh")})
    assert response.status_code == 303
    assert response.location == "/auth/login"
    assert auth.client.get("/api/me").status_code == 401


def test_token_errors_come_before_csrf_errors(client, auth):
    auth.register()
    auth.set_access_token("forged.token.value")
    response = client.post("/auth/password", json={}, headers={"Accept": "application/json"})
    assert (response.status_code, response.json["error"]) == (401, "token_invalid")
