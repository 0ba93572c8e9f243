"""What only PostgreSQL can show: a query that waits inside gunicorn's gevent worker must not stall the others.

SQLite runs in-process and its waits block the worker anyway; with PostgreSQL a query
waits on the network, and psycopg must wait the gevent way (it does once gevent has
patched `select` before psycopg is imported, as the gevent worker does).
"""

import time

import psycopg
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from servers import Hearth
from support import settings_for, workspace_of
from wsclient import Person

from app import create_app
from hearth.extensions import db
from hearth.workspaces.search import search


@pytest.fixture
def server_and_database(postgres_server):
    database = postgres_server.create_database(template="hearth_template")
    server = Hearth(database=database).start()
    yield server, database
    server.stop()
    postgres_server.drop_database(database)


def test_a_publish_waiting_on_a_row_lock_stalls_no_other_socket(server_and_database):
    server, database = server_and_database
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    busy, calm = workspace_of(alice, bob, channels=("busy", "calm")).channels
    a, b = alice.socket(), bob.socket()

    with psycopg.connect(database) as elsewhere:  # another process holding the channel's row, as a slow writer would
        elsewhere.execute("SELECT seq FROM channels WHERE id = %s FOR UPDATE", [busy["id"]])
        waiting = a.request("publish", topic=f"chat:{busy['id']}", data={"body": "waits", "client_id": "w"})
        assert a.quiet(0.3)  # alice's publish waits for the lock...
        started = time.monotonic()
        b.alive()  # ...while the same worker answers bob's ping,
        ref = b.request("publish", topic=f"chat:{calm['id']}", data={"body": "elsewhere", "client_id": "c"})
        assert b.expect("ack", ref=ref)["seq"] == 1  # stores his message in another channel,
        assert bob.api("GET", "/api/me").status_code == 200  # and serves HTTP
        assert time.monotonic() - started < 2
        elsewhere.rollback()
    assert a.expect("ack", ref=waiting)["seq"] == 1
    assert [m["body"] for m in alice.api("GET", f"/api/channels/{busy['id']}/messages").json()] == ["waits"]


def test_the_search_column_follows_edits_and_leaves_with_its_downgrade(postgres_server, tmp_path):
    """PostgreSQL's search reads the stored `search_vector`: an edit changes what is found in the same statement;
    downgrading 0016 drops the column and its index and keeps every message, and the upgrade finds them again."""
    url = postgres_server.create_database(template="hearth_template")
    app = create_app(settings_for(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    run = db.session.execute

    def found(q):
        hits = search(1, 1, q)["results"]
        db.session.rollback()
        return [hit["message"]["body"] for hit in hits]

    def columns(table):
        return {column["name"] for column in sa.inspect(db.engine).get_columns(table)}

    try:
        with app.app_context():
            run(sa.text("INSERT INTO users (id, username, display_name, password_hash, created_at)"
                        " VALUES (1, 'alice', 'Alice', 'x', now())"))  # fmt: skip
            run(sa.text("INSERT INTO workspaces (id, name, owner_id, created_at) VALUES (1, 'w', 1, now())"))
            run(sa.text("INSERT INTO memberships (workspace_id, user_id, joined_at) VALUES (1, 1, now())"))
            run(sa.text("INSERT INTO channels (id, workspace_id, name, seq, created_at) VALUES (1, 1, 'c', 0, now())"))
            run(sa.text("INSERT INTO messages (id, channel_id, author_id, seq, body, html, created_at, reply_count)"
                        " VALUES (1, 1, 1, 1, 'the old needle', '', now(), 0)"))  # fmt: skip
            db.session.commit()
            assert found("needle") == ["the old needle"]
            run(sa.text("UPDATE messages SET body = 'a new thread' WHERE id = 1"))
            db.session.commit()
            assert found("needle") == [] and found("thread") == ["a new thread"]

            downgrade(revision="0015")
            assert "search_vector" not in columns("messages") | columns("cards")
            assert run(sa.text("SELECT body FROM messages")).scalars().all() == ["a new thread"]
            db.session.rollback()
            upgrade()
            assert "search_vector" in columns("messages") and "search_vector" in columns("cards")
            assert found("thread") == ["a new thread"] and found("old") == []
            db.engine.dispose()
    finally:
        postgres_server.drop_database(url)
