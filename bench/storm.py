"""The reconnect storm: every client of a server comes back at once after a restart, and must miss nothing.

N clients, each subscribed to two of 20 channels, while a publisher posts a
message a channel every second over HTTP. The server is restarted the way a
deploy does it (SIGTERM: Hearth closes each socket with 1001; a new server
starts on the same port as soon as the old one has exited), while the publisher
keeps posting (retrying with the same `client_id` while nothing answers).
With `--restart usr2` it is restarted as deploy/hearth-restart does it instead:
a new master on the same listening socket (USR2), and SIGTERM to the old one
only once a worker of the new one serves.

Each Hearth client follows the browser client (static/js/socket/socket.js, auth.js,
backoff.js) step by step: the same backoff schedule, a refresh before
reconnecting when the last attempt never opened (the browser cannot tell a 401
from a server that is down) unless the server said it was going away, or when
the token is about to expire, the first wait after a 1001 taken from its
`retry in N ms` and the later ones kept under 5 s while the server restarts, a resume of every
topic from the last seq it saw, and a subscribe refused for now sent again after
2 s. The peer's clients follow socket.io-client's defaults (1 s doubling to 5 s,
±50 % jitter) and resume with the same `since`, which the peer answers from the
same event log.

The storm's clients offer no permessage-deflate (one load process holds all of
them); Hearth declines it anyway, the peer would accept it and pay for it.

A client is back and caught up when its socket is open and every topic's
resume has been answered: the replay and the `subscribed` frame after it,
so it holds every message up to the topic's head at that moment. Lost and
doubled are counted per client and topic against every seq the publisher got
an answer for.
"""

import asyncio
import itertools
import json
import random
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from clients import open_socket, open_socketio

CHANNELS = 20
TOPICS_PER_CLIENT = 2
RESTART_GRACE = 60  # socket.js: after a 1001, a socket that does not open means a server still restarting
RESTART_CAP = 5000  # socket.js: and the backoff's waits stay under 5 s meanwhile
RETRY_HINT = re.compile(r"retry in (\d+) ms")


# the browser clients' reconnection schedules


class Backoff:
    """static/js/backoff.js: the n-th wait is uniform in [floor, min(cap, base * 2^n)] milliseconds."""

    def __init__(self, base=500, cap=30000, floor=100):
        self.base, self.cap, self.floor, self.attempt = base, cap, floor, 0

    def next(self, cap=None):
        ceiling = min(cap or self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return max(self.floor, int(random.random() * ceiling)) / 1000

    def reset(self):
        self.attempt = 0


class SocketIOBackoff(Backoff):
    """socket.io-client's defaults: 1 s doubling up to 5 s, each ±50 %."""

    def next(self, cap=None):
        delay = min(5000, 1000 * 2**self.attempt)
        self.attempt += 1
        return delay * (1 + (random.random() * 2 - 1) * 0.5) / 1000


# a little HTTP over asyncio: thousands of refreshes without a thread each


async def http(base, method, path, headers, body=None, timeout=60):
    """(status, {header: [values]}, body text); the connection is closed after one exchange."""
    url = urlsplit(base)
    data = body.encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\nContent-Length: {len(data)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    reader, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, url.port), timeout)
    try:
        writer.write(head.encode() + data)
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    top, _, text = raw.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        raise ConnectionError("no HTTP answer")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    return int(lines[0].split()[1]), fields, text.decode("utf-8", "replace")


class Tally:
    """What all clients of one storm did."""

    def __init__(self):
        self.refreshes = 0
        self.refresh_failures = 0
        self.attempts = 0  # socket openings tried (counted from the restart on)
        self.failed_opens = 0
        self.resyncs = 0
        self.sessions_over = 0


