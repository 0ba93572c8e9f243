"""Errors in the shape of docs/protocol.md: `{"error": code, "message": text}` for JSON clients, a page for people.

The one place a refusal becomes an HTTP status: a rule's code maps to one here; an ApiError carries its own.
"""

import sqlalchemy as sa
from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from hearth.errors import ApiError, DomainError
from hearth.extensions import db

# The code a client branches on for each HTTP status Werkzeug raises by itself.
STATUS_CODES = {
    400: "invalid_input",
    401: "token_missing",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "invalid_input",
    429: "rate_limited",
}
# The status of each code a rule refuses with.
DOMAIN_STATUS = {
    "invalid_input": 400,
    "forbidden": 403,
    "registration_closed": 403,
    "not_found": 404,
    "conflict": 409,
}
# What a view catches to answer a refusal in place (a form shown again, cookies dropped).
REFUSALS = (DomainError, ApiError)


def status_of(error):
    return error.status if isinstance(error, ApiError) else DOMAIN_STATUS.get(error.code, 400)


def headers_of(error):
    return error.headers if isinstance(error, ApiError) else {}


def json_error(error):
    return error_response(status_of(error), error.code, error.message, headers_of(error), **error.extra)


def error_response(status, code, message, headers=None, **extra):
    body = {"error": code, "message": message, **extra}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def wants_json():
    """JSON unless the client is a browser: a form post, or a request that prefers HTML."""
    if request.path.startswith(("/api/", "/ws")) or request.path == "/api" or request.is_json:
        return True
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return False
    accept = request.accept_mimetypes
    return accept["application/json"] >= accept["text/html"]


def _render(status, code, message, headers=None, **extra):
    if wants_json():
        return error_response(status, code, message, headers, **extra)
    page = render_template("error.html", status=status, code=code, message=message)
    return page, status, headers or {}


def handle_refusal(e):
    return _render(status_of(e), e.code, e.message, headers_of(e), **e.extra)


def handle_http_exception(e):
    if e.code is None or e.code < 400:
        return e  # redirects raised by routing pass through untouched
    code = STATUS_CODES.get(e.code, "internal_error" if e.code >= 500 else "invalid_input")
    messages = {
        404: "No such resource.",
        405: f"{request.method} is not allowed here.",
        413: f"The request body is over {request.max_content_length // 1024} KiB.",
    }
    return _render(e.code, code, messages.get(e.code, e.description or e.name))


def handle_database_unavailable(e):
    """The database cannot be reached (down, restarting, failing over): a 503 to retry, not a bug to log in full."""
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, e.orig or e)
    db.session.rollback()
    return _render(
        503,
        "unavailable",
        "The database cannot be reached just now; nothing was changed. Try again.",
        {"Retry-After": "2"},
    )


def handle_unexpected(e):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _render(500, "internal_error", "Something went wrong on our side; it has been logged.")


def init_app(app):
    for refusal in REFUSALS:
        app.register_error_handler(refusal, handle_refusal)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa.exc.OperationalError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
