"""The password asked again in place, in Chromium on a desktop and a 390 px phone: a change that needs a recent
password shows the password form instead, keeps what was typed, and makes the change once the password is given."""

import itertools
import os

import pytest
from servers import Hearth
from support import PASSWORD
from test_account_pages import assert_accessible, browser, log_in, type_into
from wsclient import Person

WINDOW = 2
names = (f"returner{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    hearth = Hearth(env={"HEARTH_REAUTH_WINDOW": str(WINDOW)})
    hearth.start()
    yield hearth
    hearth.stop()


@pytest.fixture
def shot(tmp_path, viewport):
    folder = os.environ.get("HEARTH_PAGE_SHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    return lambda page, name: page.screenshot(path=f"{folder}/{name}-{viewport}.png", full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no script"])
def test_a_token_form_after_the_window_asks_for_the_password_in_place_then_creates_the_token(
    chromium, server, viewport, shot, javascript
):
    person = Person(server.url, next(names))
    page = browser(chromium, viewport, java_script_enabled=javascript)
    log_in(page, server, person.username)
    page.wait_for_url(f"{server.url}/")
    page.goto(f"{server.url}/settings/tokens")
    page.wait_for_timeout((WINDOW + 1) * 1000)
    type_into(page, "#create-token-form input[name=name]", "deploy bot")
    page.keyboard.press("Enter")
    page.wait_for_selector("#reauthenticate-form")
    assert "Creating an access token needs your password" in page.inner_text("#reauthenticate")
    shot(page, "reauthenticate")
    if javascript:  # axe runs as a script
        assert_accessible(page, "password asked again")
    type_into(page, "#reauthenticate-form input[name=reauth_password]", "not the password")
    page.keyboard.press("Enter")
    page.wait_for_selector("#reauthenticate [role=alert]")
    shot(page, "reauthenticate-wrong")
    if javascript:
        assert_accessible(page, "password asked again, wrong")
    type_into(page, "#reauthenticate-form input[name=reauth_password]", PASSWORD)
    page.keyboard.press("Enter")
    assert page.inner_text("#new-token-value").startswith("hearth_pat_")
    assert [t["name"] for t in person.api("GET", "/auth/tokens").json()] == ["deploy bot"]
    page.context.close()
