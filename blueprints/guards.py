"""Who is asking, and may they: token, CSRF and Origin checks for JSON routes, pages and the socket.

Checks run in the order docs/protocol.md gives — token (401), then CSRF and Origin (403) —
and every failure is an ApiError carrying its documented code. A write that
passed them counts toward its user's write limit (429): a forged request
spends nothing of its victim's.

Routes that take personal access tokens (`/api/*`, `/ws`) look at the
`Authorization` header first: when it is there, it alone decides (cookies are
ignored), and no CSRF or Origin check applies — a browser never attaches the
header by itself, so a forged cross-site request cannot carry one.
"""

import functools
from hmac import compare_digest
from urllib.parse import quote, urlsplit

from flask import current_app, g, redirect, render_template, request
from flask_jwt_extended import decode_token as decode_jwt
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import ExpiredSignatureError, PyJWTError

from hearth import logs
from hearth.accounts.carry import SEAL_FIELD, SPENT, open_seal, seal_form
from hearth.accounts.personal_tokens import authenticate_bearer
from hearth.accounts.sessions import REJECTION_MESSAGES, live_session
from hearth.accounts.throttles import throttle
from hearth.accounts.tokens import decode_token, expired_token_code
from hearth.errors import ApiError

MUTATING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_COOKIES = {False: "csrf_access_token", True: "csrf_refresh_token"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def authenticate(refresh=False):
    """Verify the access (or refresh) cookie and its session; returns the claims.

    The request's caller is `g.user`, and its live session `g.auth_session`, from here on.
    """
    kind = "refresh" if refresh else "access"
    encoded = request.cookies.get(jwt_config.refresh_cookie_name if refresh else jwt_config.access_cookie_name)
    if not encoded:
        raise ApiError(401, "token_missing", f"No {kind} token: please log in.")
    try:
        claims = decode_token(encoded, kind)
    except ExpiredSignatureError:
        # A token of an ended session says so even when it has also expired.
        code = expired_token_code(encoded, kind) or "token_expired"
        message = REJECTION_MESSAGES.get(code, f"The {kind} token has expired.")
        raise ApiError(401, code, message) from None
    except (JWTExtendedException, PyJWTError):
        raise ApiError(401, "token_invalid", f"The {kind} token is not valid.") from None
    session, code = live_session(claims)
    if session is None:
        raise ApiError(401, code, REJECTION_MESSAGES[code])
    g.auth_session, g.user = session, session.user
    logs.identify_caller(g.user.id, session.id)
    if not refresh:
        g.access_expires_at = claims["exp"]  # pages hand it to the client, which refreshes shortly before
    return claims


def check_csrf(claims, refresh=False):
    """Double submit: the header (or a form's csrf_token) must equal the CSRF value inside the token."""
    sent = request.headers.get("X-CSRF-TOKEN")
    if not sent and request.mimetype in FORM_TYPES:
        sent = request.form.get("csrf_token")
    expected = claims.get("csrf")
    if not sent or not expected or not compare_digest(str(sent), str(expected)):
        cookie = CSRF_COOKIES[refresh]
        raise ApiError(403, "csrf_failed", f"Missing or wrong X-CSRF-TOKEN: send the {cookie} cookie's value.")


def own_origin():
    return f"{request.scheme}://{request.host}"


def site_origin():
    """The origin mailed links point to: HEARTH_BASE_URL, else this request's own (its Host is the client's word,
    so a production site sets HEARTH_BASE_URL)."""
    return current_app.config["BASE_URL"] or own_origin()


def origin_allowed(origin):
    return origin is not None and (origin == own_origin() or origin in current_app.config["ALLOWED_ORIGINS"])


def check_origin(code, required=False):
    """Refuse a request whose Origin names another site (`null` included)."""
    origin = request.headers.get("Origin")
    if origin is None and not required:
        return  # clients other than browsers send none; the CSRF token still guards them
    if not origin_allowed(origin):
        raise ApiError(403, code, "Requests from another origin are refused.")


def check_write(claims, refresh=False, sealed=False):
    """A write by a signed-in user: CSRF (or a carried form's seal), then Origin, then the user's write limit."""
    if not sealed:
        check_csrf(claims, refresh=refresh)
    check_origin("csrf_failed")
    throttle().check_write(g.user.id)


def bearer_header():
    """The Authorization header when it names the Bearer scheme (a malformed token counts), else None.

    Other schemes are not ours: a browser behind a proxy with HTTP Basic auth sends `Basic …` on every
    request, and its cookies must still decide.
    """
    header = request.headers.get("Authorization")
    if header is None or header.split(" ", 1)[0].lower() != "bearer":
        return None
    return header


def authenticate_token(header):
    """A personal access token: the request's user and session come from it alone."""
    g.auth_session = authenticate_bearer(header)
    g.by_token = True  # what the request sends is signed "via" the token's name (messages)
    g.user = g.auth_session.user
    logs.identify_caller(g.user.id, g.auth_session.id)


def auth_required(view=None, *, refresh=False, bearer=False):
    """For JSON routes: a live session, and on mutating methods CSRF and a same-origin Origin.

    With `bearer`, a personal access token in the Authorization header is accepted instead (no CSRF, no Origin).
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            header = bearer_header() if bearer else None
            if header is not None:
                authenticate_token(header)
                if request.method in MUTATING_METHODS:
                    throttle().check_write(g.user.id)  # a program's writes are limited like a person's
                return view(*args, **kwargs)
            claims = authenticate(refresh=refresh)
            if request.method in MUTATING_METHODS:
                check_write(claims, refresh=refresh)
            return view(*args, **kwargs)

        return wrapped

    return decorate(view) if view else decorate


def page_login_required(view):
    """For HTML pages: without a valid access token, go through /auth/resume and come back.

    A form posted with an expired token goes too, sealed (see hearth/accounts/carry.py), and comes
    back as a 307 carrying the seal, which stands in for the CSRF field.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            claims = authenticate()
        except ApiError as e:
            seal = e.code == "token_expired" and is_form_post() and origin_ok() and seal_expired_post()
            if seal:
                csrf = request.cookies.get("csrf_refresh_token", "")
                return render_template("auth/resume.html", csrf=csrf, next=current_path(), seal=seal)
            return redirect("/auth/resume?next=" + quote(current_path(), safe="/"), 303)
        if request.method in MUTATING_METHODS:
            carried = open_seal(request.form.get(SEAL_FIELD), claims["sid"], request.path) if is_form_post() else None
            if carried is SPENT:
                return redirect(request.path, 303)  # carried out before: back to the page, nothing done again
            if carried is not None:
                request.form = carried  # the form as first posted (less any password: the page asks again)
            check_write(claims, sealed=carried is not None)
        return view(*args, **kwargs)

    return wrapped


def seal_expired_post():
    """The sealed form of this form post when its access token has merely expired, else None.

    The caller has seen the token refused and checked the Origin; here the token
    must be expired but otherwise sound, with a CSRF field that matches it.
    """
    try:
        claims = decode_jwt(request.cookies[current_app.config["JWT_ACCESS_COOKIE_NAME"]], allow_expired=True)
    except Exception:  # missing, forged, revoked: nothing to carry
        return None
    return seal_form(claims, request.path, request.form)


def is_form_post():
    return request.method == "POST" and request.mimetype in FORM_TYPES


def origin_ok():
    origin = request.headers.get("Origin")
    return origin is None or origin_allowed(origin)


def current_path():
    return request.full_path.rstrip("?") if request.query_string else request.path


def safe_next(value, default="/"):
    """Only same-origin relative paths: no scheme, no host, no `//` or `/\\` tricks, no control characters."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 0x21 or ch in "\\\x7f" for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
