"""A browser tab of Hearth in Chromium, driven by Playwright, for the browser and fault tests."""

import json
import os
import tempfile
from pathlib import Path

from servers import ROOT
from support import PASSWORD, wait_until

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}  # every page feature is tried at both


class Tab:
    """A page with a log of the requests it made."""

    def __init__(self, context, url):
        self.page = context.new_page()
        self.url = url
        self.requests = []
        self.page.on("request", lambda request: self.requests.append(request.url.replace(url, "")))

    def wait(self, seconds):
        """Wait while Playwright keeps delivering events (time.sleep would hold them back)."""
        self.page.wait_for_timeout(seconds * 1000)

    def wait_until(self, check, timeout=15):
        """`support.wait_until` for a tab: between the checks Playwright keeps delivering the page's events."""
        return wait_until(check, timeout, interval=0.1, sleep=self.wait)

    def cookie(self, name):
        """One of the tab's cookies, as Playwright describes it (httpOnly ones included)."""
        return next(c for c in self.page.context.cookies() if c["name"] == name)

    def count(self, path):
        return sum(1 for r in self.requests if r.split("?")[0] == path)

    def login(self, username, next_path):
        self.page.goto(f"{self.url}/auth/login?next={next_path}")
        self.page.fill("#login-form input[name=username]", username)
        self.page.fill("#login-form input[name=password]", PASSWORD)
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_url(f"{self.url}{next_path}")
        self.live()

    def live(self, timeout=15000):
        self.page.wait_for_selector("#connection-status[data-state=open]", timeout=timeout)

    def send(self, text):
        self.page.fill("#composer [name=body]", text)
        self.page.click("#composer button[type=submit]")
        assert self.page.input_value("#composer [name=body]") == ""

    def bodies(self):
        return self.page.eval_on_selector_all("#messages [data-message-id] .body", "els => els.map(e => e.textContent)")

    def wait_for_message(self, text, timeout=15000):
        self.page.wait_for_selector(
            f"#messages li[data-message-id]:not([data-pending]):has-text('{text}')", timeout=timeout
        )


def new_tab(chromium, server):
    return Tab(chromium.new_context(), server.url)


def axe_violations(page, within=None):
    """axe-core's serious and critical findings (WCAG 2.1 A and AA) on the page as it is now, or `within` a selector.

    axe is injected as an inline script: the page's context needs `bypass_csp=True`, as the page's own CSP
    rightly refuses it."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """([within, tags]) => axe.run(within || document,
             {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        [within, WCAG_21_AA],
    )
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def axe_summary(page, within=None):
    """The findings of `axe_violations` as short text for an assertion message; empty when there are none."""
    found = axe_violations(page, within)
    return json.dumps([(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]) if found else ""


def sticking_out(page):
    """The elements wider than the window: none, or the page scrolls sideways. A board's columns scroll sideways
    inside the board on a narrow screen (docs/protocol.md, page hooks): the board itself must fit."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter(e => !e.parentElement.closest('.board'))
          .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )


def open_sidebar(tab, viewport):
    """On a phone the sidebar is a drawer: open it with the top bar's button before using its links."""
    if viewport == "phone":
        tab.page.click("#sidebar-toggle")
        tab.page.wait_for_selector("#channels", state="visible")


def screenshot(page, name, full_page=False):
    """Save a page's picture to look at: in HEARTH_PAGE_SHOTS when set, else in the system's temp folder."""
    folder = Path(os.environ.get("HEARTH_PAGE_SHOTS") or Path(tempfile.gettempdir()) / "hearth-pages")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)
