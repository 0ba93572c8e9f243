"""Forgotten passwords: `POST /auth/password-reset`, the mailed link, and `POST /auth/password-reset/<token>`.

The answer never tells whether an account exists, by its status or by its time; only a verified address gets a
link; a link works once, for 30 minutes, and with two-step sign-in on it still needs a code."""

import statistics
import time

import pyotp
import pytest
from mails import link_in, logged_mails
from support import PASSWORD, wait_until

from hearth.extensions import db
from hearth.models import MailedToken, utcnow

NEW_PASSWORD = "a brand new passphrase"


def path_of(link):
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def verified(auth, client, caplog, address):
    """Give the signed-in user a verified address, following the mailed link."""
    before = len(logged_mails(caplog))
    assert auth.call("PATCH", "/api/me", {"email": address}).status_code == 200
    assert client.post(path_of(link_in(logged_mails(caplog)[before]))).status_code == 204


def ask(client, login, **kwargs):
    return client.post("/auth/password-reset", json={"login": login}, **kwargs)


def reset_mails(caplog):
    return [mail for mail in logged_mails(caplog) if "/auth/reset/" in mail["body"]]


@pytest.fixture
def alice(client, auth, caplog):
    auth.register("alice")
    verified(auth, client, caplog, "alice@example.com")
    return auth


def mailed_reset_path(caplog, count=1):
    assert wait_until(lambda: len(reset_mails(caplog)) >= count, timeout=10)
    return path_of(link_in(reset_mails(caplog)[count - 1]))


def test_a_verified_address_gets_a_link_and_the_link_sets_a_new_password(client, alice, new_client, caplog):
    stranger, _ = new_client()
    assert ask(stranger, "alice").status_code == 202
    path = mailed_reset_path(caplog)
    assert reset_mails(caplog)[0]["to"] == "alice@example.com"
    page = stranger.get(path)
    assert page.status_code == 200 and b'name="password"' in page.data and b'name="totp"' not in page.data
    token = path.rsplit("/", 1)[1]
    assert stranger.post(f"/auth/password-reset/{token}", json={"password": NEW_PASSWORD}).status_code == 204
    # every session ended: the signed-in browser is out
    assert client.get("/api/me").json["error"] == "token_revoked"
    assert alice.login("alice", PASSWORD).status_code == 401
    assert alice.login("alice", NEW_PASSWORD).status_code == 200


def test_a_link_works_once(client, alice, caplog):
    ask(client, "alice")
    token = mailed_reset_path(caplog).rsplit("/", 1)[1]
    assert client.post(f"/auth/password-reset/{token}", json={"password": NEW_PASSWORD}).status_code == 204
    again = client.post(f"/auth/password-reset/{token}", json={"password": "yet another password"})
    assert (again.status_code, again.json["error"]) == (404, "not_found")
    assert client.get(f"/auth/reset/{token}").status_code == 404
    assert alice.login("alice", NEW_PASSWORD).status_code == 200


def test_an_expired_or_unknown_link_is_not_found(app, client, alice, caplog):
    ask(client, "alice")
    token = mailed_reset_path(caplog).rsplit("/", 1)[1]
    with app.app_context():
        db.session.execute(db.update(MailedToken).values(expires_at=utcnow()))
        db.session.commit()
    for unusable in (token, "x" * 43, "short"):
        answer = client.post(f"/auth/password-reset/{unusable}", json={"password": NEW_PASSWORD})
        assert (answer.status_code, answer.json["error"]) == (404, "not_found")
        assert client.get(f"/auth/reset/{unusable}").status_code == 404
    assert alice.login("alice", PASSWORD).status_code == 200


def test_a_newer_link_voids_the_older_one(client, alice, caplog):
    ask(client, "alice")
    first = mailed_reset_path(caplog).rsplit("/", 1)[1]
    ask(client, "alice@example.com")
    second = mailed_reset_path(caplog, 2).rsplit("/", 1)[1]
    assert client.post(f"/auth/password-reset/{first}", json={"password": NEW_PASSWORD}).status_code == 404
    assert client.post(f"/auth/password-reset/{second}", json={"password": NEW_PASSWORD}).status_code == 204


@pytest.mark.parametrize("login", ["alice@example.com", "ALICE@Example.COM", "Alice"])
def test_the_login_is_a_username_or_an_email_in_any_case(client, alice, caplog, login):
    assert ask(client, login).status_code == 202
    assert mailed_reset_path(caplog)


def test_no_link_without_a_verified_address_and_the_answer_is_the_same(client, auth, new_client, caplog):
    auth.register("alice")
    auth.call("PATCH", "/api/me", {"email": "alice@example.com"})  # added, never verified
    _, bob = new_client()
    bob.register("bob")  # no address at all
    answers = [ask(client, login) for login in ("alice", "alice@example.com", "bob", "nobody", "no@where.example")]
    assert {(a.status_code, a.get_data()) for a in answers} == {(202, b"")}
    time.sleep(0.5)  # the lookups run after the answer: give them time to (not) mail
    assert reset_mails(caplog) == []


@pytest.mark.parametrize("body", [{}, {"login": ""}, {"login": 5}, {"login": "x" * 255}])
def test_a_request_without_a_login_is_invalid(client, body):
    answer = client.post("/auth/password-reset", json=body)
    assert (answer.status_code, answer.json["error"]) == (400, "invalid_input")


