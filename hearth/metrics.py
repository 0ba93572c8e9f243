"""What operators count and read: Prometheus metrics, and `log_event` for the app's own log lines.

Request-free, so the socket service and the sessions count and log the same way
a request does; the request's own line and the `/metrics` page are the web
edge's (blueprints/observability.py). HTTP metrics are labelled by route
template (`/api/cards/<int:card_id>`), never by raw path, so their number is
bounded by the routes, not by the ids.
"""

import structlog
from prometheus_client import Counter, Gauge, Histogram

log = structlog.get_logger("hearth.access")

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


def log_event(event, **fields):
    """One line named `event` (its message), with these fields; None values are left out."""
    log.info(event, **{k: v for k, v in fields.items() if v is not None})
