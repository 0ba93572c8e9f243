"""Server-rendered pages for signed-in people."""

from flask import Blueprint, abort, g, redirect, render_template
from flask_jwt_extended import get_jwt

from auth_sessions import end_sessions, live_sessions
from guards import page_login_required
from models import AuthSession

bp = Blueprint("pages", __name__)


@bp.get("/")
@page_login_required
def index():
    return render_template("pages/index.html")


@bp.get("/settings/sessions")
@page_login_required
def sessions():
    return render_template(
        "pages/sessions.html", sessions=live_sessions(g.user.id), current_id=get_jwt()["sid"]
    )


@bp.post("/settings/sessions/<int:session_id>/end")
@page_login_required
def end_session(session_id):
    """The form twin of `DELETE /auth/sessions/<id>`, so signing out a device needs no JavaScript."""
    if not end_sessions(AuthSession.id == session_id, AuthSession.user_id == g.user.id, reason="revoked"):
        abort(404)
    if session_id == get_jwt()["sid"]:
        return redirect("/auth/login", 303)
    return redirect("/settings/sessions", 303)
