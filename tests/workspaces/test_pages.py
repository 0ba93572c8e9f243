"""Pages: the resume redirect, the forms and their hooks, the devices page, and the headers pages carry."""

import re

import pytest
from support import PASSWORD, Auth, expired


@pytest.mark.parametrize("path", ["/", "/settings/sessions", "/settings/sessions?tab=1"])
def test_a_page_without_a_token_goes_through_resume(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.location == "/auth/resume?next=" + path.replace("?", "%3F").replace("=", "%3D")


def test_an_expired_token_resumes_and_comes_back(client, auth):
    auth.register()
    auth.set_access_token(expired(auth.cookie("access_token_cookie")))
    response = client.get("/settings/sessions")
    assert (response.status_code, response.location) == (303, "/auth/resume?next=/settings/sessions")

    page = client.get(response.location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="resume-form"' in html and "Continue" in html and "<script>" not in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert csrf == auth.csrf("refresh")

    back = client.post("/auth/resume", data={"csrf_token": csrf, "next": "/settings/sessions"})
    assert (back.status_code, back.location) == (303, "/settings/sessions")
    assert client.get("/settings/sessions").status_code == 200


def test_resume_without_a_session_goes_to_login_and_never_loops(client, auth):
    response = client.get("/auth/resume?next=/settings/sessions")
    assert (response.status_code, response.location) == (303, "/auth/login?next=/settings/sessions")
    assert client.get(response.location).status_code == 200

    auth.register()
    csrf = auth.csrf("refresh")
    auth.logout()
    client.set_cookie("csrf_refresh_token", csrf)
    client.set_cookie("refresh_token_cookie", "stale.token.value", path="/auth")
    response = client.post("/auth/resume", data={"csrf_token": csrf, "next": "/"})
    assert (response.status_code, response.location) == (303, "/auth/login")


def test_get_resume_changes_nothing(client, auth):
    auth.register()
    before = auth.cookie("refresh_token_cookie", path="/auth")
    response = client.get("/auth/resume?next=/")
    assert "Set-Cookie" not in response.headers
    assert auth.cookie("refresh_token_cookie", path="/auth") == before


def test_login_and_register_forms_have_their_hooks(client):
    login = client.get("/auth/login?next=/settings/sessions").get_data(as_text=True)
    assert 'form id="login-form"' in login
    assert 'name="username"' in login and 'name="password"' in login and 'type="submit"' in login
    assert 'value="/settings/sessions"' in login
    register = client.get("/auth/register").get_data(as_text=True)
    assert 'form id="register-form"' in register and 'name="display_name"' in register
    assert "logout-form" not in login + register


def test_html_pages_carry_a_strict_policy(client, auth):
    auth.register()
    for path in ("/auth/login", "/", "/settings/sessions"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", csp).group(1)
        assert "'unsafe-inline'" not in script_src and "'self'" in script_src
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "<script>" not in response.get_data(as_text=True)


def test_signed_in_pages_have_the_logout_form_and_escape_names(client, auth):
    auth.register("mallory", display_name="<img src=x onerror=alert(1)>")
    for path in ("/", "/settings/sessions"):
        html = client.get(path).get_data(as_text=True)
        assert 'form id="logout-form" method="post" action="/auth/logout"' in html
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_logout_form_signs_out_and_lands_on_login(client, auth):
    auth.register()
    html = client.get("/").get_data(as_text=True)
    csrf = re.search(r'id="logout-form".*?name="csrf_token" value="([^"]+)"', html, re.S).group(1)
    response = client.post("/auth/logout", data={"csrf_token": csrf})
    assert (response.status_code, response.location) == (303, "/auth/login")
    assert client.get("/").location.startswith("/auth/resume")


def test_devices_page_lists_sessions_and_signs_one_out(app, client, auth):
    auth.register()
    phone = app.test_client()
    Auth(phone).login(headers={"User-Agent": "Pocket Browser <b>9</b>"})
    html = client.get("/settings/sessions").get_data(as_text=True)
    assert html.count("data-session-id=") == 2
    assert "Pocket Browser &lt;b&gt;9&lt;/b&gt;" in html
    assert "this device" in html
    phone_sid = next(s["id"] for s in phone.get("/auth/sessions").json if s["current"])
    response = client.post(f"/settings/sessions/{phone_sid}/end", data={"csrf_token": auth.csrf()})
    assert (response.status_code, response.location) == (303, "/settings/sessions")
    assert phone.get("/api/me").json["error"] == "token_revoked"
    assert client.get("/settings/sessions").get_data(as_text=True).count("data-session-id=") == 1


def test_devices_page_form_needs_csrf(client, auth, app):
    auth.register()
    phone = app.test_client()
    Auth(phone).login()
    response = client.post("/settings/sessions/2/end", data={})
    assert response.status_code == 403
    assert phone.get("/api/me").status_code == 200


def test_login_password_never_shows_in_pages(client, auth):
    auth.register()
    html = client.post("/auth/login", data={"username": "alice", "password": PASSWORD + "x"}).get_data(as_text=True)
    assert PASSWORD not in html
