"""Search and files in real Chromium, at 1280 and 390 pixels wide: find a message and jump to it; paste an image
into the composer and see it inline in another person's tab; pick a document and see it as a download."""

import base64
import io
import itertools

import pytest
from PIL import Image
from servers import live_server
from support import workspace_of
from tabs import axe_summary, screenshot
from wsclient import Person

numbers = itertools.count()
server = live_server({})


@pytest.fixture
def world(server):
    n = next(numbers)
    alice, bob = Person(server.url, f"salice{n}"), Person(server.url, f"sbob{n}")
    place = workspace_of(alice, bob, name="Team")
    return {
        "alice": alice,
        "bob": bob,
        "workspace": place.workspace,
        "channel": place.channel,
        "chat_path": f"/w/{place.workspace['id']}/c/{place.channel['id']}",
    }


def test_search_finds_an_old_message_and_opens_the_channel_at_it(world, tabs, viewport):
    channel = world["channel"]["id"]
    alice = world["alice"]
    for i in range(40):
        alice.api("POST", f"/api/channels/{channel}/messages", {"body": f"older chatter {i}"})
    target = alice.api("POST", f"/api/channels/{channel}/messages", {"body": "the wifi password is on the fridge"})
    target = target.json()
    for i in range(80):
        alice.api("POST", f"/api/channels/{channel}/messages", {"body": f"newer chatter {i}"})

    bob = tabs(world["bob"], f"/w/{world['workspace']['id']}")
    bob.page.keyboard.press("/")
    assert bob.page.evaluate("() => document.activeElement.id") == "search"
    bob.page.keyboard.type("wifi fri")  # the last word as a prefix
    bob.page.keyboard.press("Enter")
    bob.page.wait_for_selector("#results [data-result]")
    assert bob.page.locator("#results [data-result]").count() == 1
    assert bob.page.inner_html("#results [data-result] .snippet").count("<mark>") == 2
    screenshot(bob.page, f"search-results-{viewport}", full_page=True)
    assert not axe_summary(bob.page)

    bob.page.click("#results [data-result]")
    bob.page.wait_for_url(f"**/c/{channel}?around={target['id']}")
    bob.live()
    highlighted = bob.page.locator(f"#message-{target['id']}.highlighted")
    highlighted.wait_for()
    bob.wait_until(lambda: in_view(bob.page, f"#message-{target['id']}"))
    assert "newer chatter 79" not in bob.page.text_content("#messages")  # the history around it, not the newest
    screenshot(bob.page, f"search-jump-{viewport}")
    assert not axe_summary(bob.page)


def in_view(page, selector):
    """Whether the element is inside the visible part of its scrolling list."""
    return page.evaluate(
        """(selector) => {
            const item = document.querySelector(selector), list = item.closest('#messages');
            const a = item.getBoundingClientRect(), b = list.getBoundingClientRect();
            return a.top >= b.top - 1 && a.bottom <= b.bottom + 1 && a.height > 0;
        }""",
        selector,
    )


def png_base64(size=(640, 480)):
    out = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


PASTE = """([selector, data]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
    const target = document.querySelector(selector);
    target.focus();
    target.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
}"""


def test_a_pasted_image_shows_inline_in_the_other_tab_and_a_picked_file_as_a_download(world, tabs, viewport):
    alice, bob = tabs(world["alice"], world["chat_path"]), tabs(world["bob"], world["chat_path"])
    alice.live()
    bob.live()
    alice.page.evaluate(PASTE, ["#composer-body", png_base64()])
    alice.page.wait_for_selector("#composer .uploads li[data-file-id] progress[value='100']")
    alice.page.set_input_files(
        "form#composer input[type=file]",
        files=[{"name": "notes.html", "mimeType": "text/html", "buffer": b"<script>alert(1)</script>"}],
    )
    alice.page.wait_for_function("() => document.querySelectorAll('#composer .uploads li[data-file-id]').length === 2")
    alice.page.fill("#composer-body", "the **diagram** and notes")
    screenshot(alice.page, f"composer-uploads-{viewport}")
    assert not axe_summary(alice.page)
    alice.page.press("#composer-body", "Enter")

    image = "#messages li[data-message-id] [data-file-id] img"
    bob.page.wait_for_selector(image, timeout=10000)
    bob.page.wait_for_function(f"() => document.querySelector({image!r}).naturalWidth === 400")
    download = bob.page.locator("#messages li[data-message-id] [data-file-id] a[download]")
    assert download.text_content().startswith("notes.html")
    assert bob.page.locator("#messages li[data-message-id] strong").text_content() == "diagram"
    alice.page.wait_for_selector(f"{image}")
    screenshot(bob.page, f"image-inline-{viewport}")
    assert not axe_summary(bob.page)

    # the same message rendered by the server after a reload looks the same
    bob.page.reload()
    bob.live()
    bob.page.wait_for_function(f"() => document.querySelector({image!r}).naturalWidth === 400")
    assert bob.page.locator("#messages [data-file-id] a[download]").count() == 1


def test_files_are_attached_to_a_card_from_its_dialog(server, tabs, viewport):
    n = next(numbers)
    alice, bob = Person(server.url, f"calice{n}"), Person(server.url, f"cbob{n}")
    place = workspace_of(alice, bob, name="Team")
    column = place.columns[0]
    card = alice.api("POST", f"/api/boards/{place.board['id']}/cards", {"column_id": column, "title": "Logo"}).json()
    path = f"/w/{place.workspace['id']}/b/{place.board['id']}"
    tab = tabs(bob, path)
    tab.live()
    tab.page.click(f"[data-card-id='{card['id']}'] a.title")
    tab.page.wait_for_selector("dialog.card-dialog[open]")
    picture = base64.b64decode(png_base64((300, 200)))
    tab.page.set_input_files(
        "dialog.card-dialog input[type=file]",
        files=[
            {"name": "logo.png", "mimeType": "image/png", "buffer": picture},
            {"name": "brief.txt", "mimeType": "text/plain", "buffer": b"make it pop"},
        ],
    )
    tab.page.wait_for_function("() => document.querySelectorAll('dialog .card-files li[data-file-id]').length === 2")
    assert tab.page.locator("dialog .card-files a[download]").text_content() == "brief.txt"
    screenshot(tab.page, f"card-files-{viewport}")
    assert not axe_summary(tab.page)
    files = alice.api("GET", f"/api/boards/{place.board['id']}").json()["columns"][0]["cards"][0]["files"]
    assert [f["name"] for f in files] == ["logo.png", "brief.txt"]
    assert files[0]["thumbnail_url"] and files[1]["content_type"] == "application/octet-stream"
