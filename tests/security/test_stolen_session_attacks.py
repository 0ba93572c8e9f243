"""A stolen session kept for good: with copied cookies only, a thief turned on two-step sign-in with their own
secret, signed the owner's other devices out and made a personal access token, and no password was asked.
Those changes now need the password given recently (HEARTH_REAUTH_WINDOW, here 2 s)."""

import time

import pyotp
import pytest
import requests
from servers import Hearth
from support import PASSWORD
from wsclient import Person

WINDOW = 2


@pytest.fixture(scope="module")
def short_window():
    hearth = Hearth(env={"HEARTH_REAUTH_WINDOW": str(WINDOW)}).start()
    yield hearth
    hearth.stop()


def thief_of(person):
    """Another client holding nothing but a copy of the person's cookies."""
    thief = Person(person.url, person.username, register=False)
    thief.http.cookies.update(person.http.cookies)
    return thief


def test_copied_cookies_alone_cannot_lock_the_owner_out_after_the_window(short_window):
    owner = Person(short_window.url, "owner")
    laptop = Person(short_window.url, "owner", register=False).login()
    laptop_session = next(s["id"] for s in laptop.api("GET", "/auth/sessions").json() if s["current"])
    thief = thief_of(owner)
    time.sleep(WINDOW + 1)

    secret = thief.api("POST", "/auth/2fa/setup").json()["secret"]
    attempts = {
        "two-step on": thief.api("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}),
        "a token": thief.api("POST", "/auth/tokens", {"name": "backdoor"}),
        "another session ended": thief.api("DELETE", f"/auth/sessions/{laptop_session}"),
    }
    for what, answer in attempts.items():
        assert (answer.status_code, answer.json()["error"]) == (401, "reauth_required"), what
    csrf = {"csrf_token": thief.http.cookies.get("csrf_access_token")}
    forms = {
        "/settings/tokens": {"name": "backdoor"},
        "/settings/security/enable": {"code": pyotp.TOTP(secret).now()},
        "/settings/sessions/end-others": {},
        f"/settings/sessions/{laptop_session}/end": {},
    }
    for path, fields in forms.items():
        page = thief.http.post(short_window.url + path, data={**csrf, **fields}, allow_redirects=False)
        assert page.status_code == 401 and 'name="reauth_password"' in page.text, path
    wrong = thief.http.post(
        short_window.url + "/settings/tokens", data={**csrf, "name": "backdoor", "reauth_password": "a guess"}
    )
    assert wrong.status_code == 401 and "not your password" in wrong.text

    me = owner.api("GET", "/api/me").json()
    assert me["two_factor"] is False
    assert owner.api("GET", "/auth/tokens").json() == []
    assert laptop.api("GET", "/api/me").status_code == 200  # the owner's laptop is still signed in


def test_the_password_given_again_opens_the_window(short_window):
    owner = Person(short_window.url, "returning")
    other = Person(short_window.url, "returning", register=False).login()
    other_session = next(s["id"] for s in other.api("GET", "/auth/sessions").json() if s["current"])
    time.sleep(WINDOW + 1)
    assert owner.api("POST", "/auth/tokens", {"name": "bot"}).json()["error"] == "reauth_required"
    wrong = owner.api("POST", "/auth/reauthenticate", {"password": "not it"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_credentials")
    assert owner.api("POST", "/auth/reauthenticate", {"password": PASSWORD}).status_code == 204
    assert owner.api("POST", "/auth/tokens", {"name": "bot"}).status_code == 201
    assert owner.api("DELETE", f"/auth/sessions/{other_session}").status_code == 204
    secret = owner.api("POST", "/auth/2fa/setup").json()["secret"]
    assert owner.api("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    again = owner.api("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()})
    assert (again.status_code, again.json()["error"]) == (409, "conflict")  # never replaces a secret that is on


def test_a_form_asks_for_the_password_in_place_and_then_makes_the_change(short_window):
    owner = Person(short_window.url, "formuser")
    time.sleep(WINDOW + 1)
    csrf = {"csrf_token": owner.http.cookies.get("csrf_access_token")}
    asked = owner.http.post(short_window.url + "/settings/tokens", data={**csrf, "name": "carried name"})
    assert asked.status_code == 401 and 'value="carried name"' in asked.text
    done = owner.http.post(
        short_window.url + "/settings/tokens", data={**csrf, "name": "carried name", "reauth_password": PASSWORD}
    )
    assert done.status_code == 201 and "carried name" in done.text
    assert [t["name"] for t in owner.api("GET", "/auth/tokens").json()] == ["carried name"]


def test_reauthentication_guesses_are_limited(short_window):
    owner = Person(short_window.url, "guessed")
    answers = [owner.api("POST", "/auth/reauthenticate", {"password": f"guess {i}"}).status_code for i in range(12)]
    assert answers[:10] == [401] * 10 and answers[10:] == [429, 429]
    assert requests.get(short_window.url + "/healthz").status_code == 200
