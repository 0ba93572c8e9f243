"""Deactivation acts at once everywhere: two gunicorn workers sharing Redis, on SQLite and PostgreSQL.

The deactivated person's sockets on both workers close with 4403 within a second, they leave presence
without the reconnect grace (set long here, so a late leave would show), and their personal token is refused.
"""

import time

import requests
from support import wait_until
from wsclient import Person, Program, socket_on

from hearth.protocol import REVOKED


def test_deactivation_closes_every_socket_on_every_worker_within_a_second_and_drops_presence(
    hearth_server, redis_server
):
    redis_server.client.flushall()
    server = hearth_server({"REDIS_URL": redis_server.url, "HEARTH_PRESENCE_GRACE": "30"}, workers=2)
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")  # alice, the first account, is the admin
    workspace = alice.create("/api/workspaces", {"name": "Team"})
    alice.create(f"/api/workspaces/{workspace['id']}/members", {"username": "bob"})
    presence = f"presence:{workspace['id']}"
    program = Program(bob)

    watcher, _ = socket_on(server, alice)
    first, first_worker = socket_on(server, bob)
    second, _ = socket_on(server, bob, avoid=first_worker)
    bot, _ = socket_on(server, program)
    for sock in (first, second, bot):
        sock.subscribe(presence)
        sock.expect("subscribed")
    watcher.subscribe(presence)
    watcher.expect("subscribed")
    assert bob.id in [u["id"] for u in watcher.expect("presence_state")["users"]]

    started = time.monotonic()
    assert alice.api("POST", f"/api/admin/users/{bob.id}/deactivate").status_code == 204
    assert {sock.close_code(timeout=2) for sock in (first, second, bot)} == {REVOKED}
    assert time.monotonic() - started < 1.0

    def bob_left():
        frame = watcher.recv(timeout=2)
        return frame["type"] == "presence_diff" and [u["username"] for u in frame["leaves"]] == ["bob"]

    assert wait_until(bob_left, timeout=3)  # long before the 30 s grace
    assert time.monotonic() - started < 3

    assert bob.api("GET", "/api/me").json()["error"] in ("token_revoked", "token_missing")
    assert program.api("GET", "/api/me").json()["error"] == "token_revoked"
    login = requests.post(f"{server.url}/auth/login", json={"username": "bob", "password": "correct horse battery"})
    assert (login.status_code, login.json()["error"]) == (401, "account_deactivated")
