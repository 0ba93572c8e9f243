"""`/auth`: login (with its two-step code), register, refresh, resume, logout, password, sessions, two-step set-up,
personal access tokens, and the signed-out routes of mailed links (password reset, email verification)."""

from urllib.parse import quote

from flask import Blueprint, current_app, g, jsonify, make_response, redirect, render_template, request
from flask_jwt_extended import unset_jwt_cookies

from blueprints.errors import REFUSALS, headers_of, json_error, status_of
from blueprints.guards import (
    FORM_TYPES,
    auth_required,
    authenticate,
    check_csrf,
    check_origin,
    origin_allowed,
    safe_next,
    site_origin,
)
from blueprints.request_bodies import form_or_json, json_body
from hearth.accounts import personal_tokens, profile, reset, two_factor
from hearth.accounts.carry import SEAL_FIELD, sealed_path
from hearth.accounts.recent_auth import reauthenticate, require_recent_authentication
from hearth.accounts.sessions import (
    end_all_sessions,
    end_session,
    issue_tokens,
    live_sessions,
    rotate_refresh_token,
    set_token_cookies,
    start_session,
)
from hearth.accounts.throttles import throttle
from hearth.accounts.users import (
    change_password,
    check_login,
    check_login_code,
    check_registration,
    find_user,
    register_user,
)
from hearth.errors import ApiError, DomainError
from hearth.validation import blank_or, display_name, parse, password, password_attempt, text, username
from hearth.workspaces import invitations

RESET_SENT = (
    "If that names an account with a verified email address, a link to choose a new password is on its way "
    "there. It works for 30 minutes."
)

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_fields = {"username": text(1, 256), "password": password_attempt}
login_code = {"totp": text(0, 64)}  # a blank code is a wrong one: 401 and counted, like any other


def is_form():
    """An HTML form post (answered with redirects and pages) rather than an API call (answered in JSON)."""
    return request.mimetype in FORM_TYPES


def next_path():
    return safe_next(request.values.get("next"))


def login_url(next_path="/"):
    return "/auth/login" + (f"?next={quote(next_path, safe='/')}" if next_path != "/" else "")


def signed_in(user, status, landing=None):
    """Start a session and answer with its cookies: JSON for API clients, a redirect for forms (to `landing`,
    else where the form came from)."""
    session = start_session(user, request.user_agent.string)
    pair = issue_tokens(session)
    if is_form():
        response = redirect(landing or next_path(), 303)
    else:
        body = {"user": user.to_dict(), "session_id": session.id, "access_expires_at": pair.access_expires_at}
        response = jsonify(body)
        response.status_code = status
    return set_token_cookies(response, pair)


def form_page(template, error):
    """Show the form again with the error, keeping what the person typed (but never the password)."""
    values = {k: v for k, v in request.form.items() if "password" not in k}
    page = render_template(template, error=error.message, values=values, next=next_path())
    return page, status_of(error), headers_of(error)


def signed_in_already():
    """A live access token and refresh token: the login and register forms have nothing to offer.

    Both, because a tab that lost its refresh token is sent here to sign in again even while its
    access token lasts; sending it back would loop.
    """
    try:
        authenticate()
        authenticate(refresh=True)
    except REFUSALS:
        for name in ("user", "auth_session", "access_expires_at"):
            g.pop(name, None)  # the form is shown signed out: no client to keep a half session alive
        return False
    return True


@bp.get("/login")
def login_form():
    if signed_in_already():
        return redirect(next_path(), 303)
    return render_template(
        "auth/login.html",
        next=next_path(),
        values={},
        ended=request.args.get("ended"),
        was_reset=request.args.get("reset"),
    )


@bp.post("/login")
def login():
    try:
        check_origin("forbidden")
        data = form_or_json()
        if is_form() and "totp" in data and "password" not in data:
            return login_code_step(data)
        fields = parse(data, required=login_fields, optional=login_code)
        user = check_login(fields["username"], fields["password"], request.remote_addr, fields.get("totp"))
    except REFUSALS as e:
        if is_form() and e.code == "totp_required":
            return code_step_page(find_user(fields["username"]))
        if is_form():
            return form_page("auth/login.html", e)
        raise
    return signed_in(user, 200)


def code_step_page(user, error=None, status=200):
    """The form's second step: only the code is asked for; the password step is carried by a signed,
    short-lived, httpOnly cookie (never the password, never in the page)."""
    page = render_template("auth/login.html", step="code", next=next_path(), values={}, error=error)
    response = make_response(page, status)
    response.set_cookie(
        two_factor.TICKET_COOKIE,
        two_factor.login_ticket(user),
        max_age=two_factor.TICKET_MAX_AGE,
        path="/auth/login",
        secure=current_app.config["SECURE_COOKIES"],
        httponly=True,
        samesite="Strict",
    )
    return response


