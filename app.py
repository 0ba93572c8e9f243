"""The app factory, and the `app` that gunicorn serves and the `flask` command finds."""

import io
import re
import tempfile
from pathlib import Path

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from blueprints import errors, observability, security_headers
from hearth import __version__, cli, mail
from hearth.accounts import personal_tokens, sessions, throttles
from hearth.config import load_config
from hearth.extensions import db, jwt, migrate, sock
from hearth.realtime import announce, broker, upgrade
from hearth.realtime import service as sockets
from hearth.validation import MAX_ID


def create_app(config=None):
    """Build a Hearth app; `config` overrides what the environment says (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RowId
    load_config(app, config)
    app.wsgi_app = BoundedChunkedBody(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"], app.config["MAX_UPLOAD"])
    trusted = app.config["TRUSTED_PROXIES"]
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)

    observability.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    jwt.init_app(app)
    sock.init_app(app)
    upgrade.init_app(app)  # the socket options flask-sock hands simple-websocket
    errors.init_app(app)
    broker.init_app(app)
    announce.init_app(app)
    sessions.init_app(app)
    personal_tokens.init_app(app)
    throttles.init_app(app)
    mail.init_app(app)
    security_headers.init_app(app)
    cli.init_app(app)
    sockets.init_app(app)
    app.before_request(refuse_early)
    app.session_interface = FlashOnlySessions()
    app.jinja_env.globals["hearth_version"] = __version__  # the footer of every page

    from blueprints import api, auth, avatars, files, health, pages, passkeys, settings, ws

    for blueprint in (health.bp, auth.bp, passkeys.bp, api.bp, pages.bp, settings.bp, ws.bp, avatars.bp, files.bp):
        app.register_blueprint(blueprint)
    return app


class RowId(IntegerConverter):
    """`<int:…>` in a route: a number no id column can hold is no resource (404 whatever the method), never SQL."""

    def to_python(self, value):
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


class FlashOnlySessions(SecureCookieSessionInterface):
    """Flask's cookie session carries only flashed notices: without its cookie there is nothing to decode."""

    def open_session(self, app, request):
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


class BoundedChunkedBody:
    """A body sent in chunks (no Content-Length) is read here, up to one byte past the limit, and handed on
    with its length: every later check treats it like any other body, and an oversized one is a 413.

    An upload's limit is HEARTH_MAX_UPLOAD, and its body is spooled to a temporary file as it is read
    (in memory only up to SPOOL_IN_MEMORY), never held whole."""

    SPOOL_IN_MEMORY = 1024 * 1024
    UPLOAD_PATHS = re.compile(r"/api/(channels|cards)/\d+/files|/api/me/avatar|/settings/profile/avatar")

    def __init__(self, wsgi_app, limit, upload_limit=None):
        self.wsgi_app, self.limit, self.upload_limit = wsgi_app, limit, upload_limit or limit

    def __call__(self, environ, start_response):
        if environ.get("CONTENT_LENGTH") is None and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            if self.UPLOAD_PATHS.fullmatch(environ.get("PATH_INFO", "")):
                body = self.spooled(environ["wsgi.input"], self.upload_limit + 1)
            else:
                body = io.BytesIO(environ["wsgi.input"].read(self.limit + 1))
            length = body.seek(0, io.SEEK_END)
            body.seek(0)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = body, str(length)
            del environ["HTTP_TRANSFER_ENCODING"]  # the body the app reads is no longer chunked
        return self.wsgi_app(environ, start_response)

    def spooled(self, stream, most):
        body = tempfile.SpooledTemporaryFile(max_size=self.SPOOL_IN_MEMORY)
        while most > 0 and (chunk := stream.read(min(64 * 1024, most))):
            body.write(chunk)
            most -= len(chunk)
        return body


UPLOADS = {"api.put_avatar", "settings.upload_avatar", "api.upload_channel_file", "api.upload_card_file"}


def refuse_early():
    """Route and body-size errors come before any token check, in the order docs/protocol.md gives.

    OPTIONS asks what a route allows, which needs no token: it is answered here, for everyone alike.
    """
    if request.routing_exception is not None:
        current_app.raise_routing_exception(request)
    if request.method == "OPTIONS":
        return current_app.make_default_options_response()
    if request.endpoint in UPLOADS:  # a picture is no JSON body: its own limit
        request.max_content_length = current_app.config["MAX_UPLOAD"]
    length = request.content_length
    if length is not None and length > request.max_content_length:
        raise RequestEntityTooLarge()


_app = None


def __getattr__(name):
    """`app` is built on first use, so importing create_app never needs a production config."""
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(name)
