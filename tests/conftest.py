"""Fixtures: an app on a throwaway database (SQLite, then PostgreSQL), its test client, and an `auth` helper."""

from contextlib import ExitStack

import pytest
from flask_migrate import upgrade
from servers import require_binary
from support import Auth, drop_database, new_database, settings_for, team_of

from app import create_app
from hearth.extensions import db

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
    from servers import running_hearth

    with ExitStack() as started:

        def start(env=None, workers=1, wait=True, app="app:app"):
            hearth = running_hearth(
                env, workers=workers, app=app, database_kind=database_kind, request=request, wait=wait
            )
            return started.enter_context(hearth)

        yield start


@pytest.fixture(scope="session")
def redis_server():
    from servers import Redis

    server = Redis()
    yield server
    server.stop()


@pytest.fixture
def team(app, auth, new_client):
    """Alice owns a workspace with a channel and a board; Bob is a member; Carol is not (see `support.team_of`)."""
    auth.register("alice")
    bob_client, bob = new_client()
    bob.register("bob")
    carol_client, carol = new_client()
    carol.register("carol")
    return team_of(auth, bob, carol)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright (never a downloaded browser), one for the whole run."""
    executable = require_binary("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()
