"""Load clients for the benchmarks: thousands of WebSockets in one asyncio process.

Both speak to their server as a browser would: the access cookie, the page's
Origin, and permessage-deflate offered (the websockets default, as browsers do).
"""

import asyncio
import itertools
import json
import time

from websockets.asyncio.client import connect

counter = itertools.count()


async def open_socket(base, path, cookie, **options):
    """A WebSocket to the server as one of its pages opens it: its Origin, the access cookie; no client pings."""
    return await connect(
        base.replace("http", "ws", 1) + path,
        origin=base,
        additional_headers={"Cookie": cookie},
        ping_interval=None,
        open_timeout=120,
        max_queue=None,
        **options,
    )


async def open_socketio(base, cookie, **options):
    """Socket.IO over a bare WebSocket (Engine.IO 4): the open packet, then the connect packet and its answer."""
    ws = await open_socket(base, "/socket.io/?EIO=4&transport=websocket", cookie, **options)
    opening = await ws.recv()
    assert opening.startswith("0"), opening
    await ws.send("40")
    connected = await ws.recv()
    if not connected.startswith("40"):
        raise ConnectionRefusedError(connected)
    return ws


class Tracker:
    """Counts arrivals of each published body; resolves when the last subscriber has it."""

    def __init__(self):
        self.pending = {}

    def expect(self, body, count):
        future = asyncio.get_running_loop().create_future()
        self.pending[body] = [count, future]
        return future

    def arrived(self, body, now):
        entry = self.pending.get(body)
        if entry is not None:
            entry[0] -= 1
            if entry[0] == 0:
                del self.pending[body]
                entry[1].set_result(now)


tracker = Tracker()


class HearthClient:
    def __init__(self, base, cookie):
        self.base, self.cookie = base, cookie
        self.subscribed = asyncio.Event()
        self.acks = {}

    async def open(self):
        self.ws = await open_socket(self.base, "/ws", self.cookie)
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame["type"] == "event":
                    tracker.arrived(frame["data"]["body"], now)
                elif frame["type"] == "subscribed":
                    self.subscribed.set()
        except Exception:
            pass

    async def subscribe(self, topic):
        await self.ws.send(json.dumps({"type": "subscribe", "topic": topic, "since": None, "ref": "s"}))
        await self.subscribed.wait()

    async def publish(self, topic, body):
        data = {"body": body, "client_id": f"b{next(counter)}"}
        await self.ws.send(json.dumps({"type": "publish", "topic": topic, "ref": data["client_id"], "data": data}))

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


class PeerClient(HearthClient):
    """Socket.IO over a bare WebSocket (Engine.IO 4): open, connect packet, events, ping answers."""

    async def open(self):
        self.ws = await open_socketio(self.base, self.cookie)
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                if raw == "2":
                    await self.ws.send("3")
                elif raw.startswith("42"):
                    name, payload = json.loads(raw[2:])
                    if name == "event":
                        tracker.arrived(payload["data"]["body"], now)
                elif raw.startswith("43"):
                    self.subscribed.set()
        except Exception:
            pass

    async def subscribe(self, topic):
        await self.ws.send("421" + json.dumps(["subscribe", topic]))
        await self.subscribed.wait()

    async def publish(self, topic, body):
        data = {"body": body, "client_id": f"b{next(counter)}"}
        await self.ws.send("42" + json.dumps(["publish", {"topic": topic, "data": data}]))


async def open_many(cls, base, cookies, count, topic, concurrency=100):
    """Open and subscribe `count` clients, `concurrency` handshakes at a time."""
    clients = [cls(base, cookies[i % len(cookies)]) for i in range(count)]
    gate = asyncio.Semaphore(concurrency)

    async def start(client):
        async with gate:
            await client.open()
            await client.subscribe(topic)

    await asyncio.gather(*(start(c) for c in clients))
    return clients


async def measure_fanout(publisher, subscribers, topic, messages, timeout=30):
    """Publish messages one at a time; for each, seconds until the last subscriber had it."""
    lags = []
    for _ in range(messages):
        body = f"fan-{next(counter)}"
        last = tracker.expect(body, len(subscribers))
        sent = time.perf_counter()
        await publisher.publish(topic, body)
        lags.append(await asyncio.wait_for(last, timeout) - sent)
        await asyncio.sleep(0.05)
    return lags


async def upgrade_loop(cls, base, cookies, seconds, concurrency):
    """Open (authenticated handshake) and close sockets for `seconds`; returns how many opened."""
    end = time.monotonic() + seconds
    opened = 0

    async def worker(i):
        nonlocal opened
        n = i
        while time.monotonic() < end:
            client = cls(base, cookies[n % len(cookies)])
            n += concurrency
            await client.open()
            opened += 1
            await client.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return opened
