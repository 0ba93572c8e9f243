"""Two independent instances (two ports, as two hosts) sharing one database and one Redis."""

import time

import pytest
from servers import Hearth
from support import drop_database, new_database, workspace_of
from wsclient import Person


@pytest.fixture
def two_hosts(redis_server, database_kind, request, tmp_path):
    redis_server.client.flushall()
    database = new_database(database_kind, request) or f"sqlite:///{tmp_path}/shared.db"
    env = {"REDIS_URL": redis_server.url, "HEARTH_PRESENCE_GRACE": "1"}
    hosts = [Hearth(env=env, database=database).start() for _ in range(2)]
    yield hosts
    for host in hosts:
        host.stop()
    drop_database(database_kind, request, database)


def test_messages_cards_presence_and_revocation_cross_hosts(two_hosts):
    a_host, b_host = two_hosts
    alice, bob = Person(a_host.url, "alice"), Person(b_host.url, "bob")
    place = workspace_of(alice, bob)
    ws, channel, board = place.workspace, place.channel, place.board
    chat, cards, presence = f"chat:{channel['id']}", f"board:{board['id']}", f"presence:{ws['id']}"

    a, b = alice.socket(), bob.socket()
    for sock in (a, b):
        for topic in (chat, cards):
            sock.subscribe(topic)
            sock.expect("subscribed", topic=topic)

    ref = a.request("publish", topic=chat, data={"body": "from host A", "client_id": "a1"})
    assert {a.recv()["type"], a.recv()["type"]} == {"ack", "event"}
    assert b.expect("event", topic=chat)["data"]["body"] == "from host A"

    ref = b.request(
        "publish", topic=cards, data={"op": "card.create", "column_id": board["columns"][0]["id"], "title": "from B"}
    )
    frames = [b.recv(), b.recv()]
    assert any(f["type"] == "ack" and f["ref"] == ref for f in frames)
    assert a.expect("event", topic=cards, event="card.created")["data"]["title"] == "from B"

    b.subscribe(presence)
    b.expect("subscribed")
    b.expect("presence_state")
    a.subscribe(presence)
    a.expect("subscribed")
    assert {u["id"] for u in a.expect("presence_state")["users"]} == {alice.id, bob.id}
    assert [u["id"] for u in b.expect("presence_diff")["joins"]] == [alice.id]

    # alice's session, ended through host B, closes her socket on host A within a second
    phone = Person(b_host.url, "alice", register=False)
    phone.http.cookies.update(alice.http.cookies)
    started = time.monotonic()
    assert phone.api("POST", "/auth/logout").status_code == 204
    assert a.close_code(timeout=2) == 4403
    assert time.monotonic() - started < 1.0
    refused = alice.http.get(a_host.url + "/api/me").json()
    assert refused["error"] == "token_revoked"
    assert [u["id"] for u in b.expect("presence_diff", timeout=5)["leaves"]] == [alice.id]