class StormClient:
    """One tab of Hearth's browser client: one socket, its topics' last seqs, its tokens."""

    backoff_class = Backoff

    def __init__(self, base, tokens, topics, tally):
        self.base, self.tokens, self.tally = base, dict(tokens), tally
        self.since = dict.fromkeys(topics)
        self.seen = {topic: set() for topic in topics}
        self.doubled = 0
        self.first_head = {}
        self.backoff = self.backoff_class()
        self.needs_refresh = False
        self.ws = None
        self.pending = set()  # topics whose (re)subscribe is not answered yet
        self.sending = set()  # sends started by frame handlers
        self.ready = asyncio.Event()  # every topic subscribed, on the current socket
        self.opened_at = None  # perf_counter time of the last opening
        self.ready_at = None  # perf_counter time of the last moment every resume had been answered
        self.gone_away_at = None  # monotonic time of the last 1001, until a socket opens
        self.closed_at = None  # perf_counter time the last open socket closed (the old server's 1001)
        self.stopped = False
        self.over = False

    # tokens (auth.js)

    def cookie_header(self):
        return f"access_token_cookie={self.tokens['access_token_cookie']}"

    def expires_soon(self, margin=5):
        return self.tokens["access_expires_at"] - time.time() <= margin

    async def refresh(self):
        self.tally.refreshes += 1
        headers = {
            "Cookie": f"refresh_token_cookie={self.tokens['refresh_token_cookie']}",
            "X-CSRF-TOKEN": self.tokens["csrf_refresh_token"],
            "Origin": self.base,
            "Accept": "application/json",
        }
        try:
            status, fields, body = await http(self.base, "POST", "/auth/refresh", headers)
        except (OSError, TimeoutError, ConnectionError):
            self.tally.refresh_failures += 1
            return "network"
        if status == 200:
            for cookie in fields.get("set-cookie", []):
                name, _, value = cookie.split(";", 1)[0].partition("=")
                if name in self.tokens:
                    self.tokens[name] = value
            self.tokens["access_expires_at"] = json.loads(body)["access_expires_at"]
            return "ok"
        self.tally.refresh_failures += 1
        return "over" if status in (401, 403) else "network"

    # the socket (socket.js)

    async def open(self):
        self.ws = await open_socket(self.base, "/ws", self.cookie_header(), compression=None)

    async def subscribe(self, topic):
        since = self.since[topic]
        await self.ws.send(json.dumps({"type": "subscribe", "topic": topic, "since": since, "ref": f"sub:{topic}"}))

    def on_frame(self, raw):
        frame = json.loads(raw)
        kind, topic = frame.get("type"), frame.get("topic")
        if kind == "event":
            self.record(topic, frame["seq"])
        elif kind == "subscribed":
            self.subscribed(topic, frame["seq"])
        elif kind == "error" and str(frame.get("ref", "")).startswith("sub:"):
            if frame["code"] in ("rate_limited", "unavailable"):
                asyncio.get_running_loop().call_later(2, self.resubscribe, self.ws, frame["ref"][4:])
        elif kind == "resync_required":
            self.tally.resyncs += 1
            self.since[topic] = None
            self.resubscribe(self.ws, topic)

    def record(self, topic, seq):
        if seq in self.seen[topic]:
            self.doubled += 1
        self.seen[topic].add(seq)
        if self.since[topic] is None or seq > self.since[topic]:
            self.since[topic] = seq

    def subscribed(self, topic, seq):
        self.first_head.setdefault(topic, seq)
        if seq is not None and (self.since[topic] is None or seq > self.since[topic]):
            self.since[topic] = seq
        self.pending.discard(topic)
        if not self.pending and not self.ready.is_set():
            self.ready_at = time.perf_counter()
            self.ready.set()

    def resubscribe(self, ws, topic):
        if ws is self.ws and not self.stopped:
            self.send_soon(self.subscribe(topic))

    def send_soon(self, sending):
        """Send from a frame handler without waiting for it; a socket that closed meanwhile is no error."""

        async def quietly():
            try:
                await sending
            except Exception:
                pass

        task = asyncio.ensure_future(quietly())
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def serve_one_socket(self):
        """Open, resume every topic, read until the socket closes; returns (opened, close code)."""
        try:
            await self.open()
        except Exception:
            return False, 1006
        self.opened_at = time.perf_counter()
        self.gone_away_at = None
        opened_at = time.monotonic()
        self.pending = set(self.since)
        for topic in self.since:
            await self.subscribe(topic)
        try:
            async for raw in self.ws:
                self.on_frame(raw)
        except Exception:
            pass
        if time.monotonic() - opened_at >= 10:
            self.backoff.reset()  # socket.js: a connection this old resets the backoff
        return True, self.ws.close_code or 1006

    def restarting(self):
        return self.gone_away_at is not None and time.monotonic() - self.gone_away_at < RESTART_GRACE

    async def run(self):
        """socket.js's onClose → scheduleReconnect → reconnect, until stopped."""
        while not self.stopped:
            self.tally.attempts += 1
            opened, code = await self.serve_one_socket()
            self.ready.clear()
            if opened:
                self.closed_at = time.perf_counter()
            if self.stopped:
                return
            if code == 4403:
                self.over = True
                self.tally.sessions_over += 1
                return
            self.tally.failed_opens += 0 if opened else 1
            if code == 1001:
                self.gone_away_at = time.monotonic()
                hint = RETRY_HINT.search(self.ws.close_reason or "")
                if hint:
                    self.backoff.reset()
                    await self.wait_then_refresh(min(int(hint[1]), 30000) / 1000)
                    continue
            if code == 4401 or (not opened and not self.restarting()):
                self.needs_refresh = True
            await self.wait_then_refresh()

    async def wait_then_refresh(self, delay=None):
        while not self.stopped:
            if delay is None:
                delay = self.backoff.next(RESTART_CAP if self.restarting() else None)
            await asyncio.sleep(delay)
            delay = None
            if not (self.needs_refresh or self.expires_soon()):
                return
            outcome = await self.refresh()
            if outcome == "ok":
                self.needs_refresh = False
                return
            if outcome == "over":
                self.over = True
                self.stopped = True
                self.tally.sessions_over += 1
                return
            self.needs_refresh = True  # the server is not answering: wait again

    async def stop(self):
        self.stopped = True
        if self.ws is not None:
            await self.ws.close()


