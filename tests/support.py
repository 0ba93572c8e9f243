"""What tests share besides fixtures: the test secret and password, app settings, test databases, `Auth`,
the one builder of workspaces and teams, waiting with a deadline, and tokens that have already run out.

Test modules import these from here, never from a conftest: the security and fault suites have conftests of their own.
"""

import time
from types import SimpleNamespace

import jwt

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-abcdef"
PASSWORD = "correct horse battery"


def wait_until(check, timeout=15.0, interval=0.05, sleep=time.sleep):
    """Poll `check` until it answers something true and return that, or its last answer once `timeout` seconds
    have passed. Tests wait with this, never with a fixed sleep: it is over as soon as the awaited thing happens.
    `sleep` is how to pass the time between checks (a browser tab's keeps Playwright's events flowing)."""
    deadline = time.monotonic() + timeout
    while not (answer := check()) and time.monotonic() < deadline:
        sleep(interval)
    return answer


def expired(token, key=TEST_SECRET):
    """This token as it is once it has run out: the same claims (user, session, jti, type, CSRF value)
    with `exp` a minute ago, signed with `key` (the test app's; `servers.SECRET` for a live server).
    Expiry is tested with one of these, not by waiting for a real token to expire."""
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    return jwt.encode({**claims, "iat": now - 120, "nbf": now - 120, "exp": now - 60}, key, algorithm="HS256")


def settings_for(tmp_path, **overrides):
    return {
        "ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/hearth.db",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "REGISTER_LIMIT": "1000/minute",
        "API_WRITE_BURST": 100_000,  # set-ups write fast; the limit itself is attacked in tests/security
        **({"FILE_DIR": f"{tmp_path}/files"} if tmp_path else {}),
        **overrides,
    }


def new_database(kind, request):
    """The URL of a new database migrated to head; None for SQLite, where the owner makes its own file."""
    if kind == "sqlite":
        return None
    return request.getfixturevalue("postgres_server").create_database(template="hearth_template")


def drop_database(kind, request, url):
    if kind == "postgresql":
        request.getfixturevalue("postgres_server").drop_database(url)


class Auth:
    """Register, log in and send authenticated requests as a browser would."""

    def __init__(self, client):
        self.client = client

    def register(self, username="alice", password=PASSWORD, **extra):
        self.username = username
        return self.client.post("/auth/register", json={"username": username, "password": password, **extra})

    def login(self, username="alice", password=PASSWORD, **kwargs):
        self.username = username
        return self.client.post("/auth/login", json={"username": username, "password": password}, **kwargs)

    def cookie(self, name, path="/"):
        cookie = self.client.get_cookie(name, path=path)
        return cookie.value if cookie else None

    def csrf(self, kind="access"):
        return self.cookie(f"csrf_{kind}_token")

    def headers(self, kind="access"):
        return {"X-CSRF-TOKEN": self.csrf(kind)}

    def refresh(self):
        return self.client.post("/auth/refresh", headers=self.headers("refresh"))

    def logout(self):
        return self.client.post("/auth/logout", headers=self.headers("refresh"))

    def call(self, method, path, body=None):
        """A JSON API call as the client would make it, with the access CSRF header."""
        return self.client.open(path, method=method, json=body, headers=self.headers())

    def create(self, path, body):
        """POST something that must be created; its JSON."""
        response = self.call("POST", path, body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.json

    def set_access_token(self, token):
        self.client.set_cookie("access_token_cookie", token)

    def set_refresh_token(self, token):
        self.client.set_cookie("refresh_token_cookie", token, path="/auth")


def workspace_of(owner, *members, name="Hearth team", channels=("general",), boards=("Roadmap",)):
    """A workspace of `owner` with `members` in it, these channels and these boards.

    The owner and members are anything with `username` and `create(path, body)`: an `Auth` on the
    test client or a `wsclient.Person` on a live server. `channel`, `board` and `columns` are the
    first channel, the first board and that board's column ids, which is what most tests need.
    """
    workspace = owner.create("/api/workspaces", {"name": name})
    for member in members:
        owner.create(f"/api/workspaces/{workspace['id']}/members", {"username": member.username})
    path = f"/api/workspaces/{workspace['id']}/channels"
    made = {c["name"]: c for c in listed(owner, path)}  # `general` comes with the workspace
    channels = [made.get(c) or owner.create(path, {"name": c}) for c in channels]
    boards = [owner.create(f"/api/workspaces/{workspace['id']}/boards", {"name": b}) for b in boards]
    return SimpleNamespace(
        owner=owner,
        workspace=workspace,
        channels=channels,
        channel=channels[0] if channels else None,
        boards=boards,
        board=boards[0] if boards else None,
        columns=[c["id"] for c in boards[0]["columns"]] if boards else [],
    )


def listed(someone, path):
    """GET a list as `someone` (an `Auth` or a `wsclient.Person`)."""
    if hasattr(someone, "call"):
        response = someone.call("GET", path)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json
    response = someone.api("GET", path)
    assert response.status_code == 200, response.text
    return response.json()


def team_of(alice, bob, carol, **workspace):
    """The team every suite tests with: Alice owns a workspace with a channel and a board, Bob is a
    member, Carol is not. Its fields are the people and those of `workspace_of`."""
    return SimpleNamespace(alice=alice, bob=bob, carol=carol, **vars(workspace_of(alice, bob, **workspace)))
