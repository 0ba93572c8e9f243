"""Passkeys in Chromium with its virtual authenticator (CDP's WebAuthn domain), on a desktop and a 390 px phone:
added from the security page (the password asked in place when the sign-in is not recent), used to sign in
from the login page by its button and by the browser's autofill, listed as a device, refused once removed and
when replayed; each page checked by axe-core.

Browsers refuse an IP address as a relying party id: the pages are opened at http://localhost:<port>.
"""

import itertools
import json
import os
import sqlite3
from pathlib import Path

import pyotp
import pytest
import requests
from servers import Hearth
from support import PASSWORD
from test_account_pages import assert_accessible, browser, log_in, type_into
from wsclient import Person

names = (f"keyholder{i}" for i in itertools.count())
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}
# A browser without passkeys in its autofill: only the button signs in with one.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


class Site:
    """The live server as the browser must see it: by name, not by address."""

    def __init__(self, hearth):
        self.hearth = hearth
        self.url = hearth.url.replace("127.0.0.1", "localhost")

    def forget_recent_sign_ins(self):
        """Every session's password as if given long ago: the next sensitive change asks for it (no waiting)."""
        with sqlite3.connect(Path(self.hearth.tmp) / "hearth.db") as db:
            db.execute("UPDATE auth_sessions SET authenticated_at = '2000-01-01 00:00:00.000000'")


@pytest.fixture(scope="module")
def site():
    hearth = Hearth(env={"HEARTH_PASSKEY_OPTIONS_LIMIT": "1000/minute"})
    hearth.start()
    yield Site(hearth)
    hearth.stop()


