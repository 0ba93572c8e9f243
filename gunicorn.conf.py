"""gunicorn settings: gevent workers so one process holds thousands of sockets."""

import os
import tempfile

from hearth.logs import logging_config

# prometheus-client's multiprocess mode: each worker writes its metrics to files in this folder.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="hearth-metrics-"))

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_class = "gevent"
# Each open WebSocket holds one of these; gevent's default of 1000 would cap a worker at 1000 sockets.
worker_connections = int(os.environ.get("HEARTH_WORKER_CONNECTIONS", "20000"))
# On SIGTERM a worker has this long to close its sockets (with 1001) and finish requests.
graceful_timeout = int(os.environ.get("HEARTH_GRACEFUL_TIMEOUT", "10"))
timeout = 30
keepalive = 5
# Every line is JSON (hearth/logs.py), gunicorn's own included; its access lines repeat the app's
# `request` lines, so they are written only when HEARTH_ACCESS_LOG is set.
logconfig_dict = logging_config(access_log=bool(os.environ.get("HEARTH_ACCESS_LOG")))
access_log_format = "%(m)s %(U)s %(s)s"  # no query string or referrer, which may carry a secret
errorlog = "-"
# gunicorn's runtime control socket is unused here, and one fixed path would clash between instances on a host.
control_socket_disable = True
# deploy/hearth-restart (a restart without a gap: USR2, then TERM to the old master) finds the masters by it
pidfile = os.environ.get("HEARTH_PIDFILE") or None


def on_starting(server):
    """The in-process broker reaches one process only: more workers need Redis."""
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(metrics_dir, exist_ok=True)
    for name in os.listdir(metrics_dir):  # figures of an earlier run would be added to this one's
        os.remove(os.path.join(metrics_dir, name))
    if server.cfg.workers > 1 and not os.environ.get("REDIS_URL"):
        raise RuntimeError(
            f"WEB_CONCURRENCY={server.cfg.workers} needs REDIS_URL: without Redis the in-process "
            "broker cannot reach the other workers. Set REDIS_URL=redis://host:6379/0, or run one worker."
        )


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _close_sockets(worker):
    worker.wsgi.extensions["hearth.sockets"].go_away()


def post_worker_init(worker):
    """Freeze start-up objects out of the collector's sight; close sockets with 1001 on SIGTERM.

    gc.freeze(): the app's modules, routes and config never die, and a gen-2 collection
    that walks them all is a pause in the middle of a fan-out. HEARTH_GC_FREEZE=0 turns it off
    (the benchmark compares both).
    """
    import gc
    import signal

    import gevent

    from hearth.logs import capture_greenlet_crashes

    capture_greenlet_crashes()
    # the broker listens from boot, sockets or not: other workers' revocations must reach this one's session cache
    worker.wsgi.extensions["hearth.broker"].start()
    worker.wsgi.extensions["hearth.sockets"].start()
    if os.environ.get("HEARTH_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()

    def on_term(sig, frame):
        gevent.spawn(_close_sockets, worker)
        worker.handle_exit(sig, frame)

    signal.signal(signal.SIGTERM, on_term)
    if worker.cfg.pidfile:  # this master serves now: deploy/hearth-restart may stop the one before it
        with open(f"{worker.cfg.pidfile}.ready", "w") as ready:
            ready.write(str(worker.ppid))


def worker_int(worker):
    """SIGINT or SIGQUIT: the same 1001 close, just before the worker exits."""
    import gevent

    _close_sockets(worker)
    gevent.sleep(0.1)
