"""A database the first release made (migrations 0001 and 0002) and a team used, upgraded through every
migration to head, then served by gunicorn: people sign in, history reads the same, nothing redacted comes back.

The first release's rows are written with SQL in that release's own shape (its events carry the whole card or
message, a deleted card's title and an edited card's old one among them), on SQLite and on PostgreSQL.
"""

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from servers import ROOT, SECRET, Hearth
from support import PASSWORD
from wsclient import Person

FIRST_RELEASE = "0002"  # its last migration: 0001 and 0002 shipped on 2026-11-24
WHEN = datetime(2026, 11, 24, 18, 0)
FUTURE = datetime(2099, 1, 1)


@pytest.fixture
def first_release_database(database_kind, request, tmp_path):
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path}/first-release.db"
        return
    postgres = request.getfixturevalue("postgres_server")
    url = postgres.create_database()  # empty: not the template already at head
    yield url
    postgres.drop_database(url)


def migrate(url, *revision):
    env = {**os.environ, "HEARTH_ENV": "testing", "HEARTH_SECRET_KEY": SECRET, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade", *revision],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def event(topic, seq, kind, data):
    return {"topic": topic, "seq": seq, "kind": kind, "data": json.dumps(data), "created_at": WHEN}


def fill_as_a_team_did(url):
    """Two people, their sessions, a workspace with a channel of messages and a board whose cards were
    created, edited and deleted, with the event log the first release wrote for them."""
    password_hash = PasswordHasher().hash(PASSWORD)
    card = {"board_id": 1, "column_id": 1, "description": "", "position": 0}
    messages = [(i, 1 + i % 2, f"first-release message {i}") for i in range(1, 31)]
    rows = {
        "users": [
            {"id": 1, "username": "alice", "display_name": "Alice", "password_hash": password_hash, "created_at": WHEN},
            {"id": 2, "username": "bob", "display_name": "Bob", "password_hash": password_hash, "created_at": WHEN},
        ],
        "auth_sessions": [
            {
                "id": 1,
                "user_id": 1,
                "created_at": WHEN,
                "last_seen_at": WHEN,
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "expires_at": FUTURE,
                "revoked_at": None,
                "revoked_reason": None,
                "refresh_jti": uuid.uuid4().hex,
                "refresh_expires_at": FUTURE,
                "previous_refresh_jti": uuid.uuid4().hex,
                "rotated_at": WHEN,
            },
            {
                "id": 2,
                "user_id": 2,
                "created_at": WHEN,
                "last_seen_at": WHEN,
                "user_agent": "curl/8.0",
                "expires_at": FUTURE,
                "revoked_at": WHEN,
                "revoked_reason": "logout",
                "refresh_jti": uuid.uuid4().hex,
                "refresh_expires_at": FUTURE,
                "previous_refresh_jti": None,
                "rotated_at": None,
            },
        ],
        "workspaces": [{"id": 1, "name": "Hearth team", "owner_id": 1, "created_at": WHEN}],
        "memberships": [
            {"workspace_id": 1, "user_id": 1, "joined_at": WHEN},
            {"workspace_id": 1, "user_id": 2, "joined_at": WHEN},
        ],
        "channels": [{"id": 1, "workspace_id": 1, "name": "general", "seq": len(messages), "created_at": WHEN}],
        "messages": [
            {"id": i, "channel_id": 1, "author_id": a, "seq": i, "body": b, "client_id": None, "created_at": WHEN}
            for i, a, b in messages
        ],
        "boards": [{"id": 1, "workspace_id": 1, "name": "Roadmap", "seq": 4, "created_at": WHEN}],
        "board_columns": [
            {"id": 1, "board_id": 1, "name": "To do", "position": 0},
            {"id": 2, "board_id": 1, "name": "Done", "position": 1},
        ],
        "cards": [{**card, "id": 2, "title": "current title", "version": 2, "created_at": WHEN}],
        "events": [
            *(
                event("chat:1", i, "message.created", {"id": i, "channel_id": 1, "author_id": a, "seq": i, "body": b})
                for i, a, b in messages
            ),
            event("board:1", 1, "card.created", {**card, "id": 1, "title": "deleted secret", "version": 1}),
            event("board:1", 2, "card.created", {**card, "id": 2, "title": "old title", "version": 1}),
            event("board:1", 3, "card.deleted", {"id": 1, "board_id": 1, "column_id": 1}),
            event("board:1", 4, "card.updated", {**card, "id": 2, "title": "current title", "version": 2}),
        ],
    }
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.begin() as connection:
            for table, values in rows.items():
                connection.execute(metadata.tables[table].insert(), values)
            if engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
                serial = ("users", "auth_sessions", "workspaces", "channels", "messages", "boards", "cards")
                for table in (*serial, "board_columns", "events"):
                    highest = f"(SELECT max(id) FROM {table})"
                    connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest})"))
    finally:
        engine.dispose()
    return messages


def test_a_first_release_database_upgrades_to_head_and_serves_its_history(first_release_database):
    migrate(first_release_database, FIRST_RELEASE)
    messages = fill_as_a_team_did(first_release_database)
    migrate(first_release_database)  # every migration since, to head

    server = Hearth(database=first_release_database).start()
    try:
        alice = Person(server.url, "alice", register=False).login()
        bob = Person(server.url, "bob", register=False).login()
        history = alice.api("GET", "/api/channels/1/messages?after=0&limit=100").json()
        assert [(m["id"], m["author"]["id"] if "author" in m else m["author_id"], m["body"]) for m in history] == [
            (i, a, b) for i, a, b in messages
        ]
        assert all(m["edited_at"] is None for m in history)
        channels = bob.api("GET", "/api/workspaces/1/channels").json()
        assert [(c["name"], c["seq"], c["unread"]) for c in channels] == [("general", 30, 15)]
        devices = alice.api("GET", "/auth/sessions").json()
        assert any("Firefox" in str(d) for d in devices)  # the first release's session is still listed
        board = alice.api("GET", "/api/boards/1").json()
        assert [c["title"] for column in board["columns"] for c in column["cards"]] == ["current title"]

        # a socket catching up from the start reads the log the upgrade rewrote: no deleted or old text
        sock = alice.socket()
        sock.subscribe("board:1", since=0)
        replayed = sock.events(4)
        sock.expect("subscribed", seq=4)
        assert "deleted secret" not in json.dumps(replayed) and "old title" not in json.dumps(replayed)
        assert replayed[0]["data"].get("redacted") is True
        sock.subscribe("chat:1", since=0)
        assert [e["data"]["body"] for e in sock.events(30)] == [b for _, _, b in messages]
        sock.close()

        # and the upgraded instance takes new writes where the old ids and seqs left off
        posted = bob.create("/api/channels/1/messages", {"body": "after the upgrade"})
        assert (posted["id"], posted["seq"]) == (31, 31)
    finally:
        server.stop()


def test_every_downgrade_says_whether_it_loses_data():
    """An operator reads this before going back a release: "Loses data: …" names what, "Loses nothing: …" why not."""
    import ast

    unsaid = []
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        tree = ast.parse(path.read_text())
        downgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade")
        if not (ast.get_docstring(downgrade) or "").startswith(("Loses data: ", "Loses nothing: ")):
            unsaid.append(path.name)
    assert unsaid == []
