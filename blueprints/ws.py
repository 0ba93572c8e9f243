"""`/ws`: the upgrade is checked before the handshake is accepted, then flask-sock serves the socket.

Order of refusals: a worker that is stopping (503), a foreign or missing Origin
(403), the access cookie and its session (401), the user's socket cap (429),
then a request that is no WebSocket handshake (400) — each a plain HTTP answer
with the JSON error body, so no frame of an unauthenticated client is ever read.
A program presenting a personal access token (`Authorization: Bearer`) is
checked by the token alone: no cookie, and no Origin (it is no browser).
"""

import time

from flask import Blueprint, g, request

from blueprints.guards import authenticate, authenticate_token, bearer_header, origin_allowed
from hearth.errors import ApiError
from hearth.extensions import db, sock
from hearth.metrics import UPGRADES_REFUSED
from hearth.realtime.service import socket_service
from hearth.realtime.upgrade import VERSION, CheckedUpgrade, decline_extensions, handshake_problem

bp = Blueprint("ws", __name__)


@bp.before_request
def check_upgrade():
    if socket_service().going_away:
        # this worker is stopping and would hold the socket up (gunicorn waits for it); its successor takes it
        UPGRADES_REFUSED.labels("going_away").inc()
        raise ApiError(503, "unavailable", "The server is restarting; connect again in a moment.", {"Retry-After": "1"})
    checked_at = time.monotonic()
    header = bearer_header()
    if header is None and not origin_allowed(request.headers.get("Origin")):
        UPGRADES_REFUSED.labels("origin").inc()
        raise ApiError(403, "forbidden", "WebSocket connections are only accepted from this site's own pages.")
    try:
        if header is not None:
            authenticate_token(header)
        else:
            authenticate()
    except ApiError:
        UPGRADES_REFUSED.labels("token").inc()
        raise
    user_id, session_id = g.user.id, g.auth_session.id
    db.session.remove()  # the pooled connection goes back before the cap's Redis round trip, not after the socket
    key = socket_service().claim_slot(user_id)
    if key is None:
        UPGRADES_REFUSED.labels("too_many_connections").inc()
        raise ApiError(429, "too_many_connections", "Too many open connections for this account; close a tab.")
    g.upgrade = CheckedUpgrade(user_id, session_id, key, checked_at, g.get("request_id"))
    problem = handshake_problem(request.environ)
    if problem is not None:
        UPGRADES_REFUSED.labels("handshake").inc()
        raise ApiError(400, "invalid_input", problem, headers={"Sec-WebSocket-Version": VERSION})
    decline_extensions(request.environ)


@bp.teardown_request
def release_slot(exc):
    upgrade = g.pop("upgrade", None)
    if upgrade is not None:
        socket_service().release_slot(upgrade.user_id, upgrade.socket_key)


@sock.route("/ws", bp=bp)  # routing answers 400 to a request without Upgrade: websocket
def socket(ws):
    socket_service().serve(ws, g.upgrade)
