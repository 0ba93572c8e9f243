"""Every error in the JSON shape docs/protocol.md gives, in its order of checks, with its headers."""

import pytest

from hearth.errors import ApiError


def assert_error(response, status, code):
    assert response.status_code == status, response.data[:300]
    assert response.is_json, response.content_type
    assert response.json["error"] == code
    assert isinstance(response.json["message"], str) and response.json["message"]


def test_unknown_api_route_is_json_404(client):
    assert_error(client.get("/api/nothing/here"), 404, "not_found")


def test_wrong_method_is_json_405(client):
    assert_error(client.delete("/api/me"), 405, "method_not_allowed")


def test_oversized_body_is_413_before_any_token_check(client):
    body = b'{"username": "' + b"a" * (1024 * 1024) + b'"}'
    assert_error(client.post("/auth/login", data=body, content_type="application/json"), 413, "too_large")
    # no cookie at all, and still the size is what is reported
    assert_error(client.post("/auth/password", data=body, content_type="application/json"), 413, "too_large")


def test_body_just_under_the_limit_is_read(client):
    padding = "x" * (60 * 1024)
    response = client.post("/auth/login", json={"username": "alice", "password": "whatever pw", "pad": padding})
    assert_error(response, 401, "invalid_credentials")


def test_auth_errors_are_json_for_json_clients_and_pages_for_people(client):
    assert_error(client.post("/auth/refresh"), 401, "token_missing")
    page = client.get("/auth/nowhere", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert_error(client.get("/auth/nowhere", headers={"Accept": "application/json"}), 404, "not_found")


def test_unexpected_failure_is_json_500_without_details(make_app):
    app = make_app()

    @app.get("/api/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/explode")
    assert_error(response, 500, "internal_error")
    assert b"secret internals" not in response.data


def test_api_error_carries_extra_fields(make_app):
    app = make_app()

    @app.get("/api/conflicted")
    def conflicted():
        raise ApiError(409, "conflict", "Stale version.", current={"id": 1})

    response = app.test_client().get("/api/conflicted")
    assert_error(response, 409, "conflict")
    assert response.json["current"] == {"id": 1}


@pytest.mark.parametrize("path", ["/api/me", "/auth/sessions", "/auth/login", "/healthz"])
def test_json_responses_carry_nosniff(client, path):
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_auth_responses_are_never_cached(client, auth):
    assert auth.register().headers["Cache-Control"] == "no-store"
    assert client.post("/auth/refresh", headers=auth.headers("refresh")).headers["Cache-Control"] == "no-store"
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"


def test_health_and_readiness(client):
    from hearth import __version__

    assert client.get("/healthz").json == {"status": "ok", "version": __version__}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "database": "ok", "broker": "ok"}


def test_readiness_reports_an_unreachable_broker(make_app):
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["broker"] == "unavailable" and response.json["database"] == "ok"
