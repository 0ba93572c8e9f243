"""The workspace around its pages, in real Chromium with two people: presence everywhere, a live sidebar with
unread counts, typing, and members removed or leaving.

Each test runs on a desktop window and on a 390 × 844 phone; axe-core checks the pages it uses.
"""

import itertools
from pathlib import Path

import pytest
from servers import live_server
from support import workspace_of
from tabs import axe_summary, open_sidebar, sticking_out
from wsclient import Person

ROOT = Path(__file__).resolve().parents[2]
numbers = itertools.count()


server = live_server({"HEARTH_PRESENCE_GRACE": "1"})


@pytest.fixture
def world(server):
    """Ada owns a workspace with #general and a board; Grace is a member."""
    n = next(numbers)
    ada = Person(server.url, f"ada{n}", display_name=f"Ada {n}")
    grace = Person(server.url, f"grace{n}", display_name=f"Grace {n}")
    place = workspace_of(ada, grace, name="Team")
    ws = place.workspace
    return {
        "ada": ada,
        "grace": grace,
        "workspace": ws,
        "channel": place.channel,
        "board": place.board,
        "overview": f"/w/{ws['id']}",
        "chat_path": f"/w/{ws['id']}/c/{place.channel['id']}",
        "board_path": f"/w/{ws['id']}/b/{place.board['id']}",
    }


def check_page(tab, tmp_path, name):
    tab.page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    assert sticking_out(tab.page) == []
    assert not axe_summary(tab.page, "main")


def online(tab, person, timeout=10000):
    # attached: on a phone the sidebar is a closed drawer (tests/browser/test_daily_use.py opens it)
    tab.page.wait_for_selector(f"#presence [data-user-id='{person.id}']", timeout=timeout, state="attached")


def unread(tab, channel_id):
    return tab.page.get_attribute(f"#channels [data-channel-id='{channel_id}']", "data-unread")


def wait_unread(tab, channel_id, count, timeout=10000):
    tab.page.wait_for_selector(
        f"#channels [data-channel-id='{channel_id}'][data-unread='{count}']", timeout=timeout, state="attached"
    )


def test_people_reading_a_channel_or_a_board_are_online_on_every_page(world, tabs, viewport, tmp_path):
    ada = tabs(world["ada"], world["chat_path"])
    grace = tabs(world["grace"], world["board_path"])
    online(ada, world["grace"])  # Grace is reading the board: online for Ada in the chat
    online(grace, world["ada"])
    online(ada, world["ada"])
    overview = tabs(world["grace"], world["overview"])  # a second tab of Grace's: no second entry
    online(overview, world["ada"])
    assert ada.page.locator(f"#presence [data-user-id='{world['grace'].id}']").count() == 1
    overview.page.wait_for_selector(f"#members [data-user-id='{world['ada'].id}'][data-online=true]")
    grace.page.close()
    overview.page.close()
    ada.page.wait_for_selector(f"#presence [data-user-id='{world['grace'].id}']", state="detached", timeout=10000)
    check_page(ada, tmp_path, f"chat-with-sidebar-{viewport}")


def test_channels_and_boards_made_by_one_person_appear_in_the_others_sidebar(world, tabs, viewport, tmp_path):
    ada = tabs(world["ada"], world["overview"])
    grace = tabs(world["grace"], world["chat_path"])
    ada.page.fill("#create-channel-form input[name=name]", "design")
    ada.page.press("#create-channel-form input[name=name]", "Enter")  # the keyboard submits the form
    ada.page.wait_for_url("**/c/*")
    link = grace.page.wait_for_selector(
        "#channels [data-channel-id] a:has-text('design')", timeout=10000, state="attached"
    )
    assert grace.page.url.endswith(world["chat_path"])  # no reload: the chat page is still the one open

    ada.page.goto(ada.url + world["overview"])
    ada.page.fill("#create-board-form input[name=name]", "Launch")
    ada.page.click("#create-board-form button[type=submit]")
    grace.page.wait_for_selector("#boards [data-board-id] a:has-text('Launch')", timeout=10000, state="attached")

    design_id = int(link.evaluate("a => a.parentElement.dataset.channelId"))
    world["ada"].api("PATCH", f"/api/channels/{design_id}", {"name": "design-team"})
    grace.page.wait_for_selector("#channels a:has-text('design-team')", timeout=10000, state="attached")
    world["ada"].api("DELETE", f"/api/boards/{world['board']['id']}")
    grace.page.wait_for_selector(f"#boards [data-board-id='{world['board']['id']}']", state="detached")
    names = grace.page.eval_on_selector_all("#channels [data-channel-id] .name", "els => els.map(e => e.textContent)")
    assert names == ["# design-team", "# general"]
    check_page(grace, tmp_path, f"sidebar-live-{viewport}")

    open_sidebar(grace, viewport)
    grace.page.click("#channels a:has-text('design-team')")  # the sidebar takes her there
    grace.page.wait_for_url(f"**/c/{design_id}")
    grace.live()
    assert grace.page.get_attribute("#channels a[aria-current=page]", "href").endswith(f"/c/{design_id}")


