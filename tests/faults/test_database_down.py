"""PostgreSQL briefly down under a running Hearth: nothing is acked that was not stored, /readyz says so,
and everything works again when it is back, without restarting Hearth."""

import pytest
import requests
from servers import Hearth, Postgres, wait_until
from support import workspace_of
from wsclient import Person


@pytest.fixture
def database_and_server():
    postgres = Postgres()  # a cluster of this test's own: it is going to be shut down
    try:
        url = postgres.create_database("hearth")
        server = Hearth(database=url).start()
        yield postgres, server
        server.stop()
    finally:
        postgres.stop()


def ready(server):
    response = requests.get(server.url + "/readyz", timeout=5)
    return response.status_code, response.json()


def test_publishes_while_the_database_is_down_are_refused_not_acked_and_go_through_after(database_and_server):
    postgres, server = database_and_server
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    channel = workspace_of(alice, bob).channel
    topic = f"chat:{channel['id']}"
    a, b = alice.socket(), bob.socket()
    b.subscribe(topic, since=0)
    b.expect("subscribed")
    ref = a.request("publish", topic=topic, data={"body": "before", "client_id": "c0"})
    assert a.expect("ack", ref=ref)["seq"] == 1
    assert b.expect("event")["seq"] == 1

    postgres.shut_down()
    status, body = ready(server)
    assert (status, body["database"], body["broker"]) == (503, "unavailable", "ok")
    assert requests.get(server.url + "/healthz").status_code == 200  # the process is up: do not restart it
    for i in (1, 2):
        ref = a.request("publish", topic=topic, data={"body": f"during {i}", "client_id": f"c{i}"})
        refused = a.expect("error", ref=ref, timeout=15)
        assert refused["code"] == "unavailable"
    assert b.quiet(0.5)  # no event went out for what was not stored
    response = alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "over http", "client_id": "h"})
    assert (response.status_code, response.json()["error"]) == (503, "unavailable")
    assert "Retry-After" in response.headers
    assert a.alive() and b.alive()  # the sockets outlived the outage

    postgres.start()
    assert wait_until(lambda: ready(server)[0] == 200, timeout=15)
    for i in (1, 2):  # the client resends what was refused, with the same client_id
        ref = a.request("publish", topic=topic, data={"body": f"during {i}", "client_id": f"c{i}"})
        assert a.expect("ack", ref=ref)["seq"] == i + 1
    assert [e["seq"] for e in b.events(2)] == [2, 3]
    stored = alice.api("GET", f"/api/channels/{channel['id']}/messages").json()
    assert [m["body"] for m in stored] == ["before", "during 1", "during 2"]  # each once, nothing else
    assert "Traceback" not in server.output()
