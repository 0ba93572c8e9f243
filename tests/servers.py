"""Real servers for integration tests: Hearth under gunicorn, Redis and PostgreSQL, each on a free loopback port."""

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from support import drop_database, new_database, wait_until

ROOT = Path(__file__).resolve().parent.parent
SECRET = "live-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(name, package):
    """The path of a server binary; outside CI a missing one skips with how to install it."""
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if found:
        return str(found)
    message = f"{name} is not installed: `apt-get install -y {package}` to run this test"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run every test)")
    pytest.skip(message)


def end_process(process, sig=signal.SIGTERM, timeout=20):
    """Signal a server and wait for it to exit; one that will not is killed."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_hearth(env=None, *, workers=1, app="app:app", database_kind=None, request=None, wait=True):
    """A started Hearth with these settings, stopped afterwards. With a `database_kind` (and the asking fixture's
    `request`) it runs on a database of its own of that kind, dropped afterwards; without, on SQLite in its folder."""
    database = new_database(database_kind, request) if database_kind else None
    hearth = Hearth(env=env, workers=workers, database=database, app=app)
    try:
        yield hearth.start(wait=wait)
    finally:
        hearth.stop()
        if database:
            drop_database(database_kind, request, database)


def live_server(env=None, *, scope="module", workers=1, app="app:app", each_database=False):
    """A module's `server` fixture: Hearth under gunicorn with the settings the module tests.

    Assign it to the name the tests ask for (`server = live_server({...})`). One server is shared by the
    module's tests (scope="module", or "package" for a conftest), or each test gets its own (scope="function");
    with `each_database` it runs on SQLite and then on PostgreSQL, like the test client's tests.
    """
    if each_database:

        @pytest.fixture(scope=scope)
        def server(database_kind, request):
            with running_hearth(env, workers=workers, app=app, database_kind=database_kind, request=request) as hearth:
                yield hearth

    else:

        @pytest.fixture(scope=scope)
        def server():
            with running_hearth(env, workers=workers, app=app) as hearth:
                yield hearth

    return server


class Hearth:
    """Hearth served by gunicorn (gevent worker) as `make run` serves it, on its own database."""

    # a re-exec (USR2) needs the `gunicorn` script: `python -m` would re-run gunicorn/__main__.py by path,
    # with the gunicorn package's own folder (and its `http`) first on sys.path
    gunicorn = (sys.executable, "-m", "gunicorn")

    def __init__(self, env=None, workers=1, database=None, app="app:app"):
        self.app = app  # another module under tests/ (e.g. crashing_app:app) serves a variant of Hearth
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.mkdtemp(prefix="hearth-live-")
        self.env = {
            **os.environ,
            "HEARTH_ENV": "testing",
            "HEARTH_SECRET_KEY": SECRET,
            "HEARTH_PASSWORD_HASH_PROFILE": "CHEAPEST",
            "HEARTH_REGISTER_LIMIT": "1000/minute",
            "HEARTH_API_WRITE_BURST": "100000",  # set-ups write fast; tests/security attacks the limit itself
            "DATABASE_URL": database or f"sqlite:///{self.tmp}/hearth.db",
            "HEARTH_FILE_DIR": f"{self.tmp}/files",
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(workers),
            **(env or {}),
        }
        self.process = None
        self.log = open(Path(self.tmp) / "server.log", "w+")

    def migrate(self):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self, wait=True):
        self.migrate()
        self.process = subprocess.Popen(
            [*self.gunicorn, "--config", "gunicorn.conf.py", *self.pythonpath(), self.app],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        # generous: the suite runs a module per core, so a server may boot beside another module's load
        if wait and not wait_until(self.ready, timeout=60):
            output = self.output()
            self.stop()
            raise RuntimeError("Hearth did not start:\n" + output)
        return self

    def pythonpath(self):
        return [] if self.app == "app:app" else ["--pythonpath", str(ROOT / "tests")]

    def ready(self):
        if self.process.poll() is not None:
            raise RuntimeError("Hearth exited:\n" + self.output())
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # a worker still booting may not answer within the second
            return False

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self, sig=signal.SIGINT, timeout=20):
        """Quick shutdown by default: a graceful one waits out every idle keep-alive connection a test left open."""
        if self.process:
            end_process(self.process, sig, timeout)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.process.returncode if self.process else None


class Redis:
    """A throwaway redis-server on a loopback port, in memory only; `restart` brings it back empty on the same port."""

    def __init__(self):
        self.binary = require_binary("redis-server", "redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        import redis

        self.client = redis.Redis.from_url(self.url)
        self.start()

    def start(self):
        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers():
            try:
                return self.client.ping()
            except redis.ConnectionError:
                return False

        if not wait_until(answers, timeout=10):
            self.stop()
            raise RuntimeError("redis-server did not start")

    def restart(self, down_for=1.0):
        self.stop()
        time.sleep(down_for)
        self.start()

    def stop(self):
        end_process(self.process)


class Postgres:
    """A throwaway PostgreSQL cluster on a loopback port, built for speed (no fsync) and thrown away after.

    PostgreSQL refuses to run as root, so under root the cluster runs as the `postgres`
    user (or `nobody`), in a temporary folder that user owns. Databases are cheap copies
    of a template: each test gets its own.
    """

    SETTINGS = {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "200",
        "shared_buffers": "32MB",
    }

    def __init__(self):
        initdb = Path(require_binary("initdb", "postgresql")).resolve()
        self.bin = initdb.parent  # postgres beside it: the same version
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="hearth-pg-")
        self.data = Path(self.tmp) / "data"
        self.owner = self._unprivileged_owner()
        if self.owner:
            os.chown(self.tmp, self.owner.pw_uid, self.owner.pw_gid)
        self._names = itertools.count(1)
        self.admin = None
        initialized = subprocess.run(
            [
                initdb,
                "-D",
                self.data,
                "-U",
                "hearth",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            **self._as_owner(),
        )
        if initialized.returncode != 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise RuntimeError("initdb failed:\n" + initialized.stdout + initialized.stderr)
        self.log = open(Path(self.tmp) / "postgres.log", "w+")
        self.start()

    def start(self):
        """Start (or start again) the server on its port and wait until it answers."""
        import psycopg

        settings = {**self.SETTINGS, "port": str(self.port), "unix_socket_directories": ""}  # TCP only
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        self.process = subprocess.Popen(
            [self.bin / "postgres", "-D", self.data, *options],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            **self._as_owner(),
        )

        def answers():
            if self.process.poll() is not None:
                raise RuntimeError("postgres exited:\n" + self.output())
            try:
                self.admin = psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=2)
                return True
            except psycopg.OperationalError:
                return False

        if not wait_until(answers, timeout=30):
            self.stop()
            raise RuntimeError("postgres did not start:\n" + self.output())

    @staticmethod
    def _unprivileged_owner():
        """Who runs the cluster when we are root (PostgreSQL will not); None: we do."""
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise RuntimeError("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as")

    def _as_owner(self):
        if not self.owner:
            return {"cwd": self.tmp}
        return {"cwd": self.tmp, "user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}

    def url(self, database):
        return f"postgresql://hearth@127.0.0.1:{self.port}/{database}"

    def create_database(self, name=None, template="template0"):
        """A new database (a copy of `template`); returns its URL."""
        from psycopg import sql

        name = name or f"hearth_{next(self._names)}"
        self.admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        )
        return self.url(name)

    def drop_database(self, url):
        """Drop a database, ending whatever connections a test left open to it."""
        from psycopg import sql

        name = url.rsplit("/", 1)[1]
        self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def shut_down(self):
        """Stop the server, keeping its data: `start` brings it back (a database outage)."""
        if self.admin is not None:
            self.admin.close()
            self.admin = None
        end_process(self.process, signal.SIGINT)  # fast shutdown: no waiting for clients

    def stop(self):
        self.shut_down()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
