"""Hearth with routes that fail on purpose, for tests of what an unexpected error writes to the log.

Served by gunicorn like `app:app` (tests/servers.py, `Hearth(app="crashing_app:app")`).
"""

import threading
import warnings

import gevent
from flask import request

from app import create_app
from blueprints.guards import authenticate

app = create_app()


@app.get("/boom")
def boom():
    """An exception out of a signed-in view: the app's error handler logs it and answers 500."""
    authenticate()
    raise RuntimeError(f"boom, on purpose (query was {request.query_string.decode()})")


@app.post("/boom/elsewhere")
def boom_elsewhere():
    """Failures nobody catches: a thread, a greenlet and a warning, each left to print itself."""
    warnings.warn("a warning, on purpose", UserWarning, stacklevel=1)
    threading.Thread(target=fail, args=("thread",), name="doomed-thread").start()
    gevent.spawn(fail, "greenlet")
    return "", 204


def fail(where):
    raise ValueError(f"{where} failed on purpose")
