"""Headers every response carries: a strict CSP on pages, nosniff everywhere, HSTS over TLS, and no caching of
anything but static files and avatars (whose URLs change with them): a page or an API answer shows one person's
data, which no shared or back-button cache may keep."""

from flask import current_app, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# A year, the floor browsers' preload lists ask for. Sent only when cookies are Secure: a deployment that
# serves plain HTTP (development) must never tell a browser to refuse it.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def add_security_headers(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
    kept = request.path.startswith("/static/") or (
        request.blueprint in ("avatars", "files") and response.status_code in (200, 304)
    )
    if not kept:  # an avatar's URL names its digest: it may be kept (privately) for good
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SECURE_COOKIES"]:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def init_app(app):
    app.after_request(add_security_headers)
