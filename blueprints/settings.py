"""`/settings`: a person's profile, devices, password, two-step sign-in, passkeys and personal access tokens, as
pages and form posts (adding a passkey is the one thing done by script: only a script can talk to the authenticator).

Each form post calls the same account functions as the JSON routes in `/auth`,
so nothing here can do what the API would refuse. Secrets shown once (a new
token, the recovery codes) are rendered into the answer to the post and never
stored where a page could show them again.
"""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request

from blueprints.errors import REFUSALS, headers_of, status_of
from blueprints.guards import page_login_required, site_origin
from hearth.accounts import avatars, passkeys, personal_tokens, profile, two_factor
from hearth.accounts.devices import current_first, device_name
from hearth.accounts.recent_auth import authenticated_recently, reauthenticate
from hearth.accounts.sessions import end_other_devices, end_session, live_sessions
from hearth.accounts.users import change_password as set_new_password
from hearth.errors import DomainError
from hearth.validation import parse, password, password_attempt

bp = Blueprint("settings", __name__, url_prefix="/settings")


def password_unless_recent(what, back):
    """None when the session gave its password recently (or gives it now, in `reauth_password`); else the
    page that asks for it, in place of the change, carrying the form's other fields to post it again."""
    sid = g.auth_session.id
    if authenticated_recently(sid):
        return None
    error = None
    if "reauth_password" in request.form:
        try:
            reauthenticate(g.user.id, request.form["reauth_password"], sid, field="reauth_password")
            return None
        except REFUSALS as e:
            error = "That is not your password." if e.code == "invalid_credentials" else e.message
    carried = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "reauth_password")]
    page = render_template(
        "settings/reauthenticate.html",
        what=what,
        back=back,
        action=request.path,
        carried=carried,
        error=error,
        minutes=max(1, current_app.config["REAUTH_WINDOW"] // 60),
    )
    return page, 401


def refused(page, error, **context):
    """The page again, with the reason the form was refused, and the error's status."""
    return render_template(page, error=error.message, **context), status_of(error), headers_of(error)


@bp.get("/sessions")
@page_login_required
def sessions():
    current = g.auth_session.id
    devices = [(s, device_name(s.user_agent)) for s in current_first(live_sessions(g.user.id), current)]
    return render_template("settings/sessions.html", devices=devices, current_id=current)


@bp.post("/sessions/<int:session_id>/end", endpoint="end_session")
@page_login_required
def end_device_session(session_id):
    """The form twin of `DELETE /auth/sessions/<id>`, so signing out a device needs no JavaScript."""
    another = session_id != g.auth_session.id
    if another and (ask := password_unless_recent("Signing out another device", "/settings/sessions")):
        return ask
    if not end_session(g.user.id, session_id, reason="revoked"):
        abort(404)
    if session_id == g.auth_session.id:
        return redirect("/auth/login", 303)
    return redirect("/settings/sessions", 303)


@bp.post("/sessions/end-others")
@page_login_required
def end_other_sessions():
    """Every other browser session; personal access tokens are kept (they are listed, and ended, on their own page)."""
    if ask := password_unless_recent("Signing out every other device", "/settings/sessions"):
        return ask
    ended = end_other_devices(g.user.id, g.auth_session.id, reason="revoked")
    flash(f"Signed out {len(ended)} other device{'s' if len(ended) != 1 else ''}.", "info")
    return redirect("/settings/sessions", 303)


@bp.get("/password", endpoint="password")
@page_login_required
def password_page():
    return render_template("settings/password.html")


@bp.post("/password")
@page_login_required
def change_password():
    try:
        fields = parse(
            request.form.to_dict(),
            required={"current_password": password_attempt, "new_password": password, "confirm_password": password},
        )
        if fields["new_password"] != fields["confirm_password"]:
            raise DomainError("invalid_input", "The two new passwords differ.", fields=["confirm_password"])
        set_new_password(g.user.id, fields["current_password"], fields["new_password"], g.auth_session.id)
    except REFUSALS as e:
        return refused("settings/password.html", e)
    flash("Password changed. Every other device and token was signed out.", "info")
    return redirect("/settings/password", 303)


def security_page(**context):
    uid = g.user.id
    setup = two_factor.pending_setup(uid)
    return render_template(
        "settings/security.html",
        two_factor_on=two_factor.two_factor_on(uid),
        codes_left=two_factor.recovery_codes_left(uid),
        setup=setup,
        qr=two_factor.qr_svg(setup["otpauth_uri"]) if setup else None,
        passkeys=passkeys.passkeys_of(uid),
        new_passkey_name=device_name(request.user_agent.string),
        **context,
    )


@bp.get("/security")
@page_login_required
def security():
    return security_page()


@bp.post("/security/setup")
@page_login_required
def begin_two_factor():
    try:
        two_factor.begin_setup(g.user.id)
    except REFUSALS as e:
        flash(e.message, "error")
    return redirect("/settings/security", 303)


@bp.post("/security/enable")
@page_login_required
def enable_two_factor():
    if ask := password_unless_recent("Turning on two-step sign-in", "/settings/security"):
        return ask
    try:
        codes = two_factor.enable(g.user.id, request.form.get("code", ""))
    except REFUSALS as e:
        return security_page(error=e.message), status_of(e)
    return security_page(recovery_codes=codes)


@bp.post("/security/disable")
@page_login_required
def disable_two_factor():
    try:
        fields = parse(request.form.to_dict(), required={"password": password_attempt})
        reauthenticate(g.user.id, fields["password"], g.auth_session.id)
    except REFUSALS as e:
        return security_page(error=e.message), status_of(e), headers_of(e)
    two_factor.disable(g.user.id)
    flash("Two-step sign-in is off.", "info")
    return redirect("/settings/security", 303)


@bp.post("/security/passkeys/<int:passkey_id>/remove")
@page_login_required
def remove_passkey(passkey_id):
    """The form twin of `DELETE /auth/passkeys/<id>`: removing a way in needs the password given recently."""
    if ask := password_unless_recent("Removing a passkey", "/settings/security"):
        return ask
    try:
        passkeys.remove_passkey(g.user.id, passkey_id)
    except DomainError as e:
        if e.code == "not_found":
            abort(404)
        return security_page(passkey_error=e.message), status_of(e)
    flash("Passkey removed: it no longer signs you in.", "info")
    return redirect("/settings/security", 303)


def tokens_page(**context):
    return render_template("settings/tokens.html", tokens=personal_tokens.tokens_of(g.user.id), **context)


@bp.get("/tokens")
@page_login_required
def tokens():
    return tokens_page()


@bp.post("/tokens")
@page_login_required
def create_token():
    if ask := password_unless_recent("Creating an access token", "/settings/tokens"):
        return ask
    try:
        token, secret = personal_tokens.create_token(g.user.id, request.form.to_dict())
    except REFUSALS as e:
        return tokens_page(error=e.message), status_of(e)
    return tokens_page(new_token=secret, new_token_name=token.name), 201


@bp.post("/tokens/<int:token_id>/delete")
@page_login_required
def delete_token(token_id):
    personal_tokens.delete_token(g.user.id, token_id)
    flash("Token deleted: programs using it are signed out.", "info")
    return redirect("/settings/tokens", 303)


def profile_page(status=200, **context):
    return render_template("settings/profile.html", me=profile.me(g.user.id), **context), status


@bp.get("/profile")
@page_login_required
def profile_settings():
    return profile_page()


@bp.post("/profile")
@page_login_required
def update_display_name():
    try:
        profile.update_profile(g.user.id, g.auth_session.id, {"display_name": request.form.get("display_name")}, None)
    except REFUSALS as e:
        return profile_page(status_of(e), error=e.message)
    flash("Display name saved.", "info")
    return redirect("/settings/profile", 303)


@bp.post("/profile/email")
@page_login_required
def change_email():
    if ask := password_unless_recent("Changing your email address", "/settings/profile"):
        return ask
    try:
        profile.update_profile(g.user.id, g.auth_session.id, {"email": request.form.get("email", "")}, site_origin())
    except REFUSALS as e:
        return profile_page(status_of(e), error=e.message)
    flash("Email saved. Follow the link we mailed to it to verify it.", "info")
    return redirect("/settings/profile", 303)


@bp.post("/profile/email/resend")
@page_login_required
def resend_verification():
    profile.resend_verification(g.user.id, site_origin())
    flash("A new verification link is on its way.", "info")
    return redirect("/settings/profile", 303)


@bp.post("/profile/avatar")
@page_login_required
def upload_avatar():
    upload = request.files.get("file")
    try:
        avatars.set_avatar(g.user.id, upload.read() if upload else b"")
    except REFUSALS as e:
        return profile_page(status_of(e), error=e.message)
    flash("Avatar saved.", "info")
    return redirect("/settings/profile", 303)


@bp.post("/profile/avatar/delete")
@page_login_required
def remove_avatar():
    avatars.remove_avatar(g.user.id)
    flash("Avatar removed: your initials are shown instead.", "info")
    return redirect("/settings/profile", 303)
