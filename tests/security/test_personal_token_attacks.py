"""Personal access tokens under attack: in a URL, on routes that must not take them, forged, and across sites.

A token is only ever read from the `Authorization` header of `/api/*` and `/ws`.
"""

import secrets

import pytest
import requests
from wsclient import Program, upgrade_status


@pytest.fixture
def bot(person):
    owner = person()
    return owner, Program(owner)


@pytest.mark.parametrize("name", ["access_token", "token", "authorization", "Authorization", "bearer", "jwt"])
def test_a_token_in_the_query_string_is_never_read(server, bot, name):
    _, program = bot
    answer = requests.get(f"{server.url}/api/me", params={name: program.token}, timeout=5)
    assert (answer.status_code, answer.json()["error"]) == (401, "token_missing")
    answer = requests.get(f"{server.url}/api/me", params={name: f"Bearer {program.token}"}, timeout=5)
    assert (answer.status_code, answer.json()["error"]) == (401, "token_missing")
    answer = requests.get(
        f"{server.url}/ws",
        params={name: program.token},
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Origin": server.url,
        },
        timeout=5,
    )
    assert answer.status_code == 401


def test_a_token_on_auth_routes_is_ignored_and_changes_nothing(server, bot):
    owner, program = bot
    calls = [
        ("GET", "/auth/tokens", None),
        ("POST", "/auth/tokens", {"name": "minted by a token"}),
        ("DELETE", f"/auth/tokens/{program.token_id}", None),
        ("GET", "/auth/sessions", None),
        ("POST", "/auth/password", {"current_password": "correct horse battery", "new_password": "taken over!"}),
        ("POST", "/auth/2fa/setup", None),
        ("POST", "/auth/2fa/disable", {"password": "correct horse battery"}),
        ("POST", "/auth/refresh", None),
        ("POST", "/auth/logout-all", None),
    ]
    for method, path, body in calls:
        answer = requests.request(method, server.url + path, json=body, headers=program.headers, timeout=5)
        assert answer.status_code == 401, (path, answer.status_code)
        assert answer.json()["error"] == "token_missing", path
        # no cookie is ever issued to it (refresh and logout-all only clear the cookies it did not send)
        assert all("=;" in c or '=""' in c for c in answer.raw.headers.getlist("Set-Cookie")), path
    assert [t["name"] for t in owner.api("GET", "/auth/tokens").json()] == ["bot"]
    assert program.api("GET", "/api/me").status_code == 200  # not ended by the logout-all it tried
    assert owner.login()  # the password is unchanged


def test_a_token_does_not_open_pages(server, bot):
    _, program = bot
    for path in ("/", "/settings/tokens", "/settings/security"):
        answer = requests.get(server.url + path, headers=program.headers, allow_redirects=False, timeout=5)
        assert (answer.status_code, answer.headers["Location"]) == (303, f"/auth/resume?next={path}"), path


def flip(token, at):
    ch = token[at]
    return token[:at] + ("A" if ch != "A" else "B") + token[at + 1 :]


def test_forged_and_unknown_tokens_are_token_invalid_on_the_api_and_the_socket(server, bot):
    owner, program = bot
    access_jwt = owner.http.cookies.get("access_token_cookie")
    forgeries = [
        "hearth_pat_" + secrets.token_urlsafe(32),  # well-formed, never issued
        flip(program.token, -1),
        flip(program.token, len("hearth_pat_")),
        program.token + "x",
        program.token[:-1],
        "hearth_pat_",
        "hearth_pat_" + "A" * 5000,
        access_jwt,  # a session's access token is no personal token
        program.token.replace("hearth_pat_", "hearth_pak_"),
        "hearth_pat_\u00e9\u00e9",
    ]
    for forged in forgeries:
        headers = {"Authorization": f"Bearer {forged}".encode().decode("latin-1")}
        answer = requests.get(server.url + "/api/me", headers=headers, timeout=5)
        assert (answer.status_code, answer.json()["error"]) == (401, "token_invalid"), forged[:30]
        status, refused = upgrade_status(server.url, headers)
        assert (status, refused.json()["error"]) == (401, "token_invalid"), forged[:30]
    assert program.api("GET", "/api/me").status_code == 200


def test_the_token_of_one_user_never_acts_as_another(server, person):
    alice, mallory = person(), person()
    mallorys = Program(mallory)
    cookies = {"access_token_cookie": alice.http.cookies.get("access_token_cookie")}
    answer = requests.get(server.url + "/api/me", headers=mallorys.headers, cookies=cookies, timeout=5)
    assert answer.json()["username"] == mallory.username


def test_no_other_site_may_send_the_header_from_a_browser(server, bot):
    """Browsers ask first (CORS preflight) before a cross-site request with Authorization; nothing says yes."""
    answer = requests.options(
        server.url + "/api/me",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=5,
    )
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "Access-Control-Allow-Headers" not in answer.headers


def test_a_deleted_token_stays_dead_and_its_secret_is_not_in_any_answer(server, bot):
    owner, program = bot
    listed = owner.api("GET", "/auth/tokens").text
    assert program.token not in listed and program.token[len("hearth_pat_") :] not in listed
    assert owner.api("DELETE", f"/auth/tokens/{program.token_id}").status_code == 204
    for _ in range(3):
        answer = program.api("GET", "/api/me")
        assert (answer.status_code, answer.json()["error"]) == (401, "token_revoked")
    # a new token never brings the old one back
    Program(owner, "again")
    assert program.api("GET", "/api/me").json()["error"] == "token_revoked"
