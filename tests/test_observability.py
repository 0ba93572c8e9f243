"""Operators' view: JSON log lines without secrets, request ids, and guarded Prometheus metrics."""

import json
import logging

import pytest
from support import PASSWORD


class Lines(logging.Handler):
    """The lines a logger writes, as the server's one JSON formatter renders them."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        from hearth.logs import JsonLines

        self.lines.append(json.loads(JsonLines().format(record)))


@pytest.fixture
def access_log():
    handler = Lines()
    logger = logging.getLogger("hearth.access")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_one_json_line_per_request_with_ids_and_no_secrets(client, auth, access_log):
    auth.register()
    response = client.get("/api/me", headers={"X-Request-ID": "trace-12345678"})
    assert response.headers["X-Request-ID"] == "trace-12345678"
    line = access_log[-1]
    assert line["message"] == "request" and line["request_id"] == "trace-12345678"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/me", 200)
    assert line["user_id"] == 1 and line["session_id"] == 1 and line["duration_ms"] >= 0
    everything = json.dumps(access_log)
    for secret in (
        auth.cookie("access_token_cookie"),
        auth.cookie("refresh_token_cookie", path="/auth"),
        auth.csrf("access"),
        PASSWORD,
    ):
        assert secret not in everything


def test_a_request_id_that_is_not_an_id_is_replaced(client, access_log):
    response = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert response.headers["X-Request-ID"] != "<script>" and len(response.headers["X-Request-ID"]) == 32


def test_metrics_are_for_operators_only(make_app):
    open_app = make_app()
    assert open_app.test_client().get("/metrics").status_code == 200  # loopback
    assert open_app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    guarded = make_app(METRICS_TOKEN="s3cret-metrics-token").test_client()
    assert guarded.get("/metrics").status_code == 404
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert guarded.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"}).status_code == 200


def test_refresh_outcomes_are_counted(client, auth):
    def rotated():
        text = client.get("/metrics").get_data(as_text=True)
        line = next((l for l in text.splitlines() if l.startswith('hearth_refreshes_total{outcome="rotated"}')), "x 0")
        return float(line.split()[-1])

    auth.register()
    before = rotated()
    auth.refresh()
    auth.refresh()
    assert rotated() == before + 2
