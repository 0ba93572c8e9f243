"""What every response tells the browser: no inline script, no framing, no sniffing, no referrer leak;
and in production, cookies that never travel over plain HTTP."""

import pytest
import requests
from servers import live_server


def policy(response):
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/auth/resume", "/", "/settings/sessions", "/nope"])
def test_every_html_page_forbids_inline_script_and_framing(server, person, path):
    response = person().http.get(server.url + path, headers={"Accept": "text/html"})  # as a browser asks
    assert response.headers["Content-Type"].startswith("text/html"), path
    directives = policy(response)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives.get("object-src") == ["'none'"] and directives.get("base-uri") in (["'none'"], ["'self'"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")


def test_json_responses_are_not_sniffed_and_auth_answers_are_not_cached(server, person):
    someone = person()
    for response in (
        someone.http.get(server.url + "/api/me"),
        requests.get(server.url + "/api/me"),
        someone.http.get(server.url + "/auth/sessions"),
    ):
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in someone.api("POST", "/auth/refresh").headers["Cache-Control"]


production = live_server({"HEARTH_ENV": "production"})


def test_production_cookies_are_secure_httponly_and_same_site(production):
    response = requests.post(
        production.url + "/auth/register", json={"username": "alice", "password": "long enough pw"}
    )
    assert response.status_code == 201
    set_cookies = response.raw.headers.getlist("Set-Cookie")
    assert len(set_cookies) == 4
    for header in set_cookies:
        attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert {"secure", "samesite"} <= attributes, header
        assert ("httponly" in attributes) == header.startswith(("access_token_cookie", "refresh_token_cookie")), header


def test_secure_cookies_come_with_strict_transport_security_on_every_answer(production):
    for response in (
        requests.get(production.url + "/auth/login", headers={"Accept": "text/html"}),
        requests.get(production.url + "/api/me"),
        requests.get(production.url + "/healthz"),
    ):
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts, response.url


def test_without_secure_cookies_no_strict_transport_security_is_sent(server, person):
    """A plain-HTTP deployment (development) must never tell a browser to refuse plain HTTP."""
    someone = person()
    for response in (
        someone.http.get(server.url + "/", headers={"Accept": "text/html"}),
        someone.http.get(server.url + "/api/me"),
        requests.get(server.url + "/auth/login"),
    ):
        assert response.status_code == 200
        assert "Strict-Transport-Security" not in response.headers, response.url


def test_signed_in_pages_and_api_answers_are_never_cached(server, person):
    """A shared cache or the back button on a shared computer must not keep one person's pages or data."""
    someone = person()
    workspace = someone.api("POST", "/api/workspaces", {"name": "private"}).json()
    answers = {path: someone.http.get(server.url + path) for path in ("/", f"/w/{workspace['id']}", "/api/me")}
    answers["/api/workspaces"] = someone.api("GET", "/api/workspaces")
    answers["POST /api/workspaces"] = someone.api("POST", "/api/workspaces", {"name": "another"})
    answers["an API error"] = someone.api("GET", "/api/workspaces/999999/members")
    for name, response in answers.items():
        assert response.status_code in (200, 201, 404), name
        assert "no-store" in response.headers.get("Cache-Control", ""), name
    static = requests.get(server.url + "/static/js/protocol.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
