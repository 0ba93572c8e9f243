"""Every line the server writes is one JSON object — gunicorn's, Flask's, the app's, tracebacks — without secrets."""

import json
import signal
from datetime import datetime

import pytest
import requests
import sqlalchemy as sa
from servers import end_process, wait_until
from support import PASSWORD
from wsclient import Person

from hearth.extensions import db


def lines_of(output):
    """Each line of the server's stdout and stderr, parsed; a line that is not a JSON object fails the test."""
    parsed = []
    for number, line in enumerate(output.splitlines(), 1):
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line!r}\n{output}") from None
        assert isinstance(entry, dict), line
        parsed.append(entry)
    return parsed


def test_every_line_of_a_server_that_logs_fails_and_raises_is_json_without_secrets(hearth_server):
    server = hearth_server(env={"HEARTH_ACCESS_LOG": "1"}, app="crashing_app:app")
    alice = Person(server.url, "alice")
    alice.login()
    access = alice.http.cookies.get("access_token_cookie")
    refresh = alice.http.cookies.get("refresh_token_cookie")
    secrets = {
        "password": PASSWORD,
        "access token": access,
        "refresh token": refresh,
        "access CSRF value": alice.http.cookies.get("csrf_access_token"),
        "refresh CSRF value": alice.http.cookies.get("csrf_refresh_token"),
    }

    me = alice.http.get(server.url + "/api/me", headers={"X-Request-ID": "trace-me-0001"})
    assert me.status_code == 200
    assert alice.api("POST", "/api/workspaces", {"name": "x" * 81}).status_code == 400
    assert alice.http.get(server.url + "/api/nothing-here").status_code == 404
    assert requests.get(server.url + "/api/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401
    assert (
        requests.post(server.url + "/auth/login", json={"username": "alice", "password": "wrong pw!"}).status_code
        == 401
    )
    crash = alice.http.get(
        server.url + f"/boom?access_token={access}&password={PASSWORD}", headers={"X-Request-ID": "trace-boom-0001"}
    )
    assert crash.status_code == 500 and crash.json()["error"] == "internal_error"
    assert alice.http.post(server.url + "/boom/elsewhere").status_code == 204
    socket = alice.socket()
    socket.alive()
    socket.close()

    def logged(predicate):
        return any(predicate(entry) for entry in lines_of(server.output()))

    for what in ("thread", "greenlet"):
        assert wait_until(lambda what=what: logged(lambda e: f"{what} failed on purpose" in e.get("exception", "")), 10)
    assert wait_until(lambda: logged(lambda e: e["message"] == "socket_close"), 10)
    end_process(server.process, signal.SIGINT)  # shutdown lines too
    output = server.output()
    entries = lines_of(output)

    for entry in entries:
        assert {"time", "level", "logger", "message"} <= set(entry), entry
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None, entry
        assert entry["level"] in ("debug", "info", "warning", "error", "critical"), entry
    for name, secret in secrets.items():
        assert secret and secret not in output, f"the {name} was logged"

    loggers = {entry["logger"] for entry in entries}
    assert {"gunicorn.error", "gunicorn.access", "hearth.access", "app", "hearth.uncaught", "py.warnings"} <= loggers

    requests_logged = [e for e in entries if e["logger"] == "hearth.access" and e["message"] == "request"]
    mine = next(e for e in requests_logged if e.get("request_id") == "trace-me-0001")
    assert (mine["user_id"], mine["session_id"], mine["status"], mine["route"]) == (alice.id, 2, 200, "/api/me")
    assert {e["status"] for e in requests_logged} >= {200, 201, 400, 401, 404, 500}

    crashed = [e for e in entries if e.get("request_id") == "trace-boom-0001"]
    traceback = next(e for e in crashed if e["logger"] == "app")
    assert traceback["level"] == "error" and traceback["user_id"] == alice.id and traceback["session_id"] == 2
    assert (
        "Traceback (most recent call last)" in traceback["exception"] and "boom, on purpose" in traceback["exception"]
    )
    gunicorn_line = next(e for e in crashed if e["logger"] == "gunicorn.access")
    assert (gunicorn_line["path"], gunicorn_line["status"]) == ("/boom", 500)

    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in entries)
    assert any(e["logger"] == "py.warnings" and "a warning, on purpose" in e["message"] for e in entries)
    ended = next(e for e in entries if e["message"] == "socket_close")
    assert (ended["user_id"], ended["session_id"]) == (alice.id, 2) and ended["request_id"]


def test_a_database_error_never_shows_the_values_bound_to_its_query(app):
    """What a traceback of a failed query says is logged: the SQL, never the bound values (a message, a hash)."""
    with app.app_context(), pytest.raises(sa.exc.DBAPIError) as failed:
        db.session.execute(sa.text("INSERT INTO no_such_table (x) VALUES (:value)"), {"value": "private words"})
    assert "no_such_table" in str(failed.value) and "private words" not in str(failed.value)