def login_code_step(data):
    user = two_factor.user_of_ticket(request.cookies.get(two_factor.TICKET_COOKIE))
    if user is None:
        expired = ApiError(401, "invalid_credentials", "That sign-in took too long: enter your password again.")
        return form_page("auth/login.html", expired)
    try:
        fields = parse(data, required=login_code)
        check_login_code(user, fields["totp"], request.remote_addr)
    except REFUSALS as e:
        response = code_step_page(user, e.message, status_of(e))
        response.headers.update(headers_of(e))
        return response
    response = signed_in(user, 200)
    response.delete_cookie(two_factor.TICKET_COOKIE, path="/auth/login")
    return response


@bp.get("/register")
def register_form():
    if signed_in_already():
        return redirect(next_path(), 303)
    invite = request.args.get("invite", "")
    return render_template("auth/register.html", next=next_path(), values={"invite": invite}, **registration(invite))


def registration(invite):
    """Why the register form may not be used on this site, for the page to say before anyone types."""
    try:
        check_registration(current_app.config["REGISTRATION"], invited=bool(invite))
    except DomainError as e:
        return {"closed": e.message}
    return {"closed": None}


@bp.post("/register")
def register():
    """A new account; with `invite` (a live invitation's token) it joins that workspace too."""
    try:
        check_origin("forbidden")
        throttle().check_register(request.remote_addr)
        fields = parse(
            form_or_json(),
            required={"username": username, "password": password},
            optional={"display_name": blank_or(display_name), "invite": text(0, 200)},
        )
        mode = current_app.config["REGISTRATION"]
        name, secret, shown = fields["username"], fields["password"], fields.get("display_name")
        if fields.get("invite"):
            user, workspace = invitations.sign_up(name, secret, shown, fields["invite"], mode)
        else:
            check_registration(mode, invited=False)
            user, workspace = register_user(name, secret, shown), None
    except REFUSALS as e:
        if is_form():
            return form_page("auth/register.html", e)
        raise
    return signed_in(user, 201, landing=f"/w/{workspace.id}" if workspace else None)


def refreshed_session():
    """Authenticate the refresh cookie, check CSRF and Origin, and rotate: (session, "rotated" | "grace")."""
    claims = authenticate(refresh=True)
    check_csrf(claims, refresh=True)
    check_origin("csrf_failed")
    return rotate_refresh_token(claims["sid"], claims["jti"])


def signed_out(response):
    """Drop the cookies, but only for a request from our own pages that showed the refresh cookie.

    A cross-site post carries no cookie (SameSite) and cannot end the session: clearing the
    browser's cookies for it would sign the person out and leave their session live.
    """
    origin = request.headers.get("Origin")
    if request.cookies.get(current_app.config["JWT_REFRESH_COOKIE_NAME"]) and (
        origin is None or origin_allowed(origin)
    ):
        unset_jwt_cookies(response)
    return response


@bp.post("/refresh")
def refresh():
    try:
        session, _outcome = refreshed_session()
        pair = issue_tokens(session)
    except REFUSALS as e:
        if status_of(e) == 401:  # the session is over: its cookies go with it
            return signed_out(json_error(e))
        raise
    return set_token_cookies(jsonify({"access_expires_at": pair.access_expires_at}), pair)


@bp.get("/resume")
def resume_page():
    """A page that posts itself: the browser comes back with fresh tokens, and no GET changes state."""
    csrf = request.cookies.get("csrf_refresh_token")
    if not csrf:
        return redirect(login_url(next_path()), 303)
    return render_template("auth/resume.html", csrf=csrf, next=next_path())


@bp.post("/resume")
def resume():
    try:
        session, outcome = refreshed_session()
        pair = issue_tokens(session)
    except REFUSALS as e:
        if status_of(e) == 401:  # the session is over: log in again, then come back
            return signed_out(redirect(login_url(next_path()), 303))
        raise
    # A carried form is posted again (307 keeps the method and the body with its seal), only after a real
    # rotation: a resubmitted resume page finds its token already rotated and just goes back to the page.
    path = outcome == "rotated" and sealed_path(request.form.get(SEAL_FIELD), session.id)
    if path:
        return set_token_cookies(redirect(path, 307), pair)
    return set_token_cookies(redirect(next_path(), 303), pair)


def logout_response(e=None):
    if is_form():
        return signed_out(redirect(login_url(), 303))
    return signed_out(json_error(e) if e else make_response("", 204))


@bp.post("/logout")
def logout():
    return end_and_sign_out(lambda claims: end_session(int(claims["sub"]), claims["sid"], reason="logout"))


@bp.post("/logout-all")
def logout_all():
    return end_and_sign_out(lambda claims: end_all_sessions(int(claims["sub"]), reason="logout"))


def end_and_sign_out(end):
    """Logout works with an expired access token: it shows the refresh cookie instead."""
    try:
        claims = authenticate(refresh=True)
    except REFUSALS as e:
        return logout_response(e)  # no live session to end: just drop the cookies
    check_csrf(claims, refresh=True)
    check_origin("csrf_failed")
    end(claims)
    return logout_response()


