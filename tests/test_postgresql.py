"""What only PostgreSQL can show: a query that waits inside gunicorn's gevent worker must not stall the others.

SQLite runs in-process and its waits block the worker anyway; with PostgreSQL a query
waits on the network, and psycopg must wait the gevent way (it does once gevent has
patched `select` before psycopg is imported, as the gevent worker does).
"""

import time

import psycopg
import pytest
from servers import Hearth
from support import workspace_of
from wsclient import Person


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
