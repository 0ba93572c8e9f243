"""Account care in Chromium, with mouse and keyboard, on a desktop and a 390 px phone: two-step sign-in turned on
and used, access tokens, the password page and the devices page, each checked by axe-core."""

import itertools
import json
import os
import time

import pyotp
import pytest
import requests
from servers import live_server
from support import PASSWORD
from tabs import VIEWPORTS, axe_violations
from wsclient import Person

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"
names = (f"person{i}" for i in itertools.count())


server = live_server()


@pytest.fixture
def shot(tmp_path, viewport):
    """Save a screenshot (to HEARTH_PAGE_SHOTS when set, to look at) named for the step and the viewport."""
    folder = os.environ.get("HEARTH_PAGE_SHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    return lambda page, name: page.screenshot(path=f"{folder}/{name}-{viewport}.png", full_page=True)


def browser(chromium, viewport, **options):
    # axe is injected as an inline script, which the page's own CSP rightly refuses
    return chromium.new_context(
        viewport=dict(zip(("width", "height"), VIEWPORTS[viewport])), bypass_csp=True, **options
    ).new_page()


def assert_accessible(page, what):
    found = axe_violations(page)
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]
    assert not found, f"{what}: " + json.dumps(summary)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), what


def type_into(page, selector, text):
    page.click(selector)
    page.keyboard.type(text)


def log_in(page, server, username, password=PASSWORD):
    page.goto(f"{server.url}/auth/login")
    type_into(page, "#login-form input[name=username]", username)
    type_into(page, "#login-form input[name=password]", password)
    page.keyboard.press("Enter")


def test_two_step_sign_in_turned_on_from_the_security_page_used_to_sign_in_and_turned_off(
    chromium, server, viewport, shot
):
    person = Person(server.url, next(names))
    page = browser(chromium, viewport)
    log_in(page, server, person.username)
    page.wait_for_url(f"{server.url}/")
    page.click("text=Settings")
    page.click(".settings-nav >> text=Two-step sign-in")
    page.wait_for_selector("#two-factor[data-state=off]")
    assert_accessible(page, "security page, off")
    page.click("text=Set up two-step sign-in")
    page.wait_for_selector("#two-factor[data-state=setting-up] .qr svg")
    assert page.locator(".qr svg").bounding_box()["width"] >= 120  # big enough to scan
    secret = page.inner_text("#totp-secret")
    shot(page, "security-setup")
    assert_accessible(page, "security page, setting up")
    totp = pyotp.TOTP(secret)
    type_into(page, "#enable-two-factor-form input[name=code]", totp.now())
    page.keyboard.press("Enter")
    page.wait_for_selector("#recovery-codes")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.click("#copy-recovery-codes")
    page.wait_for_selector(".copy-scope .copied:has-text('Recovery codes copied.')")
    assert page.evaluate("() => navigator.clipboard.readText()") == "\n".join(codes)
    shot(page, "security-codes")
    assert_accessible(page, "recovery codes")
    assert person.api("GET", "/api/me").json()["two_factor"] is True

    page.click("#logout-form button")
    page.wait_for_url(f"{server.url}/auth/login")
    log_in(page, server, person.username)
    page.wait_for_selector("#login-form input[name=totp]")
    assert page.locator("#login-form input[name=password]").count() == 0  # the code step asks for the code only
    assert PASSWORD not in page.content()
    assert_accessible(page, "login code step")
    type_into(page, "#login-form input[name=totp]", "000000" if totp.now() != "000000" else "111111")
    page.keyboard.press("Enter")
    page.wait_for_selector("#login-form .error, .error")
    assert page.locator("#login-form input[name=totp]").count() == 1  # still the code step
    shot(page, "login-code-step")
    # the enabling code's step is spent: the next step's code is accepted (one step of drift either way)
    type_into(page, "#login-form input[name=totp]", totp.at(time.time() + 30))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/")
    cookies = {c["name"] for c in page.context.cookies()}
    assert "access_token_cookie" in cookies and "hearth_login_step" not in cookies

    # and off again, with the password
    page.goto(f"{server.url}/settings/security")
    page.wait_for_selector("#two-factor[data-state=on]")
    assert page.locator("text=10 recovery codes left").count() == 1
    shot(page, "security-on")
    assert_accessible(page, "security page, on")
    type_into(page, "#disable-two-factor-form input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#two-factor[data-state=off]")
    assert person.api("GET", "/api/me").json()["two_factor"] is False
    page.context.close()


