"""The profile page and a forgotten password in Chromium, on a desktop and a 390 px phone: a new display name and
a picture seen beside a message and in presence; a password reset from the login page's "Forgot password?", with the
mail read from a real SMTP server. Every page is checked by axe-core."""

import itertools
import json
import os

import pytest
import requests
from mails import SMTPServer, link_in
from PIL import Image
from servers import live_server
from support import PASSWORD, workspace_of
from tabs import VIEWPORTS, axe_violations, open_sidebar
from wsclient import Person

NEW_PASSWORD = "a brand new passphrase"
names = (f"person{i}" for i in itertools.count())
MAIL = SMTPServer()  # its port is known now, for the server's settings; it starts with the module's tests

server = live_server({"HEARTH_SMTP_URL": MAIL.url})


@pytest.fixture(scope="module")
def smtp():
    MAIL.start()
    yield MAIL
    MAIL.stop()


@pytest.fixture
def shot(tmp_path, viewport):
    """Save a screenshot (to HEARTH_PAGE_SHOTS when set, to look at) named for the step and the viewport."""
    folder = os.environ.get("HEARTH_PAGE_SHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    return lambda page, name: page.screenshot(path=f"{folder}/{name}-{viewport}.png", full_page=True)


def assert_accessible(page, what):
    found = axe_violations(page)
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]
    assert not found, f"{what}: " + json.dumps(summary)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), what


def picture_file(tmp_path):
    path = tmp_path / "me.jpg"
    image = Image.new("RGB", (640, 480), (30, 110, 190))
    for x in range(200, 440):  # a lighter square, so the crop shows
        for y in range(140, 340, 4):
            image.putpixel((x, y), (250, 200, 60))
    image.save(path, format="JPEG")
    return str(path)


def test_a_new_name_and_picture_on_the_profile_page_show_beside_a_message(tabs, viewport, server, smtp, tmp_path, shot):
    alice = Person(server.url, next(names), display_name="Alice")
    place = workspace_of(alice, Person(server.url, next(names)))
    chat = f"/w/{place.workspace['id']}/c/{place.channel['id']}"
    tab = tabs(alice, chat)
    page = tab.page
    page.goto(f"{server.url}/settings/profile")
    assert page.get_attribute("nav.settings-nav a[href='/settings/profile']", "aria-current") == "page"
    assert page.inner_text("#profile .avatar-large") == "A"  # initials before a picture
    page.fill("#display-name-form input[name=display_name]", "Alice Liddell")
    page.click("#display-name-form button[type=submit]")
    page.wait_for_selector("text=Display name saved.")
    assert page.input_value("#display-name-form input[name=display_name]") == "Alice Liddell"
    page.set_input_files("#avatar-form input[type=file]", picture_file(tmp_path))
    page.click("#avatar-form button[type=submit]")
    page.wait_for_selector("text=Avatar saved.")
    src = page.get_attribute("#profile .avatar-large img", "src")
    assert src.startswith(f"/avatars/{alice.id}/")
    page.wait_for_function("document.querySelector('#profile .avatar-large img').complete")
    assert page.evaluate("document.querySelector('#profile .avatar-large img').naturalWidth") == 256
    page.fill("#email-form input[name=email]", f"{alice.username}@example.com")
    page.click("#email-form button[type=submit]")
    page.wait_for_selector("#resend-verification-form")
    assert "not verified yet" in page.inner_text("#email-state")
    assert_accessible(page, "the profile page")
    shot(page, "profile")

    page.goto(server.url + chat)
    tab.live()
    tab.send("hello with a face")
    tab.wait_for_message("hello with a face")
    mine = "#messages li[data-message-id]:has-text('hello with a face')"
    assert page.inner_text(f"{mine} .author") == "Alice Liddell"
    assert page.get_attribute(f"{mine} .avatar img", "src") == src
    open_sidebar(tab, viewport)  # who is online: in the drawer on a phone
    page.wait_for_selector(f"#presence [data-user-id='{alice.id}'] .avatar img")
    page.reload()  # as the server renders it
    tab.live()
    assert page.get_attribute(f"{mine} .avatar img", "src") == src
    assert_accessible(page, "the chat page with avatars")
    shot(page, "chat-with-avatar")
    page.goto(f"{server.url}/w/{place.workspace['id']}")
    assert page.get_attribute(f"#members [data-user-id='{alice.id}'] .avatar img", "src") == src
    assert page.inner_text(f"#members [data-user-id='{place.workspace['owner_id'] + 1}'] .avatar")  # initials
    shot(page, "members-with-avatar")


def test_a_forgotten_password_is_reset_from_the_login_page_with_the_mailed_link(chromium, server, smtp, viewport, shot):
    bob = Person(server.url, next(names))
    address = f"{bob.username}@example.com"
    before = len(smtp.messages)
    assert bob.api("PATCH", "/api/me", {"email": address}).status_code == 200
    verification = link_in(smtp.wait_for(before + 1)[before])
    assert requests.post(verification, headers={"Origin": server.url}).status_code == 204

    context = chromium.new_context(viewport=dict(zip(("width", "height"), VIEWPORTS[viewport])), bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/auth/login")
        page.click("text=Forgot password?")
        page.wait_for_url(f"{server.url}/auth/password-reset")
        assert_accessible(page, "the forgot-password page")
        page.fill("#password-reset-form input[name=login]", address.upper())
        page.click("#password-reset-form button[type=submit]")
        page.wait_for_selector("#reset-sent")
        shot(page, "reset-sent")
        mail = smtp.wait_for(before + 2)[before + 1]
        assert (mail["to"], mail["subject"]) == (address, "Reset your Hearth password")
        page.goto(link_in(mail))
        assert_accessible(page, "the new-password page")
        page.fill("#new-password-form input[name=password]", NEW_PASSWORD)
        page.fill("#new-password-form input[name=confirm_password]", NEW_PASSWORD)
        shot(page, "reset-form")
        page.click("#new-password-form button[type=submit]")
        page.wait_for_selector("#password-was-reset")
        assert_accessible(page, "the login page after a reset")
        shot(page, "reset-done")
        assert bob.api("GET", "/api/me").json()["error"] == "token_revoked"
        page.fill("#login-form input[name=username]", bob.username)
        page.fill("#login-form input[name=password]", NEW_PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(link_in(mail))
        assert "does not work" in page.inner_text("main")  # the link worked once
        old = requests.post(f"{server.url}/auth/login", json={"username": bob.username, "password": PASSWORD})
        assert old.status_code == 401
    finally:
        context.close()