def test_an_unread_count_rises_survives_a_reload_and_clears_in_every_tab(world, tabs, viewport, tmp_path):
    channel_id = world["channel"]["id"]
    grace = tabs(world["grace"], world["board_path"])
    other_tab = tabs(world["grace"], world["overview"])
    assert unread(grace, channel_id) == "0"
    ada = tabs(world["ada"], world["chat_path"])
    ada.send("first news")
    ada.send("second news")
    wait_unread(grace, channel_id, 2)
    wait_unread(other_tab, channel_id, 2)
    assert unread(ada, channel_id) == "0"  # her own messages, and she is looking at them

    grace.page.reload()  # counts survive reloads
    grace.live()
    assert unread(grace, channel_id) == "2"
    open_sidebar(grace, viewport)
    assert grace.page.is_visible(f"#channels [data-channel-id='{channel_id}'] .unread")
    check_page(grace, tmp_path, f"unread-{viewport}")

    grace.page.click(f"#channels [data-channel-id='{channel_id}'] a")  # she reads the channel
    grace.page.wait_for_url(f"**{world['chat_path']}")
    grace.live()
    line = grace.page.locator("#messages #new-messages")
    assert line.is_visible()  # the line sits where the unread ones begin
    first_after = line.evaluate("el => el.parentElement.querySelector('#new-messages ~ [data-message-id]').textContent")
    assert "first news" in first_after
    wait_unread(other_tab, channel_id, 0)  # read here, cleared there without a reload
    wait_unread(grace, channel_id, 0)
    check_page(grace, tmp_path, f"new-messages-line-{viewport}")

    ada.send("while she is here")
    grace.wait_for_message("while she is here")
    grace.wait(0.5)
    assert unread(grace, channel_id) == "0"  # seen as it arrives
    other_tab.page.reload()
    other_tab.live()
    assert unread(other_tab, channel_id) == "0"


def test_typing_shows_for_the_other_person_and_ends_with_the_message(world, tabs, viewport):
    ada = tabs(world["ada"], world["chat_path"])
    grace = tabs(world["grace"], world["chat_path"])
    online(ada, world["grace"])
    ada.page.click("#composer [name=body]")
    ada.page.keyboard.type("hello there", delay=40)
    grace.page.wait_for_selector(f"#typing:has-text('Ada {world['ada'].username[3:]} is typing')", timeout=10000)
    assert ada.page.text_content("#typing") == ""  # not to herself
    ada.page.keyboard.press("Enter")
    grace.wait_for_message("hello there")
    grace.page.wait_for_function("() => document.querySelector('#typing').textContent === ''", timeout=5000)


def test_the_owner_removes_a_member_whose_open_pages_close_at_once(world, tabs, viewport, tmp_path):
    grace = tabs(world["grace"], world["chat_path"])
    ada = tabs(world["ada"], world["overview"])
    online(ada, world["grace"])
    check_page(ada, tmp_path, f"members-{viewport}")
    member = ada.page.locator(f"#members [data-user-id='{world['grace'].id}']")
    ada.page.once("dialog", lambda dialog: dialog.accept())
    member.locator("button[data-action=remove]").click()
    ada.page.wait_for_selector(f"#members [data-user-id='{world['grace'].id}']", state="detached")
    ada.page.wait_for_selector(f"#presence [data-user-id='{world['grace'].id}']", state="detached", timeout=3000)
    grace.page.wait_for_url(f"{grace.url}/", timeout=5000)  # her chat page leaves the workspace
    assert grace.page.locator(f"#workspaces [data-workspace-id='{world['workspace']['id']}']").count() == 0
    response = grace.page.goto(grace.url + world["chat_path"])
    assert response.status == 404


def test_a_member_leaves_and_the_owner_sees_it_live(world, tabs, viewport):
    ada = tabs(world["ada"], world["overview"])
    grace = tabs(world["grace"], world["overview"])
    assert ada.page.locator("#members button[data-action=leave]").count() == 0  # the owner cannot leave
    grace.page.once("dialog", lambda dialog: dialog.accept())
    grace.page.click("#members button[data-action=leave]")
    grace.page.wait_for_url(f"{grace.url}/")
    assert "You left Team" in grace.page.text_content("main")
    ada.page.wait_for_selector(f"#members [data-user-id='{world['grace'].id}']", state="detached", timeout=10000)


def test_the_owner_renames_and_deletes_from_the_workspace_page_and_readers_see_it(world, tabs, viewport, tmp_path):
    ada = tabs(world["ada"], world["overview"])
    grace = tabs(world["grace"], world["chat_path"])
    channel_id = world["channel"]["id"]
    row = ada.page.locator(f"#manage [data-channel-id='{channel_id}']")
    row.locator("input[name=name]").fill("lobby")
    row.locator("input[name=name]").press("Enter")
    grace.page.wait_for_selector(
        f"#channels [data-channel-id='{channel_id}'] a:has-text('lobby')", timeout=10000, state="attached"
    )
    ada.page.wait_for_selector(f"#manage [data-channel-id='{channel_id}'] input[value=lobby]")
    check_page(ada, tmp_path, f"manage-{viewport}")

    ada.page.once("dialog", lambda dialog: dialog.dismiss())  # changing her mind deletes nothing
    ada.page.locator(f"#manage [data-channel-id='{channel_id}'] button.danger").click()
    ada.page.once("dialog", lambda dialog: dialog.accept())
    ada.page.locator(f"#manage [data-channel-id='{channel_id}'] button.danger").click()
    ada.page.wait_for_selector(f"#manage [data-channel-id='{channel_id}']", state="detached")
    grace.page.wait_for_selector("#withdrawn:has-text('deleted')", timeout=10000)
    assert grace.page.locator(f"#channels [data-channel-id='{channel_id}']").count() == 0
    grace.page.wait_for_selector("#composer [name=body]:disabled", timeout=5000)  # its subscription ended too
    assert world["grace"].api("GET", f"/api/channels/{channel_id}/messages").status_code == 404
