"""What operators see: one JSON log line per request and per socket, and Prometheus metrics.

Log lines carry ids and outcomes — request id, user, session, status, close code,
duration — and never a token, a cookie, a password or a query string.
"""

import hmac
import json
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime

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

log = logging.getLogger("hearth.access")
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


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def log_event(event, **fields):
    log.info(event, extra={"fields": {"event": event, **{k: v for k, v in fields.items() if v is not None}}})


def who():
    """The user and session of this request, once authenticated."""
    user = g.get("user")
    session = g.get("auth_session") if user is not None else None
    return {"user_id": user.id if user else None, "session_id": session.id if session else None}


def start_request():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.started_at = time.perf_counter()


def finish_request(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if request.path == "/ws" and response.status_code < 400:
        return response  # an accepted socket logs its own open and close
    log_event(
        "request",
        request_id=g.get("request_id"),
        method=request.method,
        path=request.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - g.get("started_at", time.perf_counter())) * 1000, 2),
        remote=request.remote_addr,
        **who(),
    )
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
    hearth_log = logging.getLogger("hearth")
    if not hearth_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        hearth_log.addHandler(handler)
        hearth_log.setLevel(logging.INFO)
        hearth_log.propagate = False
    app.before_request(start_request)
    app.after_request(finish_request)
    app.register_blueprint(bp)