@bp.post("/password", endpoint="change_password")
@auth_required
def password_change():
    fields = parse(json_body(), required={"current_password": password_attempt, "new_password": password})
    change_password(g.user.id, fields["current_password"], fields["new_password"], g.auth_session.id)
    return "", 204


@bp.post("/reauthenticate")
@auth_required
def reauthenticate_session():
    """The password again, for the changes that need it recent (hearth/accounts/recent_auth.py)."""
    fields = parse(json_body(), required={"password": password_attempt})
    reauthenticate(g.user.id, fields["password"], g.auth_session.id)
    return "", 204


@bp.get("/sessions")
@auth_required
def sessions():
    current = g.auth_session.id
    return jsonify([s.to_dict(current_id=current) for s in live_sessions(g.user.id)])


@bp.delete("/sessions/<int:session_id>", endpoint="end_session")
@auth_required
def revoke_session(session_id):
    if session_id != g.auth_session.id:  # ending one's own session is signing out; another's, a takeover's tool
        require_recent_authentication(g.auth_session.id)
    if not end_session(g.user.id, session_id, reason="revoked"):
        raise ApiError(404, "not_found", "No such session.")
    return "", 204


@bp.post("/2fa/setup")
@auth_required
def two_factor_setup():
    return jsonify(two_factor.begin_setup(g.user.id))


@bp.post("/2fa/enable")
@auth_required
def two_factor_enable():
    require_recent_authentication(g.auth_session.id)
    fields = parse(json_body(), required={"code": text(1, 64)})
    return jsonify({"recovery_codes": two_factor.enable(g.user.id, fields["code"])})


@bp.post("/2fa/disable")
@auth_required
def two_factor_disable():
    fields = parse(json_body(), required={"password": password_attempt})
    reauthenticate(g.user.id, fields["password"], g.auth_session.id)
    two_factor.disable(g.user.id)
    return "", 204


@bp.get("/tokens")
@auth_required
def tokens():
    return jsonify([token.to_dict() for token in personal_tokens.tokens_of(g.user.id)])


@bp.post("/tokens")
@auth_required
def create_token():
    require_recent_authentication(g.auth_session.id)
    token, secret = personal_tokens.create_token(g.user.id, json_body)
    shown = {key: value for key, value in token.to_dict().items() if key != "last_used_at"}
    return jsonify({**shown, "token": secret}), 201


@bp.delete("/tokens/<int:token_id>")
@auth_required
def delete_token(token_id):
    personal_tokens.delete_token(g.user.id, token_id)
    return "", 204


@bp.get("/password-reset")
def password_reset_form():
    return render_template("auth/forgot.html", values={})


@bp.post("/password-reset")
def password_reset_request():
    """202 whatever the login names (section "Email" of docs/protocol.md): nothing tells accounts apart."""
    try:
        check_origin("forbidden")
        fields = parse(form_or_json(), required={"login": text(1, 254)})
    except REFUSALS as e:
        if is_form():
            return form_page("auth/forgot.html", e)
        raise
    reset.request_reset(fields["login"], request.remote_addr, site_origin())
    if is_form():
        return render_template("auth/forgot.html", values={}, sent=RESET_SENT), 202
    return "", 202


def new_password_fields():
    data = form_or_json()
    fields = parse(data, required={"password": password}, optional=login_code)
    if is_form() and data.get("confirm_password") != data.get("password"):
        raise DomainError("invalid_input", "The two new passwords differ.", fields=["confirm_password"])
    return fields


@bp.get("/reset/<token>")
def password_reset_page(token):
    found = reset.reset_link(token)
    if found is None:
        raise reset.not_found()
    return render_template("auth/reset.html", token=token, two_factor=found[1].two_factor)


@bp.post("/password-reset/<token>")
def password_reset(token):
    try:
        check_origin("forbidden")
        reset.reset_password(token, new_password_fields, request.remote_addr)
    except REFUSALS as e:
        if is_form() and e.code != "not_found":
            found = reset.reset_link(token)
            page = render_template(
                "auth/reset.html", token=token, two_factor=bool(found and found[1].two_factor), error=e.message
            )
            return page, status_of(e), headers_of(e)
        raise
    if is_form():
        return redirect("/auth/login?reset=1", 303)
    return "", 204


@bp.get("/verify-email/<token>")
def verify_email_page(token):
    if profile.verification_link(token) is None:
        raise ApiError(404, "not_found", "This link does not work: it was used, it expired, or the address changed.")
    return render_template("auth/verify_email.html", token=token)


@bp.post("/verify-email/<token>")
def verify_email(token):
    check_origin("forbidden")
    user = profile.verify_email(token)
    if is_form():
        return render_template("auth/verify_email.html", verified=user.email)
    return "", 204