class PeerStormClient(StormClient):
    """A Socket.IO tab: Engine.IO 4 over a bare WebSocket, its reconnection manager's defaults, no refresh."""

    backoff_class = SocketIOBackoff
    acks = itertools.count(1)

    async def open(self):
        self.ws = await open_socketio(self.base, self.cookie_header(), compression=None)
        self.ack_topics = {}

    async def subscribe(self, topic):
        ack = next(self.acks)
        self.ack_topics[ack] = topic
        await self.ws.send(f"42{ack}" + json.dumps(["subscribe", {"topic": topic, "since": self.since[topic]}]))

    def on_frame(self, raw):
        if raw == "2":
            self.send_soon(self.ws.send("3"))
        elif raw.startswith("42"):
            name, payload = json.loads(raw[2:])
            if name == "event":
                self.record(payload["topic"], payload["seq"])
        elif raw.startswith("43"):
            digits = len(raw) - len(raw[2:].lstrip("0123456789"))
            ack, (answer,) = int(raw[2:digits]), json.loads(raw[digits:])
            self.subscribed(self.ack_topics.pop(ack), answer["seq"])

    async def wait_then_refresh(self, delay=None):
        await asyncio.sleep(self.backoff.next())

    def expires_soon(self, margin=5):
        return False


class Publisher:
    """Posts one message a second to each channel over HTTP; retries with the same client_id until answered."""

    def __init__(self, base, tokens, channel_ids, path):
        self.base, self.channel_ids, self.path = base, channel_ids, path
        self.headers = {
            "Cookie": f"access_token_cookie={tokens['access_token_cookie']}",
            "X-CSRF-TOKEN": tokens["csrf_access_token"],
            "Origin": base,
            "Content-Type": "application/json",
        }
        self.committed = {f"chat:{c}": set() for c in channel_ids}
        self.stopped = False
        self.retries = 0

    async def run(self):
        for n in itertools.count():
            if self.stopped:
                return
            started = time.monotonic()
            await asyncio.gather(*(self.post(c, n) for c in self.channel_ids))
            await asyncio.sleep(max(0, 1 - (time.monotonic() - started)))

    async def post(self, channel_id, n):
        body = json.dumps({"body": f"storm {n}", "client_id": uuid.uuid4().hex})
        while True:
            try:
                status, _, text = await http(self.base, "POST", self.path.format(channel_id), self.headers, body, 10)
                if status in (200, 201):
                    self.committed[f"chat:{channel_id}"].add(json.loads(text)["seq"])
                    return
            except (OSError, TimeoutError, ConnectionError):
                pass
            self.retries += 1
            await asyncio.sleep(0.1)


@dataclass
class Restarted:
    """What a restart did, its moments as perf_counter times."""

    server: object  # the new server
    serving_at: float  # it serves
    old_told_at: float  # the old one was sent SIGTERM: its sockets close with 1001
    old_gone_at: float  # the old one had exited
    cutover_at: float  # a client caught up after this is caught up on the new server


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, round((len(values) - 1) * p / 100))]


