"""Chat clients that behave as the browser's client does when the connection fails, for the fault tests.

Each runs in a thread: one socket; on a drop it backs off with jitter, refreshes when the
upgrade says the token expired, reconnects, resumes the channel from the last seq it saw and
resends every message not yet acked (same client_id, so the server stores it once).
"""

import random
import threading
import time

import requests
from support import wait_until
from websockets.exceptions import InvalidStatus, WebSocketException

RETRY_SOON = {"rate_limited", "unavailable"}


class Chatter(threading.Thread):
    def __init__(self, person, channel_id, messages, pace=0.1):
        super().__init__(daemon=True)
        self.person, self.topic, self.pace = person, f"chat:{channel_id}", pace
        self.to_send = [f"{person.username} #{i}" for i in range(messages)]  # the body is the client_id too
        self.unacked = {}  # client_id -> when it was last sent
        self.acked = {}  # client_id -> message id
        self.seqs = []  # every event seq received, in order of arrival
        self.errors = []  # error frames other than the retry-soon ones
        self.connections = 0
        self.stopping = threading.Event()
        self.sock = None

    @property
    def last_seq(self):
        return self.seqs[-1] if self.seqs else 0

    @property
    def done_sending(self):
        return not self.to_send and not self.unacked

    def run(self):
        while not self.stopping.is_set():
            try:
                self.session()
            except (WebSocketException, OSError) as e:  # refused, cut off, or no server there at all
                time.sleep(random.uniform(0.1, 0.4))  # back off, with jitter
                if isinstance(e, InvalidStatus) and e.response.status_code == 401:
                    self.refresh()

    def refresh(self):
        try:
            self.person.http.post(
                self.person.url + "/auth/refresh",
                timeout=5,
                headers={"X-CSRF-TOKEN": self.person.http.cookies.get("csrf_refresh_token") or ""},
            )
        except requests.RequestException:
            pass  # the next attempt tries again

    def session(self):
        self.sock = sock = self.person.socket()
        self.connections += 1
        sock.send(type="subscribe", topic=self.topic, since=self.last_seq, ref="resume")
        for client_id in list(self.unacked):
            self.publish(client_id)
        next_send = time.monotonic()
        while not self.stopping.is_set():
            if self.to_send and time.monotonic() >= next_send:
                self.publish(self.to_send.pop(0))
                next_send = time.monotonic() + self.pace
            for client_id, sent_at in list(self.unacked.items()):
                if time.monotonic() - sent_at > 2:  # refused for now, or the answer was lost: again
                    self.publish(client_id)
            try:
                frame = sock.recv(timeout=0.05)
            except TimeoutError:
                continue
            self.receive(frame)
        sock.close()

    def publish(self, client_id):
        self.unacked[client_id] = time.monotonic()
        self.sock.send(
            type="publish", topic=self.topic, ref=client_id, data={"body": client_id, "client_id": client_id}
        )

    def receive(self, frame):
        if frame["type"] == "event":
            self.seqs.append(frame["seq"])
        elif frame["type"] == "ack":
            self.acked[frame["ref"]] = frame["id"]
            self.unacked.pop(frame["ref"], None)
        elif frame["type"] == "error" and frame.get("code") in RETRY_SOON and frame.get("ref") in self.unacked:
            self.unacked[frame["ref"]] = time.monotonic() - 1.5  # again in half a second
        elif frame["type"] == "error":
            self.errors.append(frame)

    def stop(self):
        self.stopping.set()
        self.join(10)


def run_until_all_delivered(chatters, during=None, timeout=60):
    """Start the chatters, run `during` (the fault) while they chat, and wait until every message is acked
    and every chatter has received every message; returns the number of messages."""
    total = sum(len(c.to_send) for c in chatters)
    for chatter in chatters:
        chatter.start()
    try:
        if during:
            during()
        if not wait_until(lambda: all(c.done_sending and c.last_seq >= total for c in chatters), timeout, 0.2):
            raise AssertionError(
                "not delivered in time: "
                + ", ".join(
                    f"{c.person.username}: {len(c.to_send)} to send, {len(c.unacked)} unacked, seq {c.last_seq}"
                    for c in chatters
                )
            )
    finally:
        for chatter in chatters:
            chatter.stop()
    return total


def chatting(chatters, connections=1, acked_before=None):
    """True once every chatter has connected `connections` times and had a message acked since
    `acked_before` (their counts of acked messages then), or has none left to send: a fault
    that comes after this comes mid-chat."""
    acked_before = acked_before or [0] * len(chatters)
    return all(
        c.connections >= connections and (len(c.acked) > before or c.done_sending)
        for c, before in zip(chatters, acked_before)
    )


def stored_messages(person, channel_id):
    """The channel's whole history over HTTP, page by page."""
    messages = []
    while True:
        after = messages[-1]["id"] if messages else 0
        page = person.api("GET", f"/api/channels/{channel_id}/messages?limit=100&after={after}").json()
        if not page:
            return messages
        messages += page


def assert_nothing_lost_or_doubled(chatters, history, total):
    """The stored history is every acked message exactly once; each chatter saw every seq once, in order."""
    acked = {client_id: message_id for c in chatters for client_id, message_id in c.acked.items()}
    assert len(acked) == total
    stored = sorted(m["client_id"] for m in history)
    assert stored == sorted(acked), (len(stored), len(set(stored)), set(acked) - set(stored))  # no loss, no duplicate
    assert {m["client_id"]: m["id"] for m in history} == acked
    for chatter in chatters:
        assert chatter.seqs == list(range(1, total + 1)), chatter.person.username
        assert chatter.errors == []
