"""Configuration: defaults, then `HEARTH_*` from the environment, then the caller's overrides.

Every duration is in seconds. The JWT settings are derived from Hearth's own
names so that the documented variables are the only knobs a deployer sees.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

# Keys that ship in examples and tutorials; a production secret must be none of them.
WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "hearth", "test"}
MIN_SECRET_LENGTH = 32
REGISTRATION_MODES = ("open", "invite", "closed")


class Config:
    ENV = "production"  # production | development | testing
    SECRET_KEY = None
    SECURE_COOKIES = None  # None: true outside development and testing
    ACCESS_TTL = 300
    REFRESH_TTL = 14 * 24 * 3600
    SESSION_MAX_AGE = 30 * 24 * 3600
    REUSE_GRACE = 10
    SESSION_CACHE_TTL = 2.0
    ALLOWED_ORIGINS = ""
    TRUSTED_PROXIES = 0
    REGISTER_LIMIT = "20/minute"
    REGISTRATION = "open"  # open | invite (sign-up needs an invitation) | closed (only site admins add accounts)
    LOGIN_USERNAME_LIMIT = "10/5minutes"
    LOGIN_ADDRESS_LIMIT = "30/5minutes"
    LOGIN_SUCCESS_LIMIT = "10/minute"  # correct logins per username: each costs a hash and starts a session
    PASSWORD_CHANGE_LIMIT = "10/5minutes"  # wrong current passwords per session
    PASSKEY_RP_ID = None  # the relying party id of passkeys; None: the request's host without its port
    PASSKEY_OPTIONS_LIMIT = "30/minute"  # passkey sign-in challenges per client address (each is a row for 5 min)
    REAUTH_WINDOW = 600  # a session's password is recent this long: two-step, tokens, ending other sessions
    MAX_SESSIONS_PER_USER = 20  # live sessions; a new one ends those used longest ago
    API_WRITE_RATE = 10  # mutating /api requests per user and second, as socket publishes
    API_WRITE_BURST = 30
    MEMBER_ADD_LIMIT = "30/10minutes"
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"
    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_SOCKETS_PER_USER = 50
    PRESENCE_GRACE = 5
    SOCKET_RECHECK = 60
    KEEP_EVENTS = 1000  # per topic, for `flask prune`: a resume further back than this reloads over HTTP
    METRICS_TOKEN = None
    SMTP_URL = None  # none: each mail is a log line (hearth/mail.py)
    MAIL_FROM = "Hearth <hearth@localhost>"
    MAIL_RETRY_FOR = 600  # seconds an undelivered mail is tried again before it is dropped
    BASE_URL = None  # the site's address in mailed links; none: the request's own origin
    PASSWORD_RESET_ACCOUNT_LIMIT = "5/hour"
    PASSWORD_RESET_ADDRESS_LIMIT = "20/hour"
    MAX_UPLOAD = 25 * 1024 * 1024  # an uploaded avatar or file; JSON bodies keep MAX_CONTENT_LENGTH
    FILE_DIR = None  # where uploaded files live, shared by every host; None: instance/files
    SQLALCHEMY_DATABASE_URI = None
    REDIS_URL = None


def load_config(app, overrides=None):
    """Fill app.config from defaults, the environment and overrides, then derive the rest."""
    app.config.from_object(Config)
    app.config.from_prefixed_env("HEARTH")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    app.config.update(overrides or {})

    cfg = app.config
    cfg["ENV"] = str(cfg["ENV"]).lower()
    cfg["TESTING"] = cfg.get("TESTING") or cfg["ENV"] == "testing"
    for key in (
        "ACCESS_TTL",
        "REFRESH_TTL",
        "SESSION_MAX_AGE",
        "REUSE_GRACE",
        "TRUSTED_PROXIES",
        "MAX_SOCKETS_PER_USER",
        "MAX_SESSIONS_PER_USER",
        "PRESENCE_GRACE",
        "SOCKET_RECHECK",
        "KEEP_EVENTS",
        "REAUTH_WINDOW",
        "MAIL_RETRY_FOR",
        "MAX_UPLOAD",
    ):
        cfg[key] = int(cfg[key])
    cfg["SESSION_CACHE_TTL"] = float(cfg["SESSION_CACHE_TTL"])
    cfg["REGISTRATION"] = str(cfg["REGISTRATION"]).strip().lower()
    if cfg["REGISTRATION"] not in REGISTRATION_MODES:
        modes = ", ".join(REGISTRATION_MODES)
        raise RuntimeError(f"HEARTH_REGISTRATION must be one of {modes}, not {cfg['REGISTRATION']!r}.")
    cfg["API_WRITE_RATE"], cfg["API_WRITE_BURST"] = float(cfg["API_WRITE_RATE"]), int(cfg["API_WRITE_BURST"])
    if cfg["SECURE_COOKIES"] is None:
        cfg["SECURE_COOKIES"] = cfg["ENV"] not in ("development", "testing")
    cfg["SECURE_COOKIES"] = as_bool(cfg["SECURE_COOKIES"])
    # Flask's own cookie carries only flashed notices between a form post and its page.
    cfg.update(SESSION_COOKIE_SECURE=cfg["SECURE_COOKIES"], SESSION_COOKIE_SAMESITE="Lax")
    cfg["ALLOWED_ORIGINS"] = as_list(cfg["ALLOWED_ORIGINS"])
    cfg["BASE_URL"] = str(cfg["BASE_URL"]).rstrip("/") if cfg["BASE_URL"] else None
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url(cfg["SQLALCHEMY_DATABASE_URI"], app.instance_path)
    # A logged database error never shows the values bound to its query: message text, hashes, token ids.
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 15}, "hide_parameters": True})
    else:  # a server that restarted left dead connections in the pool: test each before use (one round trip)
        cfg.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True, "hide_parameters": True})
    cfg["SECRET_KEY"] = secret_key(cfg, app.instance_path)
    cfg["FILE_DIR"] = str(cfg["FILE_DIR"] or Path(app.instance_path) / "files")
    cfg.update(jwt_settings(cfg))


def jwt_settings(cfg):
    """flask-jwt-extended in cookie mode with its own cookie names, CSRF values and a pinned algorithm."""
    return {
        "JWT_SECRET_KEY": cfg["SECRET_KEY"],
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "JWT_TOKEN_LOCATION": ["cookies"],
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=cfg["ACCESS_TTL"]),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(seconds=cfg["REFRESH_TTL"]),
        "JWT_COOKIE_SECURE": cfg["SECURE_COOKIES"],
        "JWT_COOKIE_SAMESITE": "Lax",
        "JWT_SESSION_COOKIE": False,
        "JWT_ACCESS_COOKIE_PATH": "/",
        "JWT_REFRESH_COOKIE_PATH": "/auth",
        "JWT_ACCESS_CSRF_COOKIE_PATH": "/",
        "JWT_REFRESH_CSRF_COOKIE_PATH": "/",
        # The extension mints the CSRF values and cookies; guards.py checks them, so that
        # a token error (401) is reported before a CSRF error (403) as docs/protocol.md orders them.
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_METHODS": [],
    }


def secret_key(cfg, instance_path):
    """The configured secret; in development one generated once and kept in instance/."""
    key = cfg.get("SECRET_KEY")
    if key:
        key = str(key)
        if cfg["ENV"] == "production" and (len(key) < MIN_SECRET_LENGTH or key.lower() in WEAK_SECRETS):
            raise RuntimeError(
                f"HEARTH_SECRET_KEY is too weak for production: use at least {MIN_SECRET_LENGTH} "
                "random characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
        return key
    if cfg["ENV"] == "production":
        raise RuntimeError(
            "HEARTH_SECRET_KEY is required in production. Set it to a long random value "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), "
            "or set HEARTH_ENV=development for a local instance."
        )
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def database_url(url, instance_path):
    """DATABASE_URL as SQLAlchemy wants it; SQLite in instance/ when none is given."""
    if not url:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        return "sqlite:///" + str(Path(instance_path) / "hearth.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def as_bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def as_list(value):
    if isinstance(value, (list, tuple)):
        return [str(v).strip().rstrip("/") for v in value if str(v).strip()]
    if isinstance(value, str) and value.strip().startswith("["):
        return as_list(json.loads(value))
    return [v.strip().rstrip("/") for v in str(value or "").split(",") if v.strip()]
