"""Metrics and socket log lines from the real server under gunicorn (multiprocess metrics)."""

import json

import requests
from servers import wait_until
from support import workspace_of
from wsclient import Person


def metric(url, name):
    text = requests.get(url + "/metrics", timeout=5).text
    values = [float(line.split()[-1]) for line in text.splitlines() if line.startswith(name)]
    return sum(values)


def test_open_sockets_refusals_and_socket_log_lines(hearth_server):
    server = hearth_server()
    alice = Person(server.url, "alice")
    sockets = [alice.socket() for _ in range(2)]
    for s in sockets:
        s.alive()
    assert metric(server.url, "hearth_open_sockets") == 2
    refused = requests.get(
        server.url + "/ws", headers={"Origin": "https://evil.example", "Upgrade": "websocket", "Connection": "Upgrade"}
    )
    assert refused.status_code == 403
    assert metric(server.url, 'hearth_upgrades_refused_total{reason="origin"}') == 1
    sockets[0].close()
    assert wait_until(lambda: metric(server.url, "hearth_open_sockets") == 1, timeout=5)

    lines = [json.loads(l) for l in server.output().splitlines()]
    closed = [l for l in lines if l["message"] == "socket_close"]
    assert len(closed) == 1 and closed[0]["close_code"] == 1000 and closed[0]["closed_by"] == "client"
    assert closed[0]["user_id"] == alice.id and closed[0]["duration_s"] >= 0 and closed[0]["request_id"]
    assert not [l for l in lines if l["message"] == "socket_open"], "a socket is logged once, when it ends"
    requests_logged = [l for l in lines if l["message"] == "request" and l.get("path") == "/ws"]
    assert [l["status"] for l in requests_logged] == [403]
    assert alice.http.cookies.get("access_token_cookie") not in server.output()


def samples(url, name):
    """{labels text: value} of one metric family's samples."""
    text = requests.get(url + "/metrics", timeout=5).text
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) :].rsplit(" ", 1)
            found[labels] = float(value)
    return found


def test_http_metrics_count_and_time_by_route_template_and_status_across_workers(hearth_server, redis_server):
    server = hearth_server(env={"REDIS_URL": redis_server.url}, workers=2)
    alice = Person(server.url, "alice")
    channels = workspace_of(alice, channels=("one", "two", "three"), boards=()).channels
    for channel in channels:
        for _ in range(2):
            assert alice.api("GET", f"/api/channels/{channel['id']}/messages").status_code == 200
    assert alice.api("GET", "/api/channels/999999/messages").status_code == 404
    for path in ("/no/such/page/1", "/no/such/page/2"):
        assert requests.get(server.url + path, timeout=5).status_code == 404

    counts = samples(server.url, "hearth_http_requests_total")
    history = '{method="GET",route="/api/channels/<int:channel_id>/messages",status="%s"}'
    assert counts[history % "200"] == 6  # three channels, one label set, summed over both workers
    assert counts[history % "404"] == 1
    assert counts['{method="GET",route="<unmatched>",status="404"}'] == 2
    assert counts['{method="POST",route="/auth/register",status="201"}'] == 1
    assert not [
        labels for labels in counts if "/no/such" in labels or "999999" in labels or f"/{channels[0]['id']}/" in labels
    ]

    durations = samples(server.url, "hearth_http_request_duration_seconds_count")
    assert durations[history % "200"] == 6
    buckets = samples(server.url, "hearth_http_request_duration_seconds_bucket")
    assert buckets['{le="+Inf",method="GET",route="/api/channels/<int:channel_id>/messages",status="200"}'] == 6
