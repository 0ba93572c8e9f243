"""The session cache never outlives a revocation: every worker refuses an ended session's token at once."""

import requests
from wsclient import Person


def test_logout_on_one_worker_is_seen_by_every_worker_at_once(hearth_server, redis_server):
    redis_server.client.flushall()
    server = hearth_server({"REDIS_URL": redis_server.url, "HEARTH_SESSION_CACHE_TTL": "60"}, workers=2)
    alice = Person(server.url, "alice")
    access = {"access_token_cookie": alice.http.cookies.get("access_token_cookie")}
    # fresh connections spread over both workers, so each caches the live session
    for _ in range(20):
        assert requests.get(server.url + "/api/me", cookies=access, headers={"Connection": "close"}).status_code == 200
    assert alice.api("POST", "/auth/logout").status_code == 204
    answers = {
        requests.get(server.url + "/api/me", cookies=access, headers={"Connection": "close"}).json()["error"]
        for _ in range(20)
    }
    assert answers == {"token_revoked"}
