"""Hearth side by side with a Flask-SocketIO peer, in one run; prints a table and writes JSON.

    .venv/bin/python bench/run.py [held|fanout|upgrades|api|scaleout|all] [--sockets N] [--out FILE]
    .venv/bin/python bench/run.py storm [--storm-clients N] [--restart term|usr2]

Each server runs under gunicorn (one gevent worker) pinned to core 0; this
process is the load client, pinned to core 1. Both servers use one seeded
SQLite database. Needs: pip install '.[bench]', and wrk (apt-get install wrk).
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import storm  # noqa: E402
from clients import HearthClient, PeerClient, measure_fanout, open_many, upgrade_loop  # noqa: E402

SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"
SERVER_CORE, CLIENT_CORE = "0", 1
TICKS = os.sysconf("SC_CLK_TCK")


# kind: (gunicorn app, load client, served with Hearth's gunicorn.conf.py)
KINDS = {
    "hearth": ("hearth_app:app", "hearth", True),
    "peer": ("peer_app:app", "peer", True),
    "bare flask-sock": ("bare_apps:sock_app", "hearth", False),
    "bare flask-socketio": ("bare_apps:socketio_app", "peer", False),
}
BARE_GUNICORN = ["--worker-class", "gevent", "--workers", "1", "--worker-connections", "20000"]


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving one of the two apps, pinned to the server core.

    With a `pidfile` it is started as deploy/hearth-restart expects (the `gunicorn` script, which USR2 can
    re-execute, and HEARTH_PIDFILE), so that `restart_without_gap` can replace it.
    """

    def __init__(self, kind, workdir, env=None, workers=1, port=None, pidfile=None):
        self.kind, self.workdir, self.extra_env, self.pidfile = kind, workdir, env, pidfile
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        module, _, hearth_config = KINDS[kind]
        self.env = {
            **os.environ,
            **base_env(workdir),
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
            **({"HEARTH_PIDFILE": str(pidfile)} if pidfile else {}),
            **(env or {}),
        }
        cores = SERVER_CORE if workers == 1 else "0,1"
        gunicorn = [str(Path(sys.executable).parent / "gunicorn")] if pidfile else [sys.executable, "-m", "gunicorn"]
        self.log = open(Path(workdir) / f"{kind}-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [
                "taskset",
                "-c",
                cores,
                *gunicorn,
                *(["--config", str(ROOT / "gunicorn.conf.py")] if hearth_config else BARE_GUNICORN),
                "--bind",
                f"127.0.0.1:{self.port}",
                module,
            ],
            cwd=ROOT if hearth_config else ROOT / "bench",  # gunicorn reads ./gunicorn.conf.py by itself
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            self.process.kill()
            raise RuntimeError(f"{kind} did not start; see {self.log.name}")
        self.boot_cpu = self.cpu_seconds()
        if port is None:
            time.sleep(0.5)

    def restart_without_gap(self):
        """deploy/hearth-restart: USR2, then TERM to this master once a worker of the new one serves.

        Returns the new master as a Server; this one is closing its sockets (1001) and ends by itself.
        """
        done = subprocess.run(
            [str(ROOT / "deploy" / "hearth-restart"), str(self.pidfile)], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"hearth-restart failed: {done.stderr}")
        successor = object.__new__(Server)
        successor.__dict__.update(self.__dict__)
        successor.process = Master(int(Path(f"{self.pidfile}.2").read_text()))
        successor.log = open(self.log.name, "a")  # the new master writes to the same file, inherited
        return successor

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def rss_mib(self):
        total = 0
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def cpu_seconds(self):
        total = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / TICKS

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Master:
    """A gunicorn master this process did not start (USR2's re-execution), with the part of Popen the bench uses.

    It is the old master's child until that one exits, then this process's (a child subreaper), which reaps it.
    """

    def __init__(self, pid):
        self.pid = pid

    def send_signal(self, sig):
        os.kill(self.pid, sig)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout=None):
        deadline = time.monotonic() + (timeout or 1e9)
        while True:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    return os.waitstatus_to_exitcode(status)
            except ChildProcessError:  # not ours yet (or already reaped): look whether it still runs
                if not Path(f"/proc/{self.pid}").exists():
                    return None
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)


