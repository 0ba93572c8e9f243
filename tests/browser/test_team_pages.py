"""A team joining and looked after, in Chromium on a desktop and a 390 px phone: a signed-out person follows an
invitation link, signs up and lands in the workspace; the owner copies a link; a site admin deactivates someone
whose open tab goes to the login page. Each page is checked by axe-core and shot to HEARTH_PAGE_SHOTS (or /tmp)."""

import itertools
import json
import os

import pytest
from servers import live_server
from support import PASSWORD
from tabs import VIEWPORTS, axe_violations
from wsclient import Person

names = (f"person{i}" for i in itertools.count())

server = live_server({"HEARTH_REGISTRATION": "invite"})


@pytest.fixture(scope="module")
def site_admin(server):
    """The site's first account (so its admin), who owns the workspace people are invited to."""
    return Person(server.url, "admin")  # an invite-only site still takes its first account


@pytest.fixture
def shot(viewport):
    folder = os.environ.get("HEARTH_PAGE_SHOTS") or "/tmp/hearth-team-shots"
    os.makedirs(folder, exist_ok=True)
    return lambda page, name: page.screenshot(path=f"{folder}/{name}-{viewport}.png", full_page=True)


def browser(chromium, viewport, **options):
    width, height = VIEWPORTS[viewport]
    return chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True, **options).new_page()


def assert_accessible(page, what):
    found = axe_violations(page)
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]
    assert not found, f"{what}: " + json.dumps(summary)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), what


def sign_in(page, server, username):
    page.goto(f"{server.url}/auth/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def test_a_signed_out_person_follows_an_invitation_signs_up_and_lands_in_the_workspace(
    chromium, server, site_admin, viewport, shot
):
    workspace = site_admin.create("/api/workspaces", {"name": f"Riverside {viewport}"})
    link = site_admin.create(f"/api/workspaces/{workspace['id']}/invites", {"max_uses": 5})
    page = browser(chromium, viewport)
    page.goto(link["url"])
    assert page.text_content("#invite-workspace") == workspace["name"]
    assert page.locator("#invite-join").count() == 0
    assert_accessible(page, "the invitation, signed out")
    shot(page, "invite-signed-out")

    page.click("a#invite-register")
    assert page.locator("#registration-closed").count() == 0  # invite-only, but this person has a link
    newcomer = next(names)
    page.fill("#register-form input[name=username]", newcomer)
    page.fill("#register-form input[name=display_name]", f"New {viewport}")
    page.fill("#register-form input[name=password]", PASSWORD)
    assert_accessible(page, "the register form with an invitation")
    page.click("#register-form button[type=submit]")
    page.wait_for_url(f"{server.url}/w/{workspace['id']}")
    page.wait_for_selector("#connection-status[data-state=open]")
    assert page.locator(f"#members [data-user-id] >> text=@{newcomer}").count() == 1
    shot(page, "invite-landed")

    # without the link the register page says why it cannot be used
    closed = browser(chromium, viewport)
    closed.goto(f"{server.url}/auth/register")
    assert "invitation" in closed.text_content("#registration-closed")
    assert closed.locator("#register-form").count() == 0
    assert_accessible(closed, "the register page of an invite-only site")
    shot(closed, "register-closed")


def test_someone_with_an_account_signs_in_from_the_invitation_and_joins(chromium, server, site_admin, viewport):
    workspace = site_admin.create("/api/workspaces", {"name": f"Hillside {viewport}"})
    link = site_admin.create(f"/api/workspaces/{workspace['id']}/invites", {})
    member = site_admin.create("/api/admin/users", {"username": next(names), "password": PASSWORD})
    page = browser(chromium, viewport)
    page.goto(link["url"])
    page.click("a#invite-login")
    page.fill("#login-form input[name=username]", member["username"])
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(link["url"])  # back at the invitation, signed in
    assert_accessible(page, "the invitation, signed in")
    page.keyboard.press("Tab")  # the join button is reachable by keyboard
    page.focus("#invite-join")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/w/{workspace['id']}")


def test_the_owner_makes_a_link_and_copies_it_with_the_keyboard(chromium, server, site_admin, viewport, shot):
    workspace = site_admin.create("/api/workspaces", {"name": f"Copying {viewport}"})
    page = browser(chromium, viewport, permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, server, site_admin.username)
    page.goto(f"{server.url}/w/{workspace['id']}")
    page.wait_for_selector("#connection-status[data-state=open]")
    page.select_option("#create-invite-form select[name=max_uses]", "5")
    page.click("#create-invite-form button[type=submit]")
    page.wait_for_selector("#invite-links [data-invite-id]")
    url = page.input_value("#invite-links .invite-url")
    assert url.startswith(f"{server.url}/invite/")
    copy = page.locator("#invite-links button[data-copy]").first
    copy.wait_for(state="visible")  # shown by the page's script, which runs once the page is parsed
    copy.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#invite-links .copied').textContent !== ''")
    assert page.text_content("#invite-links .copied") == "Link copied."
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert_accessible(page, "the workspace page with its links")
    shot(page, "workspace-invites")


def test_the_admin_page_deactivates_someone_whose_open_tab_goes_to_the_login_page(
    chromium, server, site_admin, viewport, shot
):
    workspace = site_admin.create("/api/workspaces", {"name": f"Admin {viewport}"})
    person = site_admin.create("/api/admin/users", {"username": next(names), "password": PASSWORD})
    site_admin.create(f"/api/workspaces/{workspace['id']}/members", {"username": person["username"]})
    theirs = browser(chromium, viewport)
    sign_in(theirs, server, person["username"])
    theirs.goto(f"{server.url}/w/{workspace['id']}")
    theirs.wait_for_selector("#connection-status[data-state=open]")

    admin = browser(chromium, viewport)
    sign_in(admin, server, site_admin.username)
    admin.click("#admin-link")
    admin.wait_for_url(f"{server.url}/admin")
    assert_accessible(admin, "the admin page")
    shot(admin, "admin")
    row = admin.locator(f"#users [data-user-id='{person['id']}']")
    admin.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[data-action=deactivate]").click()
    admin.wait_for_selector(f"#users [data-user-id='{person['id']}'][data-deactivated=true]")
    assert row.locator("button[data-action=reactivate]").count() == 1
    shot(admin, "admin-deactivated")

    theirs.wait_for_url(f"{server.url}/auth/login**", timeout=5000)  # their open tab went to sign in
    theirs.fill("#login-form input[name=username]", person["username"])
    theirs.fill("#login-form input[name=password]", PASSWORD)
    theirs.click("#login-form button[type=submit]")
    theirs.wait_for_selector("#login-form ~ .error, .error[role=alert]")
    assert "deactivated" in theirs.text_content(".error[role=alert]")
    shot(theirs, "deactivated-login")
