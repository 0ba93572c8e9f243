"""Two-step sign-in: setting it up, turning it on and off, and signing in with a code or a recovery code."""

import time

import pyotp
import pytest
from support import PASSWORD


def turn_on(auth):
    """Two-step sign-in on for the signed-in user: returns (TOTP, recovery codes)."""
    setup = auth.call("POST", "/auth/2fa/setup").json
    totp = pyotp.TOTP(setup["secret"])
    enabled = auth.call("POST", "/auth/2fa/enable", {"code": totp.now()})
    assert enabled.status_code == 200, enabled.json
    return totp, enabled.json["recovery_codes"]


def code_at(totp, steps_from_now):
    return totp.at(time.time() + 30 * steps_from_now)


def wait_for_next_step(totp, used):
    """The following time step's code (a code is accepted once, so a second sign-in needs a new one)."""
    deadline = time.monotonic() + 35
    while totp.now() == used:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return totp.now()


def test_setup_gives_a_secret_and_uri_that_does_nothing_until_enabled(auth):
    auth.register()
    setup = auth.call("POST", "/auth/2fa/setup")
    assert setup.status_code == 200
    assert setup.json["otpauth_uri"].startswith("otpauth://totp/Hearth:alice?secret=" + setup.json["secret"])
    assert pyotp.parse_uri(setup.json["otpauth_uri"]).secret == setup.json["secret"]
    assert auth.call("GET", "/api/me").json["two_factor"] is False
    assert auth.login().status_code == 200  # not on yet


def test_enable_needs_a_current_code_and_gives_ten_distinct_recovery_codes(auth):
    auth.register()
    secret = auth.call("POST", "/auth/2fa/setup").json["secret"]
    totp = pyotp.TOTP(secret)
    for wrong in ("000000" if totp.now() != "000000" else "111111", code_at(totp, -3), "abc", ""):
        refused = auth.call("POST", "/auth/2fa/enable", {"code": wrong})
        assert (refused.status_code, refused.json["error"]) == (400, "invalid_input"), wrong
    assert auth.call("GET", "/api/me").json["two_factor"] is False
    codes = auth.call("POST", "/auth/2fa/enable", {"code": totp.now()}).json["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert auth.call("GET", "/api/me").json["two_factor"] is True


def test_enable_without_setup_is_invalid_input(auth):
    auth.register()
    refused = auth.call("POST", "/auth/2fa/enable", {"code": "123456"})
    assert (refused.status_code, refused.json["error"]) == (400, "invalid_input")


def test_disable_needs_the_password(auth):
    auth.register()
    turn_on(auth)
    wrong = auth.call("POST", "/auth/2fa/disable", {"password": "not it at all"})
    assert (wrong.status_code, wrong.json["error"]) == (401, "invalid_credentials")
    assert auth.call("GET", "/api/me").json["two_factor"] is True
    assert auth.call("POST", "/auth/2fa/disable", {"password": PASSWORD}).status_code == 204
    assert auth.call("GET", "/api/me").json["two_factor"] is False
    assert auth.login().status_code == 200


def test_two_factor_routes_need_csrf(client, auth):
    auth.register()
    for path in ("/auth/2fa/setup", "/auth/2fa/enable", "/auth/2fa/disable"):
        refused = client.post(path, json={})
        assert (refused.status_code, refused.json["error"]) == (403, "csrf_failed"), path


def test_with_two_step_on_the_password_alone_answers_totp_required_and_sets_no_cookie(app, auth, new_client):
    auth.register()
    turn_on(auth)
    other, stranger = new_client()
    answer = stranger.login()
    assert (answer.status_code, answer.json["error"]) == (401, "totp_required")
    assert "Set-Cookie" not in answer.headers
    wrong_password = other.post("/auth/login", json={"username": "alice", "password": "nope nope"})
    assert wrong_password.json["error"] == "invalid_credentials"


def test_a_current_code_signs_in_once(auth, new_client):
    auth.register()
    totp, _codes = turn_on(auth)
    code = wait_for_next_step(totp, totp.now())  # the step used to enable is spent
    _, first = new_client()
    signed_in = first.client.post("/auth/login", json={"username": "alice", "password": PASSWORD, "totp": code})
    assert signed_in.status_code == 200, signed_in.json
    assert first.call("GET", "/api/me").json["username"] == "alice"
    _, replay = new_client()
    again = replay.client.post("/auth/login", json={"username": "alice", "password": PASSWORD, "totp": code})
    assert (again.status_code, again.json["error"]) == (401, "invalid_credentials")
    assert "Set-Cookie" not in again.headers


@pytest.mark.parametrize("steps", [-3, 3])
def test_codes_outside_one_step_of_now_are_refused(auth, new_client, steps):
    auth.register()
    totp, _codes = turn_on(auth)
    _, other = new_client()
    refused = other.client.post(
        "/auth/login", json={"username": "alice", "password": PASSWORD, "totp": code_at(totp, steps)}
    )
    assert (refused.status_code, refused.json["error"]) == (401, "invalid_credentials")


def test_a_code_with_the_wrong_password_is_invalid_credentials(auth, new_client):
    auth.register()
    totp, _codes = turn_on(auth)
    _, other = new_client()
    refused = other.client.post("/auth/login", json={"username": "alice", "password": "wrong one", "totp": totp.now()})
    assert (refused.status_code, refused.json["error"]) == (401, "invalid_credentials")


def test_each_recovery_code_works_once(auth, new_client):
    auth.register()
    _totp, codes = turn_on(auth)
    for code in (codes[0], codes[1].upper().replace("-", " ")):
        _, other = new_client()
        body = {"username": "alice", "password": PASSWORD, "totp": code}
        assert other.client.post("/auth/login", json=body).status_code == 200
        again = other.client.post("/auth/login", json=body)
        assert (again.status_code, again.json["error"]) == (401, "invalid_credentials")


def test_wrong_codes_count_toward_the_login_limit(make_app):
    app = make_app(LOGIN_USERNAME_LIMIT="3/5minutes")
    client = app.test_client()
    from support import Auth

    auth = Auth(client)
    auth.register()
    totp, codes = turn_on(auth)
    body = {"username": "alice", "password": PASSWORD}
    # totp_required is no failure: many of them lock nothing
    for _ in range(5):
        assert client.post("/auth/login", json=body).json["error"] == "totp_required"
    for _ in range(3):
        assert client.post("/auth/login", json={**body, "totp": "zzzz-zzzz-zzzz-zzzz"}).status_code == 401
    locked = client.post("/auth/login", json={**body, "totp": codes[0]})
    assert (locked.status_code, locked.json["error"]) == (429, "rate_limited")
    assert int(locked.headers["Retry-After"]) > 0


def test_a_second_setup_with_two_step_on_is_refused_until_it_is_turned_off_with_the_password(auth):
    auth.register()
    totp, _codes = turn_on(auth)
    refused = auth.call("POST", "/auth/2fa/setup")
    assert (refused.status_code, refused.json["error"]) == (409, "conflict")
    assert auth.call("POST", "/auth/2fa/disable", {"password": PASSWORD}).status_code == 204
    assert auth.call("POST", "/auth/2fa/setup").status_code == 200