def test_five_links_an_hour_per_account_then_still_202_and_no_mail(client, alice, caplog):
    answers = [ask(client, "alice" if i % 2 else "alice@example.com").status_code for i in range(7)]
    assert answers == [202] * 7
    assert wait_until(lambda: len(reset_mails(caplog)) >= 5, timeout=10)
    time.sleep(0.5)  # the last two were handled too, and mailed nothing
    assert len(reset_mails(caplog)) == 5


def test_twenty_requests_an_hour_per_client_address(make_app, caplog):
    app = make_app(PASSWORD_RESET_ACCOUNT_LIMIT="100/hour")
    client = app.test_client()
    from support import Auth

    auth = Auth(client)
    auth.register("alice")
    verified(auth, client, caplog, "alice@example.com")
    answers = [ask(client, "alice").status_code for _ in range(22)]
    assert answers == [202] * 22
    assert wait_until(lambda: len(reset_mails(caplog)) >= 20, timeout=15)
    time.sleep(0.5)
    assert len(reset_mails(caplog)) == 20
    other_address = ask(client, "alice", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 202 and wait_until(lambda: len(reset_mails(caplog)) == 21, timeout=10)


def test_the_answer_takes_as_long_for_an_unknown_login_as_for_an_account_that_gets_a_link(make_app, caplog):
    """Timing: the median time of many requests naming a real account (which gets mailed) and unknown ones."""
    app = make_app(PASSWORD_RESET_ACCOUNT_LIMIT="1000/hour", PASSWORD_RESET_ADDRESS_LIMIT="1000/hour")
    client = app.test_client()
    from support import Auth

    auth = Auth(client)
    auth.register("alice")
    verified(auth, client, caplog, "alice@example.com")

    def timed(login):
        started = time.perf_counter()
        assert ask(client, login).status_code == 202
        return time.perf_counter() - started

    known, unknown = [], []
    for i in range(40):  # interleaved, so load on the machine falls on both alike
        known.append(timed("alice"))
        assert wait_until(lambda i=i: len(reset_mails(caplog)) > i, timeout=10)  # its mail went after the answer
        unknown.append(timed(f"nobody{i}"))
        time.sleep(0.05)  # as long for the unknown login's lookup, which mails nothing
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    assert abs(known_median - unknown_median) < max(0.002, 0.25 * unknown_median), (known_median, unknown_median)
    assert wait_until(lambda: len(reset_mails(caplog)) >= 40, timeout=20)  # the known ones were really mailed


def test_two_step_sign_in_still_asks_for_a_code(app, client, alice, caplog):
    secret = alice.call("POST", "/auth/2fa/setup").json["secret"]
    assert alice.call("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    ask(client, "alice")
    path = mailed_reset_path(caplog)
    token = path.rsplit("/", 1)[1]
    assert b'name="totp"' in client.get(path).data
    missing = client.post(f"/auth/password-reset/{token}", json={"password": NEW_PASSWORD})
    assert (missing.status_code, missing.json["error"]) == (401, "totp_required")
    wrong = client.post(f"/auth/password-reset/{token}", json={"password": NEW_PASSWORD, "totp": "000000"})
    assert (wrong.status_code, wrong.json["error"]) == (401, "invalid_credentials")
    assert alice.login("alice", PASSWORD).json["error"] == "totp_required"  # the password did not change
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step's: the current one was spent turning it on
    right = client.post(f"/auth/password-reset/{token}", json={"password": NEW_PASSWORD, "totp": code})
    assert right.status_code == 204
    assert alice.login("alice", NEW_PASSWORD).json["error"] == "totp_required"  # two-step stays on


def test_a_foreign_origin_is_refused(client, alice, caplog):
    refused = ask(client, "alice", headers={"Origin": "https://evil.example"})
    assert (refused.status_code, refused.json["error"]) == (403, "forbidden")
    ask(client, "alice")
    token = mailed_reset_path(caplog).rsplit("/", 1)[1]
    forged = client.post(f"/auth/password-reset/{token}", json={"password": NEW_PASSWORD}, headers={"Origin": "null"})
    assert (forged.status_code, forged.json["error"]) == (403, "forbidden")
    assert len(reset_mails(caplog)) == 1
    assert alice.login("alice", PASSWORD).status_code == 200


@pytest.mark.parametrize("body", [{}, {"password": "short"}, {"password": 12345678}, {"password": "x" * 257}])
def test_a_bad_new_password_is_invalid_and_keeps_the_link(client, alice, caplog, body):
    ask(client, "alice")
    token = mailed_reset_path(caplog).rsplit("/", 1)[1]
    answer = client.post(f"/auth/password-reset/{token}", json=body)
    assert (answer.status_code, answer.json["error"]) == (400, "invalid_input")
    assert client.post(f"/auth/password-reset/{token}", json={"password": NEW_PASSWORD}).status_code == 204


def test_the_forms_ask_send_and_set_without_javascript(client, alice, new_client, caplog):
    stranger, _ = new_client()
    assert b'href="/auth/password-reset"' in stranger.get("/auth/login").data
    sent = stranger.post("/auth/password-reset", data={"login": "alice"})
    assert sent.status_code == 202 and b'id="reset-sent"' in sent.data
    path = mailed_reset_path(caplog)
    token = path.rsplit("/", 1)[1]
    differ = stranger.post(
        f"/auth/password-reset/{token}", data={"password": NEW_PASSWORD, "confirm_password": "something else"}
    )
    assert differ.status_code == 400 and b"differ" in differ.data
    done = stranger.post(
        f"/auth/password-reset/{token}", data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert (done.status_code, done.headers["Location"]) == (303, "/auth/login?reset=1")
    assert b'id="password-was-reset"' in stranger.get("/auth/login?reset=1").data
