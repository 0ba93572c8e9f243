"""Floods from one signed-in account: writes over HTTP, and guessing usernames by adding them as members."""

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from servers import running_hearth, wait_until
from support import settings_for, workspace_of
from wsclient import Person

from app import create_app

writers = (f"writer{i}" for i in itertools.count())


@pytest.fixture(scope="module", params=[(1, False), (2, True)], ids=["one worker", "two workers on Redis"])
def limited_server(request):
    """The documented write limit (the other suites raise it for their set-ups): 10 a second, bursts of 30."""
    workers, on_redis = request.param
    env = {"HEARTH_API_WRITE_RATE": "10", "HEARTH_API_WRITE_BURST": "30"}
    if on_redis:
        redis = request.getfixturevalue("redis_server")
        redis.client.flushall()
        env["REDIS_URL"] = redis.url
    with running_hearth(env, workers=workers) as hearth:
        yield hearth


def test_http_writes_are_limited_per_user_like_socket_publishes(limited_server):
    """1,000 messages over HTTP took 2.9 s, where the socket allows 10 a second. Fresh connections, so that
    with two workers the writes land on both: the limit is the user's, not one process's."""
    flooder, neighbour = Person(limited_server.url, next(writers)), Person(limited_server.url, next(writers))
    started = time.monotonic()
    channel = workspace_of(flooder, neighbour).channel  # 4 writes of the burst: workspace, member, channel, board
    path = f"{limited_server.url}/api/channels/{channel['id']}/messages"
    headers = {"X-CSRF-TOKEN": flooder.http.cookies.get("csrf_access_token"), "Connection": "close"}

    def write(i):
        body = {"body": f"flood {i}", "client_id": f"c{i}"}
        return requests.post(path, json=body, cookies=flooder.http.cookies, headers=headers)

    # eight at a time: the flood outruns 10 a second however slow each request is on a busy machine
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(write, range(200)))
    elapsed = time.monotonic() - started
    stored = [r for r in answers if r.status_code == 201]
    refused = [r for r in answers if r.status_code == 429]
    assert len(stored) + len(refused) == 200
    assert 26 <= len(stored) <= 26 + 10 * elapsed + 1  # the burst less the set-up's writes, then 10 a second
    assert {r.json()["error"] for r in refused} == {"rate_limited"}
    assert all(1 <= int(r.headers["Retry-After"]) <= 2 for r in refused)
    history = flooder.api("GET", f"/api/channels/{channel['id']}/messages?limit=100").json()  # reads are not limited
    assert len(history) == min(100, len(stored))
    post = neighbour.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "hi", "client_id": "n"})
    assert post.status_code == 201  # one user's flood is not another's limit
    retry_after = int(refused[-1].headers["Retry-After"])

    def accepted_again():
        again = flooder.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "later", "client_id": "l"})
        return again.status_code == 201

    assert wait_until(accepted_again, timeout=retry_after + 1)  # within the wait the answer asked for


def test_every_mutating_api_route_is_behind_the_write_limit(tmp_path):
    """The limit sits in the guard the API blueprint's before_request runs: a mutating /api route outside
    that blueprint would escape it."""
    app = create_app(settings_for(tmp_path))
    escaped = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not rule.endpoint.startswith("api.")
    ]
    assert escaped == []
    mutating = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.methods & {"POST", "PATCH", "DELETE"}
    ]
    assert len(mutating) >= 8


def test_guessing_usernames_by_adding_members_is_limited(server, person):
    """300 guesses answered in 0.7 s told existing usernames from unknown ones, and put the guesser's workspace
    (named as she liked) into each victim's list."""
    mallory, victims = person(), [person() for _ in range(3)]
    place = mallory.api("POST", "/api/workspaces", {"name": "You won a prize: visit evil.example"}).json()
    path = f"/api/workspaces/{place['id']}/members"
    answers = [mallory.api("POST", path, {"username": f"guess{i:03d}"}) for i in range(30)]
    assert {(r.status_code, r.json()["error"]) for r in answers} == {(400, "invalid_input")}
    assert answers[0].json()["fields"] == ["username"]  # what a person adding a colleague needs: that name is wrong
    for victim in victims:  # from here on, known and unknown usernames get the same answer, and nobody is added
        for username in (victim.username, f"nobody-{victim.username}"):
            refused = mallory.api("POST", path, {"username": username})
            assert (refused.status_code, refused.json()["error"]) == (429, "rate_limited")
            assert int(refused.headers["Retry-After"]) > 0
        assert victim.api("GET", "/api/workspaces").json() == []
    assert [m["username"] for m in mallory.api("GET", f"{path}").json()] == [mallory.username]
    own = person()  # another owner adds a colleague as usual
    theirs = own.api("POST", "/api/workspaces", {"name": "ours"}).json()
    assert (
        own.api("POST", f"/api/workspaces/{theirs['id']}/members", {"username": victims[0].username}).status_code == 201
    )
