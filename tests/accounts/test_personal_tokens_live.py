"""Personal access tokens against the running server: a bot's socket, and deleting its token, on one and two workers."""

import time

import pytest
import requests
from servers import wait_until
from support import workspace_of
from websockets.exceptions import InvalidStatus
from wsclient import Person, Program, socket_on, upgrade_status


def test_a_bot_posts_and_follows_a_channel_with_only_its_token(hearth_server):
    server = hearth_server()
    alice = Person(server.url, "alice")
    channel = workspace_of(alice).channel
    bot = Program(alice, name="deploy-bot")
    topic = f"chat:{channel['id']}"
    sock = bot.socket()  # no Origin, no cookie: the header alone
    sock.subscribe(topic)
    sock.expect("subscribed")
    posted = bot.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "deploy done", "client_id": "d1"})
    assert posted.status_code == 201 and posted.json()["via"] == "deploy-bot"
    event = sock.expect("event")["data"]
    assert (event["body"], event["via"]) == ("deploy done", "deploy-bot")
    ref = sock.request("publish", topic=topic, data={"body": "from the socket", "client_id": "d2"})
    frames = [sock.recv(), sock.recv()]
    assert {f["type"] for f in frames} == {"ack", "event"} and {f.get("ref") for f in frames} == {ref, None}
    alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "typed by hand"})
    listed = alice.api("GET", f"/api/channels/{channel['id']}/messages").json()
    assert [(m["body"], m["via"]) for m in listed] == [
        ("deploy done", "deploy-bot"),
        ("from the socket", "deploy-bot"),
        ("typed by hand", None),
    ]
    page = alice.http.get(f"{server.url}/w/{channel['workspace_id']}/c/{channel['id']}").text
    assert page.count(">via deploy-bot</span>") == 2


def test_a_token_upgrade_from_a_foreign_origin_or_with_a_bad_token_is_refused_before_the_handshake(hearth_server):
    server = hearth_server()
    alice = Person(server.url, "alice")
    bot = Program(alice)
    status, _ = upgrade_status(server.url, {**bot.headers, "Origin": "https://evil.example"})
    assert status == 101  # a token is no ambient credential: the Origin does not matter
    for header, code in (("Bearer hearth_pat_forged", "token_invalid"), ("Bearer abc", "token_invalid")):
        status, answer = upgrade_status(server.url, {"Authorization": header})
        assert (status, answer.json()["error"]) == (401, code)
    # a header that is not a live token wins over a good cookie
    status, answer = upgrade_status(
        server.url, {"Authorization": "Bearer hearth_pat_x", "Cookie": alice.cookie_header(), "Origin": server.url}
    )
    assert (status, answer.json()["error"]) == (401, "token_invalid")


def test_deleting_a_token_closes_its_socket_with_4403_within_a_second(hearth_server):
    server = hearth_server()
    alice = Person(server.url, "alice")
    bot, other_bot = Program(alice, "one"), Program(alice, "two")
    sock, kept = bot.socket(), other_bot.socket()
    sock.alive()
    started = time.monotonic()
    assert alice.api("DELETE", f"/auth/tokens/{bot.token_id}").status_code == 204
    assert sock.close_code(timeout=2) == 4403
    assert time.monotonic() - started < 1.0
    assert kept.alive()
    assert bot.api("GET", "/api/me").json()["error"] == "token_revoked"
    status, answer = upgrade_status(server.url, bot.headers)
    assert (status, answer.json()["error"]) == (401, "token_revoked")


def test_a_tokens_sockets_count_toward_the_users_cap(hearth_server):
    server = hearth_server({"HEARTH_MAX_SOCKETS_PER_USER": "2"})
    alice = Person(server.url, "alice")
    bot = Program(alice)
    held = [alice.socket(), bot.socket()]
    with pytest.raises(InvalidStatus) as refused:
        bot.socket()
    assert refused.value.response.status_code == 429
    held.pop().close()
    assert wait_until(lambda: upgrade_status(server.url, bot.headers)[0] == 101, timeout=5)


def test_deleting_a_token_closes_its_sockets_on_both_workers_and_every_worker_refuses_it(hearth_server, redis_server):
    redis_server.client.flushall()
    server = hearth_server({"REDIS_URL": redis_server.url, "HEARTH_SESSION_CACHE_TTL": "60"}, workers=2)
    alice = Person(server.url, "alice")
    bot = Program(alice)
    first, worker_a = socket_on(server, bot)
    second, worker_b = socket_on(server, bot, avoid=worker_a)
    assert worker_a != worker_b
    # fresh connections spread over both workers, so each caches the live token
    for _ in range(20):
        headers = {**bot.headers, "Connection": "close"}
        assert requests.get(server.url + "/api/me", headers=headers, timeout=5).status_code == 200
    started = time.monotonic()
    assert alice.api("DELETE", f"/auth/tokens/{bot.token_id}").status_code == 204
    assert first.close_code(timeout=2) == 4403
    assert second.close_code(timeout=2) == 4403
    assert time.monotonic() - started < 1.0
    answers = {
        requests.get(server.url + "/api/me", headers={**bot.headers, "Connection": "close"}, timeout=5).json()["error"]
        for _ in range(20)
    }
    assert answers == {"token_revoked"}


def test_a_password_change_closes_the_tokens_sockets(hearth_server):
    server = hearth_server()
    alice = Person(server.url, "alice")
    bot = Program(alice)
    sock = bot.socket()
    sock.alive()
    changed = alice.api(
        "POST", "/auth/password", {"current_password": "correct horse battery", "new_password": "another secret"}
    )
    assert changed.status_code == 204
    assert sock.close_code(timeout=2) == 4403
