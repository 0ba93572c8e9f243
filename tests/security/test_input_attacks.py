"""Hostile input against the running server: redirects out, script in, bodies and frames too big, too deep or
not text, and guessing passwords."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from support import PASSWORD, workspace_of
from wsclient import login

SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def lands_on(base, location):
    """Where a browser goes for this Location: it drops tabs and newlines, trims spaces and controls, and reads
    a backslash as a slash (the WHATWG URL parser), then resolves it against the page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00- ").replace("\\", "/")
    parts = urlsplit(urljoin(base + "/", cleaned))
    return parts.scheme, parts.netloc


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "http:/evil.example",
        "//evil.example/%2e%2e",
        " //evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        "///evil.example",
        "https:evil.example",
        "/.//evil.example",
    ],
)
def test_next_never_leads_off_the_site(server, person, target):
    victim = person()
    for send in (
        lambda: requests.post(
            server.url + "/auth/login",
            allow_redirects=False,
            data={"username": victim.username, "password": PASSWORD, "next": target},
        ),
        lambda: victim.http.post(
            server.url + "/auth/resume",
            allow_redirects=False,
            data={"csrf_token": victim.http.cookies.get("csrf_refresh_token"), "next": target},
        ),
    ):
        response = send()
        assert response.status_code == 303
        assert lands_on(server.url, response.headers["Location"]) == lands_on(server.url, "/"), (
            target,
            response.headers,
        )


def test_script_is_escaped_on_every_page_it_appears_on(server, person):
    owner = person(display_name=SCRIPT)
    friend = person(display_name=SCRIPT + " friend")
    place = workspace_of(owner, friend, name=SCRIPT, channels=(SCRIPT[:80],), boards=(SCRIPT[:80],))
    ws, channel, board = place.workspace, place.channel, place.board
    card = {"column_id": place.columns[0], "title": SCRIPT, "description": SCRIPT}
    card = owner.api("POST", f"/api/boards/{board['id']}/cards", card).json()
    friend.api("POST", f"/api/channels/{channel['id']}/messages", {"body": SCRIPT, "client_id": "x"})
    pages = [
        "/",
        f"/w/{ws['id']}",
        f"/w/{ws['id']}/c/{channel['id']}",
        f"/w/{ws['id']}/b/{board['id']}",
        f"/w/{ws['id']}/b/{board['id']}/cards/{card['id']}",
        "/settings/sessions",
    ]
    for path in pages:
        for viewer in (owner, friend):
            html = viewer.http.get(server.url + path).text
            assert "<script>alert" not in html and "<img src=x" not in html, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path  # it is shown, as text
    # the JSON API returns the text as it was given: escaping is the page's and the client's job (textContent)
    assert owner.api("GET", f"/api/channels/{channel['id']}/messages").json()[0]["body"] == SCRIPT


def test_a_user_agent_with_script_is_escaped_on_the_devices_page(server, person):
    victim = person()
    evil = requests.Session()
    evil.post(
        server.url + "/auth/login",
        json={"username": victim.username, "password": PASSWORD},
        headers={"User-Agent": SCRIPT},
    )
    html = victim.http.get(server.url + "/settings/sessions").text
    assert "<script>alert" not in html and "&lt;script&gt;" in html


LIMIT = 64 * 1024


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/api/workspaces"])
def test_a_body_over_64_kib_is_refused_before_it_is_read(server, person, path):
    someone = person()
    csrf = someone.http.cookies.get("csrf_access_token")
    body = b'{"name": "' + b"x" * LIMIT + b'"}'
    response = someone.http.post(
        server.url + path, data=body, headers={"Content-Type": "application/json", "X-CSRF-TOKEN": csrf}
    )
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    assert someone.api("GET", "/api/workspaces").json() == []


def chunks(body, size=4096):
    """A body sent with `Transfer-Encoding: chunked`: no Content-Length, the server counts as it reads."""
    return iter([body[i : i + size] for i in range(0, len(body), size)])


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register", "/api/workspaces"])
def test_a_chunked_body_is_read_like_any_other(server, person, path):
    someone = person()
    headers = {"Content-Type": "application/json", "X-CSRF-TOKEN": someone.http.cookies.get("csrf_access_token")}
    over = b'{"name": "' + b"x" * LIMIT + b'"}'
    response = someone.http.post(server.url + path, data=chunks(over), headers=headers)
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    anonymous = requests.post(server.url + path, data=chunks(over), headers=headers)  # size comes before the token
    assert (anonymous.status_code, anonymous.json()["error"]) == (413, "too_large")
    assert someone.api("GET", "/api/workspaces").json() == []
    if path == "/api/workspaces":
        at_the_limit = b'{"name": "chunked"}'.ljust(LIMIT, b" ")
        created = someone.http.post(server.url + path, data=chunks(at_the_limit), headers=headers)
        assert created.status_code == 201, created.text
        assert [w["name"] for w in someone.api("GET", "/api/workspaces").json()] == ["chunked"]


