"""Metrics and socket log lines from the real server under gunicorn (multiprocess metrics)."""

import json

import requests
from servers import wait_until
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

    lines = [json.loads(l) for l in server.output().splitlines() if l.startswith("{")]
    opened = [l for l in lines if l["event"] == "socket_open"]
    closed = [l for l in lines if l["event"] == "socket_close"]
    assert len(opened) == 2 and {l["user_id"] for l in opened} == {alice.id}
    assert len(closed) == 1 and closed[0]["close_code"] == 1000 and closed[0]["closed_by"] == "client"
    assert closed[0]["duration_s"] >= 0
    assert closed[0]["request_id"] in {l["request_id"] for l in opened}
    requests_logged = [l for l in lines if l["event"] == "request" and l["path"] == "/ws"]
    assert [l["status"] for l in requests_logged] == [403]
    assert alice.http.cookies.get("access_token_cookie") not in server.output()