@pytest.fixture
def shot(tmp_path, viewport):
    folder = os.environ.get("HEARTH_PAGE_SHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    return lambda page, name: page.screenshot(path=f"{folder}/{name}-{viewport}.png", full_page=True)


class Authenticator:
    """Chromium's virtual authenticator for one page: a platform authenticator with a fingerprint reader."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]

    def credentials(self):
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def add(self, credential):
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential})


def device_page(chromium, viewport, autofill=True):
    page = browser(chromium, viewport)
    if not autofill:
        page.add_init_script(NO_AUTOFILL)
    return page, Authenticator(page)


def add_passkey(page, site, name):
    page.goto(f"{site.url}/settings/security")
    page.wait_for_selector("#add-passkey-form:not([hidden])")
    page.fill("#add-passkey-form input[name=name]", name)
    page.click("#add-passkey")


def signed_out(page, site):
    page.click("#logout-form button")
    page.wait_for_url(f"{site.url}/auth/login**")


def sign_in_posts(page):
    """The bodies the page posts to `/auth/passkeys/login`, as they are sent."""
    bodies = []
    page.on("request", lambda r: r.url.endswith("/auth/passkeys/login") and bodies.append(r.post_data))
    return bodies


def test_a_passkey_added_in_settings_signs_in_by_its_button_and_stops_once_removed(chromium, site, viewport, shot):
    person = Person(site.hearth.url, next(names))
    page, authenticator = device_page(chromium, viewport, autofill=False)
    posted = sign_in_posts(page)
    log_in(page, site, person.username)
    page.wait_for_url(f"{site.url}/")

    # adding one after the sign-in stopped being recent asks for the password in place, then adds it
    site.forget_recent_sign_ins()
    add_passkey(page, site, "My laptop")
    page.wait_for_selector("#passkey-reauth-form:not([hidden])")
    assert "A passkey lets you sign in without typing a password" in page.inner_text("#passkeys")
    assert page.input_value("#add-passkey-form input[name=name]") == "My laptop"  # what was typed is kept
    shot(page, "passkey-password-asked")
    assert_accessible(page, "security page, password asked for a passkey")
    type_into(page, "#passkey-reauth-form input[name=password]", "not the password")
    page.keyboard.press("Enter")
    page.wait_for_selector("#passkey-reauth-form [role=alert]:not([hidden])")
    assert "not your password" in page.inner_text("#passkey-reauth-form")
    page.fill("#passkey-reauth-form input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-passkey-id]")
    page.wait_for_selector("#add-passkey-form:not([hidden])")
    assert len(authenticator.credentials()) == 1 and authenticator.credentials()[0]["isResidentCredential"]
    listed = page.inner_text("[data-passkey-id]")
    assert "My laptop" in listed and "never used" in listed
    shot(page, "passkey-added")
    assert_accessible(page, "security page with a passkey")

    # signing out, then in with the passkey: no username, no password
    signed_out(page, site)
    assert page.get_attribute("#login-form input[name=username]", "autocomplete") == "username webauthn"
    page.wait_for_selector("#passkey-login:not([hidden])")
    shot(page, "login-with-passkey-button")
    assert_accessible(page, "login page with the passkey button")
    page.click("#passkey-login")
    page.wait_for_url(f"{site.url}/")
    assert len(posted) == 1

    # the session is one of the person's devices, and another tab of the browser is signed in too
    page.goto(f"{site.url}/settings/sessions")
    assert page.locator("[data-session-id][data-current]").count() == 1
    second = page.context.new_page()
    second.goto(f"{site.url}/settings/security")
    assert second.url == f"{site.url}/settings/security"  # not sent to the login page
    assert "last used" in second.inner_text("[data-passkey-id]")
    second.close()

    # the sign-in the browser sent, sent again by someone who copied it, signs nobody in
    replayed = requests.post(
        f"{site.url}/auth/passkeys/login",
        data=posted[0],
        headers={"Content-Type": "application/json", "Origin": site.url},
    )
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_credentials"
    assert "access_token_cookie" not in replayed.cookies

    # removing it (the password asked again in place, as every settings form does) ends its sign-ins
    site.forget_recent_sign_ins()
    page.goto(f"{site.url}/settings/security")
    page.click("[data-passkey-id] button")
    page.wait_for_selector("#reauthenticate-form")
    assert "Removing a passkey needs your password" in page.inner_text("#reauthenticate")
    type_into(page, "#reauthenticate-form input[name=reauth_password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/settings/security")
    assert page.locator("[data-passkey-id]").count() == 0
    assert person.api("GET", "/auth/passkeys").json() == []
    signed_out(page, site)
    page.click("#passkey-login")  # the authenticator still holds it; the site no longer knows it
    page.wait_for_selector("#passkey-error:not([hidden])")
    assert "not accepted" in page.inner_text("#passkey-error")
    assert page.url.startswith(f"{site.url}/auth/login")
    shot(page, "login-with-a-removed-passkey")
    assert_accessible(page, "login page, passkey refused")
    page.context.close()


def test_the_browsers_autofill_signs_in_with_a_passkey(chromium, site, viewport):
    """Conditional mediation: the login page asks as it opens; the virtual authenticator answers at once (a
    person would pick the passkey in the username field's suggestions)."""
    person = Person(site.hearth.url, next(names))
    setup, authenticator = device_page(chromium, viewport, autofill=False)
    log_in(setup, site, person.username)
    setup.wait_for_url(f"{site.url}/")
    add_passkey(setup, site, "Phone")
    setup.wait_for_selector("[data-passkey-id]")
    credential = authenticator.credentials()[0]
    setup.context.close()

    page, elsewhere = device_page(chromium, viewport)  # a browser with nobody signed in, holding the passkey
    elsewhere.add(credential)
    posted = sign_in_posts(page)
    page.goto(f"{site.url}/auth/login?next=/settings/sessions")
    page.wait_for_url(f"{site.url}/settings/sessions")
    assert page.locator("[data-session-id][data-current]").count() == 1
    assert json.loads(posted[0])["credential"]["response"]["userHandle"]  # a discoverable credential named the account
    page.context.close()


def test_two_step_sign_in_asks_no_code_after_a_passkey(chromium, site, viewport):
    person = Person(site.hearth.url, next(names))
    page, _ = device_page(chromium, viewport, autofill=False)
    log_in(page, site, person.username)
    page.wait_for_url(f"{site.url}/")
    add_passkey(page, site, "Laptop")
    page.wait_for_selector("[data-passkey-id]")
    secret = person.api("POST", "/auth/2fa/setup").json()["secret"]
    assert person.api("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    signed_out(page, site)
    page.click("#passkey-login")
    page.wait_for_url(f"{site.url}/")
    assert page.locator("#totp-step").count() == 0
    page.context.close()
