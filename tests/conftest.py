"""Fixtures: an app on a throwaway database (SQLite, then PostgreSQL), its test client, and an `auth` helper."""

from types import SimpleNamespace

import pytest
from flask_migrate import upgrade

from app import create_app
from extensions import db

TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-abcdef"
PASSWORD = "correct horse battery"


def settings_for(tmp_path, **overrides):
    return {
        "ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/hearth.db",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "REGISTER_LIMIT": "1000/minute",
        **overrides,
    }


DATABASES = ("sqlite", "postgresql")


@pytest.fixture(scope="module", params=DATABASES)
def database_kind(request):
    """Every test that touches the database runs on SQLite and on PostgreSQL (a module at a time)."""
    return request.param


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL cluster for the session, with `hearth_template` migrated to head."""
    from servers import Postgres

    server = Postgres()
    try:
        template = create_app(settings_for(None, SQLALCHEMY_DATABASE_URI=server.create_database("hearth_template")))
        with template.app_context():
            upgrade()
            db.engine.dispose()  # a template being copied must have no connections
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


def new_database(kind, request):
    """The URL of a new database migrated to head; None for SQLite, where the owner makes its own file."""
    if kind == "sqlite":
        return None
    return request.getfixturevalue("postgres_server").create_database(template="hearth_template")


def drop_database(kind, request, url):
    if kind == "postgresql":
        request.getfixturevalue("postgres_server").drop_database(url)


@pytest.fixture
def database(database_kind, request, tmp_path):
    """This test's own database."""
    url = new_database(database_kind, request) or f"sqlite:///{tmp_path}/hearth.db"
    yield url
    drop_database(database_kind, request, url)


@pytest.fixture
def make_app(tmp_path, database):
    """Build an app with extra settings, its database migrated to head."""
    built = []

    def build(**overrides):
        app = create_app(settings_for(tmp_path, SQLALCHEMY_DATABASE_URI=database, **overrides))
        with app.app_context():
            upgrade()
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    """Register, log in and send authenticated requests as a browser would."""

    def __init__(self, client):
        self.client = client

    def register(self, username="alice", password=PASSWORD, **extra):
        return self.client.post("/auth/register", json={"username": username, "password": password, **extra})

    def login(self, username="alice", password=PASSWORD, **kwargs):
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

    def set_access_token(self, token):
        self.client.set_cookie("access_token_cookie", token)

    def set_refresh_token(self, token):
        self.client.set_cookie("refresh_token_cookie", token, path="/auth")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def new_client(app):
    """Another browser: its own cookie jar and its own Auth helper."""

    def build():
        other = app.test_client()
        return other, Auth(other)

    return build


@pytest.fixture
def hearth_server(database_kind, request):
    """Start Hearth under gunicorn with extra environment, each on its own database; all are stopped after the test."""
    from servers import Hearth

    started = []

    def start(env=None, workers=1, wait=True):
        server = Hearth(env=env, workers=workers, database=new_database(database_kind, request))
        started.append(server)
        return server.start(wait=wait)

    yield start
    for server in started:
        server.stop()
        drop_database(database_kind, request, server.env["DATABASE_URL"])


@pytest.fixture(scope="session")
def redis_server():
    from servers import Redis

    server = Redis()
    yield server
    server.stop()


@pytest.fixture
def team(app, auth, new_client):
    """Alice owns a workspace with a channel and a board; Bob is a member; Carol is not."""
    auth.register("alice")
    bob_client, bob = new_client()
    bob.register("bob")
    carol_client, carol = new_client()
    carol.register("carol")
    ws = auth.call("POST", "/api/workspaces", {"name": "Hearth team"}).json
    auth.call("POST", f"/api/workspaces/{ws['id']}/members", {"username": "bob"})
    channel = auth.call("POST", f"/api/workspaces/{ws['id']}/channels", {"name": "general"}).json
    board = auth.call("POST", f"/api/workspaces/{ws['id']}/boards", {"name": "Roadmap"}).json
    return SimpleNamespace(alice=auth, bob=bob, carol=carol, workspace=ws, channel=channel, board=board,
                           columns=[c["id"] for c in board["columns"]])
