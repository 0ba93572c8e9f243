"""What operators see of each request: its id, its log line, its HTTP metrics; and the `/metrics` page.

Log lines (JSON, see hearth/logs.py) carry ids and outcomes — request id, user,
session, status, duration — and never a token, a cookie, a password or a query
string. The metrics themselves, and the socket's line, are hearth/metrics.py's.
"""

import hmac
import os
import re
import time
import uuid

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from hearth import logs
from hearth.metrics import HTTP_DURATION, HTTP_REQUESTS, log_event

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Any other method string a client makes up is counted as one label value, not one per invention.
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED_ROUTE = "<unmatched>"


def start_request():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.started_at = time.perf_counter()
    g.log_fields = logs.begin_request(g.request_id)


def finish_request(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if request.path == "/ws" and response.status_code < 400:
        return response  # an accepted socket logs its own open and close, and is no request to time
    duration = time.perf_counter() - g.get("started_at", time.perf_counter())
    method = request.method if request.method in KNOWN_METHODS else "other"
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
    labels = (method, route, str(response.status_code))
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_DURATION.labels(*labels).observe(duration)
    log_event(
        "request",
        request_id=g.get("request_id"),
        method=request.method,
        path=request.path,
        route=route,
        status=response.status_code,
        duration_ms=round(duration * 1000, 2),
        remote=request.remote_addr,
    )  # the user and session are added to every line of a request (logs.identify_caller)
    return response


def end_request(exc):
    token = g.pop("log_fields", None)
    if token is not None:
        logs.end_request(token)


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    """For operators only: a bearer HEARTH_METRICS_TOKEN, or without one, loopback clients only."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        allowed = hmac.compare_digest(sent.encode(), str(token).encode())
    else:
        allowed = request.remote_addr in ("127.0.0.1", "::1")
    if not allowed:
        return Response("not found\n", status=404, mimetype="text/plain")
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app):
    logs.configure()
    app.before_request(start_request)
    app.after_request(finish_request)
    app.teardown_request(end_request)
    app.register_blueprint(bp)
