"""A stolen refresh token, replayed: the session dies for thief and victim alike, and the victim lands on login."""

import copy
import time

import pytest
import requests


def steal(victim):
    """What an attacker who copied the victim's cookies holds: the refresh token and its CSRF value."""
    thief = requests.Session()
    for cookie in victim.http.cookies:
        if cookie.name in ("refresh_token_cookie", "csrf_refresh_token"):
            thief.cookies.set_cookie(copy.copy(cookie))
    return thief


def refresh(session, url):
    return session.post(url + "/auth/refresh", headers={"X-CSRF-TOKEN": session.cookies.get("csrf_refresh_token")})


def lands_on_login(victim):
    """The victim's browser: a page sends it through resume, and resume sends it to the login page."""
    page = victim.http.get(victim.url + "/", allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"].startswith("/auth/resume")
    resume = victim.http.post(
        victim.url + "/auth/resume",
        allow_redirects=False,
        data={"csrf_token": victim.http.cookies.get("csrf_refresh_token") or "", "next": "/"},
    )
    assert resume.status_code == 303 and resume.headers["Location"].startswith("/auth/login")


def test_a_replay_after_the_victim_refreshed_revokes_the_session(server, person):
    victim = person()
    sock = victim.socket()
    thief = steal(victim)
    assert victim.api("POST", "/auth/refresh").status_code == 200  # the victim's tab rotates the token
    # The grace running out is what is under test, and nothing happens when it does, so there is nothing
    # to poll for: this waits it out (a replay inside it would be answered with the current tokens).
    time.sleep(float(server.env["HEARTH_REUSE_GRACE"]) + 0.5)

    replay = refresh(thief, server.url)
    assert (replay.status_code, replay.json()["error"]) == (401, "refresh_reused")
    assert "access_token_cookie=ey" not in replay.headers.get("Set-Cookie", "")  # the thief gets nothing
    assert sock.close_code(timeout=2) == 4403  # the victim's open socket is closed as revoked
    response = victim.api("GET", "/api/me")
    assert (response.status_code, response.json()["error"]) == (401, "token_revoked")  # "go to login"
    lands_on_login(victim)


def test_a_thief_who_refreshes_first_loses_everything_when_the_victim_refreshes(server, person):
    victim = person()
    thief = steal(victim)
    assert refresh(thief, server.url).status_code == 200  # the thief rotates first and holds a fresh pair
    assert thief.get(server.url + "/api/me").status_code == 200
    time.sleep(float(server.env["HEARTH_REUSE_GRACE"]) + 0.5)  # the grace runs out: nothing to poll (see above)

    response = refresh(victim.http, server.url)  # the victim's token is now the old one: reuse
    assert (response.status_code, response.json()["error"]) == (401, "refresh_reused")
    assert "refresh_token_cookie=;" in response.headers["Set-Cookie"]  # the victim's cookies are cleared
    assert thief.get(server.url + "/api/me").json()["error"] == "token_revoked"  # the thief's fresh pair is dead
    assert refresh(thief, server.url).json()["error"] == "token_revoked"
    lands_on_login(victim)


@pytest.mark.parametrize("stale,error", [("two rotations old", "refresh_reused"), ("logged out", "token_revoked")])
def test_an_older_refresh_token_is_refused_even_inside_the_grace(server, person, stale, error):
    victim = person()
    thief = steal(victim)
    if stale == "two rotations old":
        victim.api("POST", "/auth/refresh")
        victim.api("POST", "/auth/refresh")
    else:
        victim.api("POST", "/auth/logout")
    response = refresh(thief, server.url)
    assert (response.status_code, response.json()["error"]) == (401, error)
    assert "access_token_cookie=ey" not in response.headers.get("Set-Cookie", "")