async def storm(
    kind,
    base,
    restart,
    clients_tokens,
    publisher_tokens,
    channel_ids,
    boot_cpu,
    restart_mode="term",
    settle=5,
    limit=180,
):
    """Run one storm; `restart()` replaces the server and returns a Restarted once the old one has exited.

    Times are from the restart's first signal: SIGTERM (term), or USR2 to start the new server (usr2);
    the `after_term` ones from the old server's SIGTERM, when its sockets close (the same moment under term).
    """
    tally = Tally()
    cls = StormClient if kind == "hearth" else PeerStormClient
    clients = []
    for i, tokens in enumerate(clients_tokens):
        topics = [f"chat:{channel_ids[(i + k * 7) % len(channel_ids)]}" for k in range(TOPICS_PER_CLIENT)]
        clients.append(cls(base, tokens, topics, tally))
    tasks = []
    gate = asyncio.Semaphore(100)

    async def start(client):
        async with gate:
            tasks.append(asyncio.create_task(client.run()))
            await asyncio.wait_for(client.ready.wait(), 120)

    await asyncio.gather(*(start(c) for c in clients))
    path = "/api/channels/{}/messages" if kind == "hearth" else "/bench/publish/{}"
    publisher = Publisher(base, publisher_tokens, channel_ids, path)
    publishing = asyncio.create_task(publisher.run())
    await asyncio.sleep(settle)

    restarted_at = time.perf_counter()
    tally.attempts = tally.failed_opens = tally.refreshes = tally.refresh_failures = 0
    restarted = await restart()
    server = restarted.server

    def back(c):  # caught up on the new server: a client that went back to the old one while it was ending is not
        return c.ready.is_set() and c.ready_at > restarted.cutover_at

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not all(back(c) or c.over for c in clients):
        await asyncio.sleep(0.05)
    cpu = server.cpu_seconds()
    caught_up = [c.ready_at - restarted_at for c in clients if back(c)]
    since_term = [c.ready_at - restarted.old_told_at for c in clients if back(c)]  # usr2: from the 1001s on
    opened = [c.opened_at - restarted_at for c in clients if back(c)]
    closed = [c.closed_at - restarted.old_told_at for c in clients if back(c) and c.closed_at]
    await asyncio.sleep(2)
    publisher.stopped = True
    await publishing
    heads = {topic: max(seqs) for topic, seqs in publisher.committed.items() if seqs}

    def drained():
        return all(
            c.over or all(c.since[t] is not None and c.since[t] >= heads.get(t, 0) for t in c.since) for c in clients
        )

    drain_deadline = time.monotonic() + 30
    while time.monotonic() < drain_deadline and not drained():
        await asyncio.sleep(0.1)
    lost = 0
    for c in clients:
        for topic, seen in c.seen.items():
            expected = {s for s in publisher.committed[topic] if s > (c.first_head.get(topic) or 0)}
            lost += len(expected - seen)
    for c in clients:
        await c.stop()
    for t in tasks:
        t.cancel()
    total = len(clients)
    return {
        "clients": total,
        "topics_per_client": TOPICS_PER_CLIENT,
        "messages_per_s": len(channel_ids),
        "restart": restart_mode,
        "new_server_serving_s": round(restarted.serving_at - restarted_at, 2),
        "old_server_told_s": round(restarted.old_told_at - restarted_at, 2),
        "old_server_exit_s": round(restarted.old_gone_at - restarted_at, 2),
        # term: from SIGTERM until the new server answers; usr2: none, the listening socket never closes
        "restart_downtime_s": round(restarted.serving_at - restarted_at, 2) if restart_mode == "term" else 0,
        "closed_after_term_p50_s": _round(percentile(closed, 50)),  # the old server's close reached the client
        "closed_after_term_p100_s": _round(max(closed, default=None)),
        "open_p50_s": _round(percentile(opened, 50)),
        "caught_up_p50_s": _round(percentile(caught_up, 50)),
        "caught_up_p99_s": _round(percentile(caught_up, 99)),
        "caught_up_p100_s": _round(max(caught_up)) if len(caught_up) == total else None,
        "caught_up": len(caught_up),
        "caught_up_after_term_p50_s": _round(percentile(since_term, 50)),
        "caught_up_after_term_p99_s": _round(percentile(since_term, 99)),
        "caught_up_after_term_p100_s": _round(max(since_term)) if len(since_term) == total else None,
        "server_cpu_s": round(cpu, 2),
        "server_boot_cpu_s": round(boot_cpu, 2),
        "socket_attempts": tally.attempts,
        "failed_opens": tally.failed_opens,
        "refreshes": tally.refreshes,
        "refresh_failures": tally.refresh_failures,
        "sessions_over": tally.sessions_over,
        "resyncs": tally.resyncs,
        "messages_published": sum(len(s) for s in publisher.committed.values()),
        "publisher_retries": publisher.retries,
        "lost": lost,
        "doubled": sum(c.doubled for c in clients),
    }


def _round(value):
    return None if value is None else round(value, 2)
