"""Mentions, direct messages and notifications in real Chromium, at 1280 and 390 pixels wide.

The composer's `@` list is used with the keyboard and with the mouse; a direct message is started from the
member list and shows in the sidebar's `#dms`; with the tab hidden (emulated) and notifications granted in
the context, a mention becomes one system notification, even with two tabs open, and the title counts it.
"""

import itertools

import pytest
from servers import live_server
from support import workspace_of
from tabs import axe_summary, open_sidebar, screenshot
from wsclient import Person

numbers = itertools.count()
server = live_server({})

# The page's Notification, recorded: the permission is the real one (granted or not in the context).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notified = [];
  window.__hidden = false;
  Object.defineProperty(document, "hidden", { configurable: true, get: () => window.__hidden });
  const state = () => (window.__hidden ? "hidden" : "visible");
  Object.defineProperty(document, "visibilityState", { configurable: true, get: state });
  window.Notification = class {
    static get permission() { return Real.permission; }
    static requestPermission() { return Real.requestPermission(); }
    constructor(title, options) { window.__notified.push({ title, ...options }); window.__lastNotification = this; }
    close() {}
  };
})();
"""


@pytest.fixture
def world(server):
    n = next(numbers)
    alice, bob = Person(server.url, f"malice{n}"), Person(server.url, f"mbob{n}", display_name=f"Bob {n}")
    place = workspace_of(alice, bob, name="Team")
    ws = place.workspace["id"]
    return {
        "alice": alice,
        "bob": bob,
        "bob_name": f"Bob {n}",
        "ws": ws,
        "channel": place.channel,
        "chat": f"/w/{ws}/c/{place.channel['id']}",
    }


def test_the_at_list_works_with_keys_and_the_mouse_and_a_dm_starts_from_the_member_list(world, tabs, viewport):
    alice = tabs(world["alice"], world["chat"])
    page, bob = alice.page, world["bob"]
    field = "#composer-body"
    page.click(field)
    page.keyboard.type("hello @mb")
    option = f"#mention-suggestions [data-username='{bob.username}']"
    page.wait_for_selector(option)
    assert page.get_attribute(field, "aria-activedescendant") == "mention-option-0"
    screenshot(page, f"autocomplete-{viewport}")
    assert not axe_summary(page)
    page.keyboard.press("Enter")  # picks, does not send
    assert page.input_value(field) == f"hello @{bob.username} "
    assert page.is_hidden("#mention-suggestions")
    page.keyboard.type("and @")
    page.wait_for_selector(option)
    page.click(option)
    assert page.input_value(field) == f"hello @{bob.username} and @{bob.username} "
    page.keyboard.press("Enter")  # the list is closed: this sends
    alice.wait_for_message("hello")
    mention = f"#messages .mention[data-user-id='{bob.id}']"
    page.wait_for_selector(mention)
    assert page.text_content(mention) == f"@{bob.username}"

    # a direct message from the member list: the sidebar's #dms names the other person
    page.goto(f"{alice.url}/w/{world['ws']}")
    page.click(f"#members li[data-user-id='{bob.id}'] button[data-action=message]")
    page.wait_for_url(f"{alice.url}/w/{world['ws']}/c/*")
    item = f"#dms [data-channel-id]:has-text('{world['bob_name']}')"
    open_sidebar(alice, viewport)
    page.wait_for_selector(item)
    assert page.get_attribute(item, "data-mentions") == "0"
    assert page.get_attribute(item, "data-unread") == "0"
    screenshot(page, f"dm-{viewport}")
    assert not axe_summary(page)


def test_a_hidden_tab_shows_one_notification_per_mention_and_counts_it_in_the_title(world, tabs, viewport, server):
    alice, bob, channel = world["alice"], world["bob"], world["channel"]["id"]
    tab = tabs(bob, world["chat"])
    context = tab.page.context
    context.grant_permissions(["notifications"], origin=server.url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    tab.page.reload()
    tab.live()
    assert tab.page.is_hidden("#notifications-allow")  # granted already: nothing to ask
    second = context.new_page()
    second.goto(f"{server.url}{world['chat']}")
    second.wait_for_selector("#connection-status[data-state=open]")
    for page in (tab.page, second):
        page.evaluate("() => { window.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); }")

    alice.api("POST", f"/api/channels/{channel}/messages", {"body": "not for anyone"})  # level: mentions
    posted = alice.api("POST", f"/api/channels/{channel}/messages", {"body": f"@{bob.username} look"}).json()
    tab.wait_until(
        lambda: (
            tab.page.evaluate("() => window.__notified.length") + second.evaluate("() => window.__notified.length") >= 1
        )
    )
    tab.wait(1)
    shown = tab.page.evaluate("() => window.__notified") + second.evaluate("() => window.__notified")
    assert [n["tag"] for n in shown] == [f"hearth-message-{posted['id']}"]
    assert "look" in shown[0]["body"]
    showing = tab.page if tab.page.evaluate("() => window.__notified.length") else second
    assert showing.title().startswith("(1) ")

    # a click brings the tab to the message; visible again, the title loses its count
    showing.evaluate("() => window.__lastNotification.onclick()")
    showing.wait_for_function(f"() => location.hash === '#message-{posted['id']}'")
    showing.evaluate("() => { window.__hidden = false; document.dispatchEvent(new Event('visibilitychange')); }")
    assert not showing.title().startswith("(")
    screenshot(showing, f"notified-{viewport}")


def test_the_allow_button_shows_until_asked_and_nothing_asks_on_load(world, tabs):
    tab = tabs(world["bob"], world["chat"])
    assert tab.page.evaluate("() => Notification.permission") == "default"  # not asked on load
    assert tab.page.is_visible("#notifications-allow")
    assert not axe_summary(tab.page)


def test_a_private_channels_members_are_managed_on_its_page_and_removal_shows_live(world, tabs, viewport):
    alice, bob, ws = world["alice"], world["bob"], world["ws"]
    tab = tabs(alice, f"/w/{ws}")
    page = tab.page
    page.fill("#create-channel-form input[name=name]", "plans")
    page.check("#create-channel-private")
    page.click("#create-channel-form button[type=submit]")
    page.wait_for_url(f"{tab.url}/w/{ws}/c/*")
    room = int(page.url.rsplit("/", 1)[1])
    page.click("#channel-members summary")
    page.fill("#add-channel-member-form input[name=username]", bob.username)
    page.click("#add-channel-member-form button[type=submit]")
    page.wait_for_selector(f"#channel-members li[data-user-id='{bob.id}']", state="attached")
    page.click("#channel-members summary")
    assert page.is_visible(f"#channel-members li[data-user-id='{bob.id}'] button[data-action=remove]")
    screenshot(page, f"private-{viewport}")
    assert not axe_summary(page)

    theirs = tabs(bob, f"/w/{ws}/c/{room}")
    open_sidebar(theirs, viewport)
    assert theirs.page.is_visible(f"#channels [data-channel-id='{room}'][data-kind=private]")
    page.click(f"#channel-members li[data-user-id='{bob.id}'] button[data-action=remove]")
    theirs.page.wait_for_selector("#withdrawn:has-text('no longer in this channel')")
    assert theirs.page.locator(f"#channels [data-channel-id='{room}']").count() == 0
    assert theirs.page.is_disabled("#composer-body")