def become_subreaper():
    """USR2's new master is a child of the old one; once that exits it is re-parented here, to be reaped."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def base_env(workdir):
    return {
        "HEARTH_ENV": "production",
        "HEARTH_SECRET_KEY": SECRET,
        "HEARTH_SECURE_COOKIES": "false",
        "HEARTH_ACCESS_TTL": "7200",
        "HEARTH_MAX_SOCKETS_PER_USER": "1000",
        "HEARTH_PASSWORD_HASH_PROFILE": "CHEAPEST",
        "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
        "HEARTH_ACCESS_LOG": "",
    }


def seed(workdir, users):
    """Users in one workspace with 20 channels, each user with a session and long-lived tokens.

    Returns (access cookies, the first channel's topic, each user's tokens, the channel ids).
    """
    os.environ.update(base_env(workdir))
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ},
    )
    import jwt

    from app import create_app
    from hearth.accounts.sessions import issue_tokens, start_session
    from hearth.extensions import db
    from hearth.models import Channel, Membership, User, Workspace

    app = create_app()
    with app.app_context():
        people = [User(username=f"bench{i}", display_name=f"Bench {i}", password_hash="!") for i in range(users)]
        db.session.add_all(people)
        db.session.flush()
        team = Workspace(name="bench", owner_id=people[0].id)
        db.session.add(team)
        db.session.flush()
        db.session.add_all(Membership(workspace_id=team.id, user_id=u.id) for u in people)
        channels = [Channel(workspace_id=team.id, name=f"channel-{n}") for n in range(storm.CHANNELS)]
        db.session.add_all(channels)
        db.session.commit()
        tokens = []
        for user in people:
            pair = issue_tokens(start_session(user, "bench"))
            tokens.append(
                {
                    "access_token_cookie": pair.access_token,
                    "refresh_token_cookie": pair.refresh_token,
                    "csrf_access_token": jwt.decode(pair.access_token, options={"verify_signature": False})["csrf"],
                    "csrf_refresh_token": jwt.decode(pair.refresh_token, options={"verify_signature": False})["csrf"],
                    "access_expires_at": pair.access_expires_at,
                }
            )
        cookies = [f"access_token_cookie={t['access_token_cookie']}" for t in tokens]
        return cookies, f"chat:{channels[0].id}", tokens, [c.id for c in channels]


def client_class(kind):
    return HearthClient if KINDS[kind][1] == "hearth" else PeerClient


# the four measurements


def held(server, cookies, topic, sockets):
    """Idle authenticated sockets one worker holds, and resident memory per 1,000 once each got a message."""
    baseline = server.rss_mib()

    async def run():
        clients = await open_many(client_class(server.kind), server.url, cookies, sockets, topic)
        publisher = clients[0]
        lags = await measure_fanout(publisher, clients, topic, messages=1)
        rss = server.rss_mib()
        for c in clients:
            await c.close()
        return len(clients), rss, lags

    opened, rss, lags = asyncio.run(run())
    return {
        "sockets": opened,
        "rss_mib": round(rss, 1),
        "baseline_mib": round(baseline, 1),
        "mib_per_1000": round((rss - baseline) / opened * 1000, 1),
        "all_received": bool(lags),
    }


def fanout(server, cookies, topic, subscribers=1000, messages=60):
    """One chat message to 1,000 subscribers: time until the last has it, and server CPU per message."""

    async def run():
        clients = await open_many(client_class(server.kind), server.url, cookies, subscribers, topic)
        await measure_fanout(clients[0], clients, topic, messages=5)  # warm up
        cpu_before = server.cpu_seconds()
        lags = await measure_fanout(clients[0], clients, topic, messages=messages)
        cpu = server.cpu_seconds() - cpu_before
        for c in clients:
            await c.close()
        return lags, cpu

    lags, cpu = asyncio.run(run())
    lags_ms = sorted(x * 1000 for x in lags)
    return {
        "subscribers": subscribers,
        "messages": len(lags_ms),
        "p50_ms": round(percentile(lags_ms, 50), 1),
        "p99_ms": round(percentile(lags_ms, 99), 1),
        "cpu_ms_per_message": round(cpu / len(lags_ms) * 1000, 1),
    }


def upgrades(workdir, cookies, rounds=5, seconds=4, concurrency=32):
    """Upgrades per second (handshake, then close) and the server CPU each costs, for every kind.

    Hearth and the peer check Origin, cookie, JWT and session before the 101; the bare kinds check nothing.
    Hearth runs twice when redis-server is there: in-process, and with its socket cap on Redis.
    All the servers run at once (each idle while another is measured) and are measured in turns,
    `rounds` times, so that a drift of the machine falls on all of them alike; the medians are reported.
    """
    servers = {kind: Server(kind, workdir) for kind in KINDS}
    redis = None
    if shutil.which("redis-server"):  # Hearth with its socket cap (and broker) on Redis, as on several workers
        redis, redis_url = start_redis(workdir)
        servers["hearth on Redis"] = Server("hearth", workdir, env={"REDIS_URL": redis_url})
    turns = {kind: [] for kind in servers}
    try:
        for server in servers.values():  # warm up
            asyncio.run(upgrade_loop(client_class(server.kind), server.url, cookies, 1, concurrency))
        for _ in range(rounds):
            for kind, server in servers.items():
                cpu_before = server.cpu_seconds()
                count = asyncio.run(upgrade_loop(client_class(server.kind), server.url, cookies, seconds, concurrency))
                turns[kind].append((count / seconds, (server.cpu_seconds() - cpu_before) / count * 1000))
    finally:
        for server in servers.values():
            server.stop()
        if redis is not None:
            redis.terminate()
    results = {}
    for kind, measured in turns.items():
        rates, costs = sorted(r for r, _ in measured), sorted(c for _, c in measured)
        results[kind] = {
            "upgrades_per_s": round(statistics.median(rates)),
            "cpu_ms_per_upgrade": round(statistics.median(costs), 3),
            "cpu_ms_per_upgrade_range": [round(costs[0], 3), round(costs[-1], 3)],
            "rounds": rounds,
            "concurrency": concurrency,
        }
        print(f"upgrades {kind}: {results[kind]}", flush=True)
    return results


def reconnect_storm(server, tokens, channel_ids, clients, restart="term"):
    """Every client back and caught up after a restart (bench/storm.py).

    term: SIGTERM, and a new server on the port once the old one has exited (`systemctl restart`).
    usr2: deploy/hearth-restart, a new master on the same listening socket before the old one is told to stop.
    """
    current = {"server": server}

    async def restart_term():
        old = current["server"]
        told_at = time.perf_counter()
        await asyncio.to_thread(old.stop)
        gone_at = time.perf_counter()
        current["server"] = await asyncio.to_thread(Server, old.kind, old.workdir, env=old.extra_env, port=old.port)
        return storm.Restarted(current["server"], time.perf_counter(), told_at, gone_at, cutover_at=gone_at)

    async def restart_usr2():
        old = current["server"]
        current["server"] = await asyncio.to_thread(old.restart_without_gap)
        told_at = time.perf_counter()  # hearth-restart has just sent the old master its TERM
        await asyncio.to_thread(old.process.wait, 60)
        gone_at = time.perf_counter()
        old.log.close()
        # a client the old worker took in its last moments is dropped as it exits: let it see so before counting
        await asyncio.sleep(0.5)
        return storm.Restarted(current["server"], told_at, told_at, gone_at, cutover_at=told_at)

    try:
        return asyncio.run(
            storm.storm(
                server.kind,
                server.url,
                restart_usr2 if restart == "usr2" else restart_term,
                tokens[:clients],
                tokens[-1],
                channel_ids,
                server.boot_cpu,
                restart_mode=restart,
            )
        )
    finally:
        if current["server"] is not server:
            current["server"].stop()  # side_by_side stops the first one


def api(server, cookies, seconds=8):
    """GET /api/me with auth vs the same handler without, with wrk; and /auth/refresh per second."""
    cookie = cookies[0]
    with_auth = wrk(server.url + "/api/me", cookie, seconds)
    without = wrk(server.url + "/bench/me-without-auth", cookie, seconds)
    return {
        "with_auth_rps": with_auth,
        "without_auth_rps": without,
        "auth_overhead_pct": round((without / with_auth - 1) * 100, 1),
        "refresh_per_s": refreshes(server.url, seconds),
    }


def wrk(url, cookie, seconds):
    out = subprocess.run(
        ["taskset", "-c", str(CLIENT_CORE), "wrk", "-t1", "-c32", f"-d{seconds}s", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(l for l in out.splitlines() if l.startswith("Requests/sec:"))
    non_2xx = [l for l in out.splitlines() if "Non-2xx" in l]
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx[0]}")
    return round(float(line.split()[1]))


def refreshes(url, seconds, sessions=16):
    """Each of 16 sessions refreshes in a loop, presenting its newest refresh token each time."""
    import threading

    done = []

    def loop(i):
        browser = requests.Session()
        r = browser.post(url + "/auth/login", json={"username": f"refresher{i}", "password": "bench-password"})
        if r.status_code != 200:
            browser.post(url + "/auth/register", json={"username": f"refresher{i}", "password": "bench-password"})
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            r = browser.post(url + "/auth/refresh", headers={"X-CSRF-TOKEN": browser.cookies.get("csrf_refresh_token")})
            assert r.status_code == 200, r.text
            n += 1
        done.append(n)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(sessions)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return round(sum(done) / (time.monotonic() - started))


def percentile(values, p):
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def side_by_side(name, measure, workdir, env=None, kinds=("hearth", "peer"), pidfile=False, **kwargs):
    results = {}
    for kind in kinds:
        server = Server(kind, workdir, env=env, pidfile=Path(workdir) / f"{kind}.pid" if pidfile else None)
        try:
            results[kind] = measure(server, **kwargs)
        finally:
            server.stop()
        print(f"{name} {kind}: {results[kind]}", flush=True)
    return results


def scaleout(workdir, cookies, topic, redis_url):
    """The fan-out with 2 workers sharing Redis, and with 2 single-worker instances sharing Redis."""
    results = {}
    two_workers = Server("hearth", workdir, env={"REDIS_URL": redis_url}, workers=2)
    try:
        results["2 workers + Redis"] = fanout(two_workers, cookies, topic)
    finally:
        two_workers.stop()
    print("scaleout 2 workers:", results["2 workers + Redis"], flush=True)
    first = Server("hearth", workdir, env={"REDIS_URL": redis_url})
    second = Server("hearth", workdir, env={"REDIS_URL": redis_url})
    try:

        async def run():
            half = 500
            a = await open_many(HearthClient, first.url, cookies, half, topic)
            b = await open_many(HearthClient, second.url, cookies[half:] + cookies[:half], half, topic)
            await measure_fanout(a[0], a + b, topic, messages=5)
            lags = await measure_fanout(a[0], a + b, topic, messages=60)
            for c in a + b:
                await c.close()
            return sorted(x * 1000 for x in lags)

        lags = asyncio.run(run())
        results["2 instances + Redis"] = {
            "subscribers": 1000,
            "messages": len(lags),
            "p50_ms": round(percentile(lags, 50), 1),
            "p99_ms": round(percentile(lags, 99), 1),
        }
    finally:
        first.stop()
        second.stop()
    print("scaleout 2 instances:", results["2 instances + Redis"], flush=True)
    return results


def start_redis(workdir):
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "which",
        nargs="?",
        default="all",
        choices=["held", "fanout", "upgrades", "storm", "api", "scaleout", "all"],
    )
    parser.add_argument("--storm-clients", type=int, default=2000, help="clients of the reconnect storm")
    parser.add_argument(
        "--restart",
        choices=["term", "usr2"],
        default="term",
        help="how the storm restarts each server: SIGTERM then a new server (term), or deploy/hearth-restart (usr2)",
    )
    parser.add_argument("--sockets", type=int, default=10000, help="sockets for the held-sockets benchmark")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    try:
        os.sched_setaffinity(0, {CLIENT_CORE})
    except OSError:
        pass
    workdir = tempfile.mkdtemp(prefix="hearth-bench-")
    cookies, topic, tokens, channel_ids = seed(workdir, users=max(200, args.sockets // 40, args.storm_clients + 1))
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "command": " ".join(sys.argv),
    }
    try:
        if args.which in ("held", "all"):
            results["held"] = side_by_side("held", held, workdir, cookies=cookies, topic=topic, sockets=args.sockets)
        if args.which in ("fanout", "all"):
            results["fanout"] = side_by_side("fanout", fanout, workdir, cookies=cookies, topic=topic)
            results["fanout_without_gc_freeze"] = side_by_side(
                "fanout (no gc.freeze)",
                fanout,
                workdir,
                env={"HEARTH_GC_FREEZE": "0"},
                kinds=("hearth",),
                cookies=cookies,
                topic=topic,
            )
        if args.which in ("upgrades", "all"):
            results["upgrades"] = upgrades(workdir, cookies)
        if args.which in ("storm", "all"):
            if args.restart == "usr2":
                become_subreaper()
            results["storm"] = side_by_side(
                "storm",
                reconnect_storm,
                workdir,
                pidfile=args.restart == "usr2",
                tokens=tokens,
                channel_ids=channel_ids,
                clients=args.storm_clients,
                restart=args.restart,
            )
        if args.which in ("api", "all"):
            results["api"] = side_by_side("api", api, workdir, kinds=("hearth",), cookies=cookies)
        if args.which in ("scaleout", "all") and shutil.which("redis-server"):
            redis, redis_url = start_redis(workdir)
            try:
                results["scaleout"] = scaleout(workdir, cookies, topic, redis_url)
            finally:
                redis.terminate()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