def test_a_recovery_code_signs_in_once(chromium, server, viewport):
    person = Person(server.url, next(names))
    secret = person.api("POST", "/auth/2fa/setup").json()["secret"]
    codes = person.api("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).json()["recovery_codes"]
    for attempt in ("first", "again"):
        page = browser(chromium, viewport)
        log_in(page, server, person.username)
        type_into(page, "#login-form input[name=totp]", codes[0])
        page.keyboard.press("Enter")
        if attempt == "first":
            page.wait_for_url(f"{server.url}/")
        else:
            page.wait_for_selector(".error")
            assert page.locator("#login-form input[name=totp]").count() == 1
        page.context.close()


def test_a_token_is_created_shown_once_used_and_deleted_from_the_tokens_page(chromium, server, viewport, shot):
    person = Person(server.url, next(names))
    page = browser(chromium, viewport)
    log_in(page, server, person.username)
    page.wait_for_url(f"{server.url}/")
    page.goto(f"{server.url}/settings/tokens")
    assert_accessible(page, "tokens page, empty")
    type_into(page, "#create-token-form input[name=name]", "deploy bot")
    page.keyboard.press("Enter")
    token = page.inner_text("#new-token-value")
    assert token.startswith("hearth_pat_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.click("#copy-token")  # shown once: one click copies it
    page.wait_for_selector("#new-token .copied:has-text('Token copied.')")
    assert page.evaluate("() => navigator.clipboard.readText()") == token
    shot(page, "tokens-created")
    assert_accessible(page, "tokens page, new token")
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{server.url}/api/me", headers=bearer, timeout=5).json()["username"] == person.username
    page.goto(f"{server.url}/settings/tokens")
    assert token not in page.content()
    page.click("#tokens button[aria-label='Delete deploy bot']")
    page.wait_for_selector("text=No tokens yet.")
    assert requests.get(f"{server.url}/api/me", headers=bearer, timeout=5).json()["error"] == "token_revoked"
    page.context.close()


def test_the_password_page_changes_the_password_and_signs_out_the_other_devices(chromium, server, viewport, shot):
    person = Person(server.url, next(names))  # this one stays signed in elsewhere
    page = browser(chromium, viewport)
    log_in(page, server, person.username)
    page.wait_for_url(f"{server.url}/")
    page.click("text=Settings")
    page.click(".settings-nav >> text=Password")
    assert_accessible(page, "password page")
    type_into(page, "#password-form input[name=current_password]", PASSWORD)
    type_into(page, "#password-form input[name=new_password]", "a brand new secret")
    type_into(page, "#password-form input[name=confirm_password]", "a brand new secret")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Password changed.")
    shot(page, "password-changed")
    assert_accessible(page, "password page, changed")
    assert person.api("GET", "/api/me").json()["error"] == "token_revoked"
    page.goto(f"{server.url}/")
    assert page.url == f"{server.url}/"  # this device is still signed in
    page.context.close()


def test_the_devices_page_names_devices_puts_this_one_first_and_signs_out_the_others(chromium, server, viewport, shot):
    person = Person(server.url, next(names))
    elsewhere = browser(chromium, viewport, user_agent=FIREFOX_WINDOWS)
    log_in(elsewhere, server, person.username)
    elsewhere.wait_for_url(f"{server.url}/")
    page = browser(chromium, viewport)
    log_in(page, server, person.username)
    page.wait_for_url(f"{server.url}/")
    page.click("text=Settings")
    page.wait_for_selector("#sessions")
    devices = page.locator("#sessions .device-name").all_inner_texts()
    assert devices[0].startswith("HeadlessChrome") or devices[0].startswith("Chrome"), devices
    assert "Firefox on Windows" in devices
    assert page.locator("#sessions li").first.get_attribute("data-current") is not None
    shot(page, "devices")
    assert_accessible(page, "devices page")
    page.click("text=Sign out all other devices")
    page.wait_for_selector("text=Signed out")
    assert page.locator("#sessions li").count() == 1  # this one
    assert page.locator("#sessions li[data-current]").count() == 1
    elsewhere.goto(f"{server.url}/")
    elsewhere.wait_for_url(f"{server.url}/auth/login*")
    for context in (page.context, elsewhere.context):
        context.close()
