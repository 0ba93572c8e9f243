"""The attack suite's target: one Hearth under gunicorn (SQLite, one gevent worker), and a team to attack.

The server trusts one `X-Forwarded-For` hop, as it would behind nginx, so that an attacker
can come from an address of its own and its failures lock only that address.
"""

import itertools
from types import SimpleNamespace

import pytest
from servers import live_server
from support import workspace_of
from wsclient import Person

REUSE_GRACE = 1
names = (f"user{i}" for i in itertools.count())


server = live_server({"HEARTH_REUSE_GRACE": str(REUSE_GRACE), "HEARTH_TRUSTED_PROXIES": "1"}, scope="package")


@pytest.fixture(scope="package", autouse=True)
def site_admin(server):
    """The site's first account, so its admin: none of the people the attacks are made by or against is one."""
    return Person(server.url, "siteadmin")


@pytest.fixture
def person(server):
    """A new registered user (keyword arguments go into the register body, e.g. display_name)."""
    return lambda **profile: Person(server.url, next(names), **profile)


@pytest.fixture
def team(server):
    """Alice's workspace (with Bob) holding a channel with a message and a board with a card;
    Mallory, the attacker, has a workspace of her own with the same, so her ids are real ones."""
    return build_team(server)


@pytest.fixture(scope="module")
def module_team(server):
    """The same, shared by a module's tests (property-based tests run many examples on one)."""
    return build_team(server)


def build_team(server):
    def place_of(owner, *members):
        """`support.workspace_of`'s shape, with a card and a message in it."""
        place = workspace_of(owner, *members, name=f"{owner.username}'s", boards=("plans",))
        place.card = owner.create(
            f"/api/boards/{place.board['id']}/cards", {"column_id": place.columns[0], "title": "secret card"}
        )
        place.message = owner.create(
            f"/api/channels/{place.channel['id']}/messages", {"body": "secret message", "client_id": "m1"}
        )
        csrf = {"X-CSRF-TOKEN": owner.http.cookies.get("csrf_access_token")}
        files = {"file": ("secret.txt", b"secret file")}
        place.file = owner.http.post(f"{owner.url}/api/channels/{place.channel['id']}/files", files=files, headers=csrf)
        place.file = place.file.json()
        owner.create(
            f"/api/channels/{place.channel['id']}/messages",
            {"body": "secret attachment", "client_id": "f1", "file_ids": [place.file["id"]]},
        )
        place.tokens = [owner.create("/auth/tokens", {"name": name}) for name in ("bot", "spare bot")]
        place.invites = [owner.create(f"/api/workspaces/{place.workspace['id']}/invites", {}) for _ in range(2)]
        # to delete without taking the place's own channel and board from the tests that follow
        place.spare_channel = owner.create(f"/api/workspaces/{place.workspace['id']}/channels", {"name": "spare"})
        place.spare_board = owner.create(f"/api/workspaces/{place.workspace['id']}/boards", {"name": "spare"})
        place.spare_column = owner.create(f"/api/boards/{place.board['id']}/columns", {"name": "spare"})
        place.private = owner.create(
            f"/api/workspaces/{place.workspace['id']}/channels", {"name": "hush", "private": True}
        )
        return place

    alice, bob, mallory = (Person(server.url, next(names)) for _ in range(3))
    return SimpleNamespace(alice=alice, bob=bob, mallory=mallory, ours=place_of(alice, bob), theirs=place_of(mallory))


@pytest.fixture(scope="session")
def snapshot():
    """Everything of a workspace a member can read: what an attack must leave unchanged."""
    return take_snapshot


def take_snapshot(someone, place):
    ws = place.workspace["id"]
    return {
        "members": someone.api("GET", f"/api/workspaces/{ws}/members").json(),
        "channels": someone.api("GET", f"/api/workspaces/{ws}/channels").json(),
        "boards": someone.api("GET", f"/api/workspaces/{ws}/boards").json(),
        "messages": someone.api("GET", f"/api/channels/{place.channel['id']}/messages").json(),
        "board": someone.api("GET", f"/api/boards/{place.board['id']}").json(),
        "sessions": len(someone.api("GET", "/auth/sessions").json()),
        "tokens": [token["id"] for token in someone.api("GET", "/auth/tokens").json()],
        "me": {k: v for k, v in someone.api("GET", "/api/me").json().items() if k != "admin"},
    }
