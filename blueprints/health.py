"""`/healthz` (the process answers) and `/readyz` (its database and broker answer too)."""

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from hearth import __version__
from hearth.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Up, and which release: an operator checks a deploy took with one request."""
    return jsonify({"status": "ok", "version": __version__})


@bp.get("/readyz")
def readyz():
    checks = {"database": _check(lambda: db.session.execute(sa.text("SELECT 1"))), "broker": _check(_ping_broker)}
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if ready else "unavailable", **checks}), 200 if ready else 503


def _ping_broker():
    current_app.extensions["hearth.broker"].ping()


def _check(probe):
    try:
        probe()
        return "ok"
    except Exception as e:  # readiness reports any failure rather than raising it
        current_app.logger.warning("readiness check failed: %s", e)
        db.session.rollback()
        return "unavailable"
