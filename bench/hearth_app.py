"""Hearth as served, plus one route for the auth-overhead benchmark: `/api/me`'s handler without the session check."""

from flask import g

from app import create_app
from blueprints.api import me
from hearth.extensions import db
from hearth.models import User

app = create_app()


@app.get("/bench/me-without-auth")
def me_without_auth():
    """The same handler as GET /api/me; the user is loaded by id instead of through the token and session."""
    g.user = db.session.get(User, 1)
    return me()
