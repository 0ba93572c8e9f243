"""What operators see: one log line per request and per socket, and Prometheus metrics.

Log lines (JSON, see logs.py) carry ids and outcomes — request id, user, session,
status, close code, duration — and never a token, a cookie, a password or a query
string. HTTP metrics are labelled by route template (`/api/cards/<int:card_id>`),
never by raw path, so their number is bounded by the routes, not by the ids.
"""

import hmac
import os
import re
import time
import uuid

import structlog
from flask import Blueprint, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from hearth import logs

log = structlog.get_logger("hearth.access")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

OPEN_SOCKETS = Gauge("hearth_open_sockets", "WebSockets open now.", multiprocess_mode="livesum")
UPGRADES_REFUSED = Counter("hearth_upgrades_refused_total", "WebSocket upgrades refused.", ["reason"])
REFRESHES = Counter("hearth_refreshes_total", "Refresh-token presentations by outcome.", ["outcome"])
EVENTS_FANNED_OUT = Counter("hearth_events_fanned_out_total", "Event frames queued to subscribers.")
DELIVERY_LAG = Histogram(
    "hearth_delivery_lag_seconds",
    "From an event's commit to its fan-out in this process.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
HTTP_REQUESTS = Counter(
    "hearth_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "hearth_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Any other method string a client makes up is counted as one label value, not one per invention.
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED_ROUTE = "<unmatched>"


def log_event(event, **fields):
    """One line named `event` (its message), with these fields; None values are left out."""
    log.info(event, **{k: v for k, v in fields.items() if v is not None})


def start_request():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.started_at = time.perf_counter()


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
    )  # the user and session are added to every line of a request (logs.request_context)
    return response


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
    app.register_blueprint(bp)
