"""Script through Markdown: each body an attacker can send is tried against the running server, and the HTML it
stores (read from its database) and serves (history, the socket's event, the chat page) must hold no script,
no event handler, no dangerous link and no tag outside the allow-list."""

import html.parser
import json
import sqlite3
import time
from pathlib import Path

import pytest

from hearth.workspaces import formatting

ALLOWED = formatting.ALLOWED_TAGS
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")

ATTACKS = [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&#58;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](file:///etc/passwd)",
    '[click](https://ok.example "title" onmouseover=alert(1))',
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<vbscript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "javascript:alert(1)",
    "www.example.com/<script>alert(1)</script>",
    'https://example.com/"onmouseover="alert(1)',
    "<script>alert(1)</script>",
    "<div onclick=alert(1)>block</div>",
    "<img src=x onerror=alert(1)>",
    "inline <b onmouseover=alert(1)>bold</b> <a href=javascript:alert(1)>a</a>",
    "<!-- a comment --><iframe src=https://evil.example></iframe>",
    "<svg><script>alert(1)</script></svg>",
    "<style>body{display:none}</style>",
    "![x](https://evil.example/track.png)",
    "![x](javascript:alert(1))",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "*a **b _c ~~d [e](javascript:x) d~~ c_ b** a*",
    "> " * 200 + "deep",
    "- " * 200 + "deep",
    "[" * 150 + "x" + "](javascript:alert(1))" * 150,
    "*" * 500 + "x" + "*" * 500,
]


class Markup(html.parser.HTMLParser):
    """Every tag and attribute of an HTML fragment, as a browser's tokenizer reads it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_harmless(fragment):
    parser = Markup()
    parser.feed(fragment)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED, (tag, fragment)
        for name in attrs:
            assert not name.startswith("on"), (name, fragment)
            assert name in ("href", "rel", "start", "class", "data-user-id", "title"), (name, fragment)
        if "href" in attrs:
            href = attrs["href"].strip().lower()
            assert not href.startswith(DANGEROUS_SCHEMES), (href, fragment)
            assert href.startswith(("http://", "https://", "mailto:", "/", "#")), (href, fragment)
            assert attrs["rel"] == "noopener noreferrer nofollow"
        if tag == "span":
            assert attrs.get("class") == "mention" and attrs.get("data-user-id", "").isdigit()


def stored_html(server, message_id):
    with sqlite3.connect(Path(server.tmp) / "hearth.db") as database:
        (stored,) = database.execute("SELECT html FROM messages WHERE id = ?", (message_id,)).fetchone()
        events = [
            json.loads(d) for (d,) in database.execute("SELECT data FROM events WHERE subject_id = ?", (message_id,))
        ]
    return stored, [event.get("html") for event in events if "html" in event]


@pytest.mark.parametrize("body", ATTACKS)
def test_a_body_written_to_attack_is_stored_and_served_as_harmless_html(server, team, body):
    alice, channel = team.alice, team.ours.channel
    sock = team.bob.socket()
    try:
        sock.subscribe(f"chat:{channel['id']}")
        sock.expect("subscribed")
        message = alice.create(f"/api/channels/{channel['id']}/messages", {"body": body})
        event = sock.expect("event", event="message.created")
    finally:
        sock.close()
    stored, in_events = stored_html(server, message["id"])
    served = next(
        m for m in team.bob.api("GET", f"/api/channels/{channel['id']}/messages").json() if m["id"] == message["id"]
    )
    assert message["body"] == served["body"] == body.strip()  # the text as written stays as written
    assert stored == message["html"] == served["html"] == event["data"]["html"] == in_events[0]
    assert_harmless(stored)
    page = team.bob.http.get(f"{server.url}/w/{team.ours.workspace['id']}/c/{channel['id']}").text
    item = page.split(f'data-message-id="{message["id"]}"', 1)[1].split('<div class="body">', 1)[1]
    assert item.startswith(stored)  # the page shows exactly the stored HTML


def test_an_edit_is_rendered_and_checked_again(server, team):
    channel = team.ours.channel
    message = team.alice.create(f"/api/channels/{channel['id']}/messages", {"body": "**fine**"})
    edited = team.alice.api(
        "PATCH", f"/api/messages/{message['id']}", {"body": "[x](javascript:alert(1)) *now*"}
    ).json()
    stored, in_events = stored_html(server, message["id"])
    assert stored == edited["html"] == "<p>[x](javascript:alert(1)) <em>now</em></p>"
    assert set(in_events) == {stored}  # the earlier event was rewritten too: no replay shows the old text


def test_a_deleted_message_keeps_no_html_anywhere(server, team):
    channel = team.ours.channel
    message = team.alice.create(f"/api/channels/{channel['id']}/messages", {"body": "**regret** this"})
    assert team.alice.api("DELETE", f"/api/messages/{message['id']}").status_code == 204
    stored, in_events = stored_html(server, message["id"])
    assert stored == "" and in_events == []
    with sqlite3.connect(Path(server.tmp) / "hearth.db") as database:
        data = [d for (d,) in database.execute("SELECT data FROM events WHERE subject_id = ?", (message["id"],))]
    assert data and not any("regret" in d for d in data)


def test_a_mention_of_a_member_is_marked_and_of_a_stranger_is_not(team):
    channel = team.ours.channel
    body = f"@{team.bob.username} and @{team.mallory.username}, see `@{team.bob.username}`"
    message = team.alice.create(f"/api/channels/{channel['id']}/messages", {"body": body})
    bob_id = team.bob.api("GET", "/api/me").json()["id"]
    assert message["html"] == (
        f'<p><span class="mention" data-user-id="{bob_id}">@{team.bob.username}</span> and @{team.mallory.username},'
        f" see <code>@{team.bob.username}</code></p>"
    )


WORST_CASES = {
    "unclosed brackets": "[" * 3999 + "]",
    "brackets and text": "a[" * 1999 + "]",
    "image openers": "![[" * 1333 + "]",
    "emphasis runs": "**_" * 1333 + "*",
    "link starts": "[a](" * 1000,
    "references": "[x][" * 1000,
    "backticks": "`a" * 2000,
    "nested quotes": ">" * 4000,
    "mentions": "@bob " * 800,
}


@pytest.mark.parametrize("name", WORST_CASES)
def test_a_4000_character_worst_case_renders_within_50_ms(name):
    """CPU time of this thread, the best of five: the rendering's own cost, not the shared machine's load."""
    body = WORST_CASES[name][:4000]
    formatting.render("warm up")
    spent = []
    for _ in range(5):
        started = time.thread_time()
        out = formatting.render(body, {"bob": 2})
        spent.append(time.thread_time() - started)
    assert_harmless(out)
    assert min(spent) < 0.050, f"{name}: {min(spent) * 1000:.1f} ms"
