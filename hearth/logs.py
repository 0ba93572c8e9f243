"""Every line a Hearth process writes is one JSON object: gunicorn's, Flask's, the app's, tracebacks included.

One handler on the root logger renders every record through structlog, whichever
library logged it: `time`, `level`, `logger`, `message`, then `request_id`,
`user_id` and `session_id` when the line belongs to a request, then the line's own
fields, and `exception` (the traceback as text) when there is one. gunicorn gets
the same set-up through `logconfig_dict` (gunicorn.conf.py); every other process
(the `flask` command, tests) through `configure()`, which create_app calls.

A line never holds a token, a cookie or a password: the app logs ids, never
values, and `redact` removes anything shaped like a secret from what others log
(a JWT, a personal access token, a bearer header, a cookie's value).
"""

import contextvars
import json
import logging
import logging.config
import re
import sys
import threading
import time

import structlog

# What a secret looks like inside a line that some library wrote.
SECRET_PATTERNS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[jwt]"),
    (re.compile(r"hearth_pat_[A-Za-z0-9_-]+"), "[token]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1[redacted]"),
    (
        re.compile(
            r"(?i)((?:access_token_cookie|refresh_token_cookie|csrf_access_token|csrf_refresh_token|csrf_token"
            r"|session|password|current_password|new_password|token|totp|secret)=)[^\s&;\"']+"
        ),
        r"\1[redacted]",
    ),
]
SECRET_KEYS = {"password", "token", "cookie", "cookies", "authorization", "secret", "csrf", "totp"}
REQUEST_FIELDS = ("request_id", "user_id", "session_id")
# The fields of the request (or socket) a line is written in: its id from the start, its user and session once a
# guard has found them. The web edge sets it for the length of each request (blueprints/observability.py); like
# Flask's own request context, a new thread or greenlet starts without it.
CURRENT_REQUEST = contextvars.ContextVar("hearth_request_log_fields", default=None)
# Libraries that announce routine start-up steps at INFO in every worker.
QUIET_LOGGERS = {"alembic.runtime.plugins": {"level": "WARNING"}}


def redact(logger, method, entry):
    """Drop fields named like secrets and blank out secret-shaped text in every string."""
    for key in list(entry):
        if key.lower() in SECRET_KEYS:
            entry[key] = "[redacted]"
        elif isinstance(entry[key], str):
            text = entry[key]
            for pattern, replacement in SECRET_PATTERNS:
                text = pattern.sub(replacement, text)
            entry[key] = text
    return entry


def begin_request(request_id):
    """Lines written from here until `end_request(token)` carry this request id; returns that token."""
    return CURRENT_REQUEST.set({"request_id": request_id})


def identify_caller(user_id, session_id):
    """The current request's caller, once known: its lines carry the user and session too."""
    fields = CURRENT_REQUEST.get()
    if fields is not None:
        fields.update(user_id=user_id, session_id=session_id)


def end_request(token):
    CURRENT_REQUEST.reset(token)


def request_context(logger, method, entry):
    """The request id, user and session of the request this line was written in, when there is one."""
    for key, value in (CURRENT_REQUEST.get() or {}).items():
        if value is not None:
            entry.setdefault(key, value)
    return entry


def gunicorn_access_fields(logger, method, entry):
    """gunicorn's access lines become fields (no query string, no referrer: either may carry a secret)."""
    record, atoms = entry.get("_record"), entry.pop("positional_args", None)
    if record is None or record.name != "gunicorn.access" or not hasattr(atoms, "get"):
        return entry
    entry["event"] = "request"
    entry.update(
        method=atoms.get("m"),
        path=atoms.get("U"),
        status=_as_int(atoms.get("s")),
        duration_ms=round(_as_int(atoms.get("D"), 0) / 1000, 2),
        remote=atoms.get("h"),
    )
    request_id = atoms.get("{x-request-id}o")
    if request_id and request_id != "-":
        entry["request_id"] = request_id
    return entry


def _as_int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def order_fields(logger, method, entry):
    """time, level, logger, message first, the request's ids next: the same order on every line."""
    entry.pop("_from_structlog", None)
    head = {key: entry.pop(key) for key in ("time", "level", "logger", "message", *REQUEST_FIELDS) if key in entry}
    return {**head, **entry}


# Run on every line, structlog's own and those of the standard library's loggers.
SHARED_PROCESSORS = [
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    request_context,
]


class JsonLines(structlog.stdlib.ProcessorFormatter):
    """The one formatter: any log record in, one JSON object out."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            pass_foreign_args=True,
            foreign_pre_chain=[*SHARED_PROCESSORS, gunicorn_access_fields],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.EventRenamer("message"),
                redact,
                order_fields,
                structlog.processors.JSONRenderer(default=str, ensure_ascii=False),
            ],
        )


def logging_config(access_log=False):
    """The dictConfig for a whole process: the root logger writes JSON to stderr, everything propagates to it.

    gunicorn's access lines repeat the app's own `request` lines, so they are off unless asked for.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO" if access_log else "WARNING", "handlers": [], "propagate": True},
            **QUIET_LOGGERS,
        },
    }


def configure_structlog():
    """structlog's own loggers hand their entries to the standard library, and so to the one handler."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configured():
    return any(isinstance(h.formatter, JsonLines) for h in logging.getLogger().handlers)


def configure():
    """Set up this process's logging once; a no-op where gunicorn's logconfig_dict already did."""
    configure_structlog()
    capture_uncaught()
    if configured():
        return
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root.addHandler(handler)  # added, not replacing: a test runner's own capture handlers stay
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    for name, settings in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(settings["level"])


def capture_uncaught():
    """Warnings and exceptions nobody caught (main thread, other threads) are log lines too, not bare text."""
    logging.captureWarnings(True)
    crashes = logging.getLogger("hearth.uncaught")

    def on_uncaught(kind, value, traceback):
        crashes.critical("uncaught exception", exc_info=(kind, value, traceback))

    def on_thread_crash(args):
        if args.exc_type is not SystemExit:
            name = args.thread.name if args.thread else "?"
            crashes.error(
                "uncaught exception in thread %s", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
            )

    def on_unraisable(unraisable):
        """An exception Python can only report (in a finalizer, at interpreter exit); logging may be gone by then."""
        if sys.is_finalizing():
            return  # modules torn down under a finalizer (gevent's, logging's): noise on every worker exit
        exc_info = (unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback)
        message = f"exception ignored in {unraisable.object!r}"
        try:
            crashes.warning(message, exc_info=exc_info)
        except Exception:
            try:  # the interpreter is shutting down: one line by hand, still JSON
                now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                line = {
                    "time": now,
                    "level": "warning",
                    "logger": crashes.name,
                    "message": message,
                    "exception": repr(exc_info[1]),
                }
                sys.__stderr__.write(json.dumps(line) + "\n")
            except Exception:
                pass

    sys.excepthook = on_uncaught
    threading.excepthook = on_thread_crash
    sys.unraisablehook = on_unraisable


def capture_greenlet_crashes():
    """gevent prints a failed greenlet's traceback to stderr itself; in a worker it becomes a log line."""
    import gevent

    crashes = logging.getLogger("hearth.uncaught")

    def print_exception(context, kind, value, traceback):
        crashes.error("uncaught exception in greenlet %s", context, exc_info=(kind, value, traceback))

    gevent.get_hub().print_exception = print_exception