@pytest.mark.parametrize("path", ["/api/me", "/api/workspaces", "/auth/password", "/auth/logout", "/"])
def test_options_without_a_cookie_is_answered_not_a_server_error(server, path):
    response = requests.options(server.url + path)
    assert response.status_code == 200, response.text
    assert "OPTIONS" in response.headers["Allow"]
    assert f"unhandled error on OPTIONS {path}" not in server.output()
    assert requests.options(server.url + "/api/nope").status_code == 404  # the route still comes first


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 30_000 + b"]" * 30_000,  # deep enough to exhaust a recursive parser, under the size limit
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"name": "w", ' + b", ".join(b'"k%d": 1' % i for i in range(5000)) + b"}",  # many keys, under the limit
        b'{"name": "\xff\xfe"}',  # not UTF-8
        b'{"name": "\xed\xa0\x80"}',  # a lone surrogate encoded
        b'{"name": "\\ud800"}',  # a lone surrogate escaped
        b"\x00\x00\x00",
        b'{"name": NaN}',
        b'{"name": 1e999999}',
        b"",
    ],
)
def test_malformed_or_hostile_json_is_a_clean_400(server, person, body):
    someone = person()
    response = someone.http.post(
        server.url + "/api/workspaces",
        data=body,
        headers={"Content-Type": "application/json", "X-CSRF-TOKEN": someone.http.cookies.get("csrf_access_token")},
    )
    assert response.status_code in (201, 400), response.text[:200]  # never a 500
    if response.status_code == 201:  # accepted only as the valid object it was
        assert response.json()["name"] == "w"
    else:
        assert response.json()["error"] == "invalid_input"
    assert someone.api("GET", "/api/me").status_code == 200


@pytest.mark.parametrize(
    "frame",
    [
        "[" * 30_000 + "]" * 30_000,
        '{"type":"ping","ref":' + "[" * 20_000 + "]" * 20_000 + "}",
        '{"type":"ping","ref":"\\udc00"}',
        '{"type":"publish","topic":"chat:1","ref":"x","data":{"body":"' + "\\ud800" + '","client_id":"c"}}',
        '{"type":"ping","ref":NaN}',
        '{"type":"ping","ref":1e999999}',
        "\x00",
    ],
)
def test_a_hostile_frame_gets_an_error_frame_and_the_socket_stays_open(person, frame):
    sock = person().socket()
    sock.ws.send(frame)
    answer = sock.recv()
    assert answer["type"] in ("error", "pong"), answer
    assert sock.alive()


def test_binary_frames_are_refused_and_the_socket_stays_open(person):
    sock = person().socket()
    sock.ws.send(b'{"type":"ping","ref":"x"}')
    assert sock.recv()["type"] == "error"
    assert sock.alive()


def test_guessing_one_users_password_locks_that_username_only(server, person):
    victim, bystander = person(), person()
    attacker = "203.0.113.7"
    for guess in range(10):
        assert login(server, victim.username, f"guess-{guess}", attacker).status_code == 401
    locked = login(server, victim.username, f"guess-{10}", attacker)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert login(server, victim.username, PASSWORD, attacker).status_code == 429  # right password, still locked
    assert login(server, victim.username, PASSWORD, "198.51.100.1").status_code == 429  # the username is locked
    assert login(server, bystander.username, PASSWORD, attacker).status_code == 200  # others sign in meanwhile
    assert victim.api("GET", "/api/me").status_code == 200  # and the victim's open session is untouched


def test_guessing_from_one_address_locks_that_address_only(server, person):
    people = [person() for _ in range(4)]
    attacker = "203.0.113.8"
    failures = 0
    while failures < 30:
        username = people[failures % 4].username
        assert login(server, username, f"guess-{failures}", attacker).status_code == 401
        failures += 1
    assert login(server, people[0].username, PASSWORD, attacker).status_code == 429
    assert login(server, "nobody-at-all", "x" * 12, attacker).status_code == 429
    for someone in people:  # from their own addresses they sign in: the attacker's address is what is locked
        assert login(server, someone.username, PASSWORD, "198.51.100.2").status_code == 200
