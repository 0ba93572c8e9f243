"""What the browser suites share: the two window sizes every page is tried at, and signed-in tabs at them."""

import pytest
from support import PASSWORD
from tabs import VIEWPORTS, Tab


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def tabs(chromium, server, viewport):
    """Open a signed-in tab for a person on a path, at this test's viewport; all are closed afterwards.

    `server` is the suite's own fixture: each suite asks `servers.live_server` for the settings it needs."""
    opened = []

    def open_tab(person, path, javascript=True):
        width, height = VIEWPORTS[viewport]
        context = chromium.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript, bypass_csp=True
        )
        opened.append(context)
        tab = Tab(context, server.url)
        if javascript:
            tab.login(person.username, path)
        else:
            tab.page.goto(f"{server.url}/auth/login?next={path}")
            tab.page.fill("#login-form input[name=username]", person.username)
            tab.page.fill("#login-form input[name=password]", PASSWORD)
            tab.page.click("#login-form button[type=submit]")
            tab.page.wait_for_url(f"{server.url}{path}")
        return tab

    yield open_tab
    for context in opened:
        context.close()
