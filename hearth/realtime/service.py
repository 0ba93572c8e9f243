"""The realtime socket service of one worker: the hub, broker, socket cap and presence wired into the app.

One SocketService per app (per worker process). Events reach it after their
commit through the broker; what each client frame does is `frames.ClientFrames`.
"""

import json
import logging
import os
import random
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app, has_app_context

from hearth.accounts.sessions import ENDED_CHANNEL
from hearth.event_log import access_withdrawn, events_committed, events_since, read_moved
from hearth.extensions import db
from hearth.models import AuthSession, User, utcnow
from hearth.observability import DELIVERY_LAG, EVENTS_FANNED_OUT, OPEN_SOCKETS, log_event
from hearth.protocol import GOING_AWAY, POLICY, REVALIDATE, REVOKED, TYPING_EVERY
from hearth.realtime.frames import ClientFrames
from hearth.realtime.hub import Connection, Hub, dumps, event_frame, text_frame
from hearth.realtime.presence import Presence
from hearth.realtime.registry import make_registry

log = logging.getLogger(__name__)

SLOT_TTL = 60  # seconds a socket-cap entry lives without a heartbeat (a crashed worker's sockets free up)
HEARTBEAT = 20
PING_EVERY = 25  # a peer that misses a ping is gone within two intervals
OUTBOX_FRAMES = 512
REJOIN_PER_SECOND = 500  # reconnecting sockets (upgrade and resume) one worker takes back per second, with room
RECENT_KEPT = 30  # seconds a withdrawal or an ending is remembered, for work that was checked just before it


class RecentLog:
    """What happened in the last RECENT_KEPT seconds, for a check made before it and acted on after."""

    def __init__(self):
        self.entries = deque()  # (monotonic time, entry), newest last

    def add(self, entry):
        now = time.monotonic()
        self.entries.append((now, entry))
        while self.entries and self.entries[0][0] < now - RECENT_KEPT:
            self.entries.popleft()

    def since(self, started):
        """The entries added after `started`, newest first."""
        for at, entry in reversed(self.entries):
            if at < started:
                return
            yield entry

    def covers(self, started):
        return time.monotonic() - started < RECENT_KEPT


class SocketService:
    def __init__(self, app):
        self.app = app
        cfg = app.config
        self.hub = Hub()
        self.broker = app.extensions["hearth.broker"]
        self.broker.when_reconnected(self.catch_up_everyone)
        self.registry = make_registry(cfg["REDIS_URL"])
        self.presence = Presence(self.registry, self.broker, self.hub, self.users_by_id, cfg["PRESENCE_GRACE"])
        self.max_sockets = cfg["MAX_SOCKETS_PER_USER"]
        self.recheck_every = max(1, cfg["SOCKET_RECHECK"])
        self.broker.subscribe("events", self._deliver_event)
        self.broker.subscribe(ENDED_CHANNEL, self._close_ended_sessions)
        events_committed.connect(self._publish_events, sender=app, weak=False)
        self.broker.subscribe("withdrawals", self._withdraw)
        self.broker.subscribe("users", self._send_to_user)
        self.broker.subscribe("typing", self._relay_typing)
        access_withdrawn.connect(self._publish_withdrawal, sender=app, weak=False)
        read_moved.connect(self._publish_read, sender=app, weak=False)
        self.withdrawals = RecentLog()  # (topics, user id or None, reason)
        self.endings = RecentLog()  # ids of sessions ended
        self._started = False
        self._start_lock = threading.Lock()
        self.going_away = False  # set once the worker is stopping: upgrades are refused from then on
        self.rejoin_window_ms = 1000  # the 1001s' waits are drawn from this window

    def start(self):
        """Background work starts with the first socket, so the CLI and HTTP-only tests start none."""
        with self._start_lock:
            if self._started:
                return
            self._started = True
        self.broker.start()
        threading.Thread(target=self._maintain_forever, name="hearth-sockets", daemon=True).start()

    # the socket cap, counted across workers and hosts

    def claim_slot(self, user_id):
        key = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        return key if self.registry.claim(f"sockets:{user_id}", key, SLOT_TTL, self.max_sockets) else None

    def release_slot(self, user_id, key):
        self.registry.release(f"sockets:{user_id}", key)

    # fan-out

    def _publish_events(self, sender, events):
        now = time.time()
        for e in events:
            frame = event_frame(e.topic, e.seq, e.kind, e.data)
            self.broker.publish("events", f"{e.topic}\n{e.seq}\n{now:.6f}\n{frame}")

    def _deliver_event(self, message):
        topic, seq, committed_at, payload = message.split("\n", 3)
        DELIVERY_LAG.observe(max(0.0, time.time() - float(committed_at)))
        EVENTS_FANNED_OUT.inc(self.hub.deliver_event(topic, int(seq), payload))

    def _close_ended_sessions(self, message):
        ended = json.loads(message)
        self.endings.add(frozenset(ended))
        self.hub.close_sessions(ended, REVOKED, "session ended")

    # withdrawn topics: a removed member, a deleted channel or board

    def _publish_withdrawal(self, sender, topics, user_id, reason):
        """Tell every worker; a removed member leaves presence now, not after the reconnect grace."""
        presence_of = [int(t.split(":", 1)[1]) for t in topics if t.startswith("presence:") and user_id is not None]
        left = [workspace_id for workspace_id in presence_of if self.presence.expel(user_id, workspace_id)]
        self.broker.publish("withdrawals", dumps({"topics": topics, "user_id": user_id, "reason": reason}))
        for workspace_id in left:  # after the withdrawal, so the removed person's sockets hear nothing of it
            self.presence.announce_leave(workspace_id, user_id)

    def _withdraw(self, message):
        withdrawal = json.loads(message)
        topics, user_id, reason = withdrawal["topics"], withdrawal["user_id"], withdrawal["reason"]
        self.withdrawals.add((frozenset(topics), user_id, reason))
        for conn, topic in self.hub.withdraw(topics, user_id, reason):
            if topic.startswith("presence:"):
                self.presence.forget(conn, int(topic.split(":", 1)[1]))

    def withdrawn_since(self, started, topic, user_id):
        """The reason, when `topic` was withdrawn from this user after `started` (a subscribe checked just before)."""
        for topics, whom, reason in self.withdrawals.since(started):
            if topic in topics and whom in (None, user_id):
                return reason
        return None

    # frames for one user, and typing

    def _publish_read(self, sender, user_id, topic, seq):
        self.broker.publish("users", f"{user_id}\n{dumps({'type': 'read', 'topic': topic, 'seq': seq})}")

    def _send_to_user(self, message):
        user_id, payload = message.split("\n", 1)
        self.hub.send_to_user(int(user_id), payload)

    def typing(self, user, topic):
        """Relay that `user` is typing to the topic's other subscribers, at most once per TYPING_EVERY seconds."""
        if self.registry.claim(f"typing:{user['id']}:{topic}", uuid.uuid4().hex, TYPING_EVERY, 1):
            frame = dumps({"type": "typing", "topic": topic, "user": user})
            self.broker.publish("typing", f"{topic}\n{user['id']}\n{frame}")

    def _relay_typing(self, message):
        topic, user_id, frame = message.split("\n", 2)
        self.hub.broadcast(topic, frame, skip_user=int(user_id))

    def go_away(self):
        """The worker is stopping (SIGTERM, a deploy): refuse new sockets, and close each open one with 1001.

        Each close says when to come back (`retry in N ms`), spread over as long as this worker takes to
        accept its sockets again (REJOIN_PER_SECOND), so that a restart is not met by all of them at once.
        """
        conns = list(self.hub.connections)
        self.rejoin_window_ms = 1000 * max(1, len(conns) / REJOIN_PER_SECOND)
        self.going_away = True
        for conn in conns:
            self.send_away(conn)

    def send_away(self, conn):
        conn.close_soon(GOING_AWAY, f"server going away; retry in {int(random.random() * self.rejoin_window_ms)} ms")

    # replay

    @contextmanager
    def database(self):
        """The frame's own session inside a frame, else a session of its own for this piece of work.

        A frame never holds two pooled connections at once: many frames that each held one
        while waiting for a second would empty the pool and wait on each other until it timed out.
        """
        if has_app_context():
            yield
            return
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def replay(self, topic, after_seq):
        with self.database():
            return [
                (e.seq, text_frame(event_frame(topic, e.seq, e.kind, e.data))) for e in events_since(topic, after_seq)
            ]

    def fill_gap(self, conn, sub):
        """A live event skipped ahead (a broker hiccup): fetch what was missed, then go on live."""

        def catch_up():
            try:
                replayed = self.replay(sub.topic, sub.last_seq)
                if replayed and replayed[0][0] > sub.last_seq + 1:
                    # what was missed is older than `flask prune` kept: the client reloads, as on such a resume
                    self.hub.unsubscribe(conn, sub.topic)
                    conn.send({"type": "resync_required", "topic": sub.topic, "ref": None})
                    return
                conn.replay(sub, replayed)
            except Exception:
                log.exception("catching up %s failed", sub.topic)
            conn.go_live(sub)

        threading.Thread(target=catch_up, daemon=True).start()

    def catch_up_everyone(self):
        """After the broker reconnects: every live subscription checks the log for what it missed."""
        for conn in list(self.hub.connections):
            for sub in list(conn.subscriptions.values()):
                if sub.last_seq is not None and sub.hold():
                    self.fill_gap(conn, sub)

    def users_by_id(self, ids):
        if not ids:
            return {}
        with self.database():
            return {u.id: u.to_dict() for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}

    # serving one socket

    def serve(self, ws, upgrade):
        """The receive-and-dispatch loop of one socket, until it closes; `upgrade` is who its checks found
        (upgrade.CheckedUpgrade), its session live at `upgrade.checked_at`."""
        user_id, session_id, key, checked_at, request_id = upgrade
        self.start()
        conn = Connection(ws, user_id, session_id, key, OUTBOX_FRAMES)
        conn.on_gap = self.fill_gap
        self.hub.add(conn)
        if self.ended_since(checked_at, session_id):
            conn.close_soon(REVOKED, "session ended")
        elif self.going_away:  # accepted just before the worker began to stop: it went by go_away's list
            self.send_away(conn)
        frames = ClientFrames(self, conn)
        db.session.remove()  # hold no database connection while idle
        opened_at = time.monotonic()
        OPEN_SOCKETS.inc()
        try:
            for raw in conn.messages():  # none once the server is ending the socket
                frames.handle(raw)
        finally:
            conn.reading = False
            for topic in list(conn.subscriptions):
                frames.leave(topic)
            self.hub.remove(conn)
            conn.stop_writer()
            OPEN_SOCKETS.dec()
            # one line per socket, written when it ends (like a request's): a reconnect storm writes each once
            log_event(
                "socket_close",
                request_id=request_id,
                user_id=user_id,
                session_id=session_id,
                close_code=conn.close_code,
                closed_by=conn.closed_by,
                duration_s=round(time.monotonic() - opened_at, 3),
            )

    def ended_since(self, checked_at, session_id):
        """Whether the session ended after the upgrade found it live, before its socket joined the hub.

        A logout's close finds the sockets in the hub; one that committed between the check and
        `hub.add` closed nothing here, but its ending reached this worker (through the broker) and is
        in `endings`. Only an upgrade that took longer than `endings` remembers reads the row again.
        """
        if self.endings.covers(checked_at):
            return any(session_id in ended for ended in self.endings.since(checked_at))
        db.session.rollback()  # a fresh read, not the upgrade's
        revoked_at = db.session.execute(
            sa.select(AuthSession.revoked_at).where(AuthSession.id == session_id)
        ).one_or_none()
        return revoked_at is None or revoked_at[0] is not None

    # maintenance: heartbeats, presence sweeps, session re-checks

    def _maintain_forever(self):
        last_heartbeat = last_recheck = last_ping = time.monotonic()
        while True:
            time.sleep(1)
            now = time.monotonic()
            try:
                if now - last_ping >= PING_EVERY:
                    last_ping = now
                    self.ping_all()
                if now - last_heartbeat >= HEARTBEAT:
                    last_heartbeat = now
                    self.heartbeat()
                if now - last_recheck >= self.recheck_every:
                    last_recheck = now
                    self.recheck_sessions()
            except Exception:
                log.exception("socket maintenance failed")

    def ping_all(self):
        for conn in list(self.hub.connections):
            if not conn.ping():
                conn.close_soon(POLICY, "ping timeout")

    def heartbeat(self):
        slots = [(f"sockets:{c.user_id}", c.key) for c in list(self.hub.connections)]
        if slots:
            self.registry.refresh(slots, SLOT_TTL)
        self.presence.heartbeat()

    def recheck_sessions(self):
        """Close sockets whose session was ended (4403) or ran out (4401) without a signal reaching us."""
        session_ids = list(self.hub.by_session)
        if not session_ids:
            return
        now = utcnow()
        with self.app.app_context():
            try:
                rows = {}
                for start in range(0, len(session_ids), 500):
                    chunk = session_ids[start : start + 500]
                    rows.update(
                        {s.id: s for s in db.session.scalars(sa.select(AuthSession).where(AuthSession.id.in_(chunk)))}
                    )
            finally:
                db.session.remove()
        for sid in session_ids:
            session = rows.get(sid)
            if session is None or session.revoked_at is not None:
                self.hub.close_sessions([sid], REVOKED, "session ended")
            elif session.expires_at <= now or session.refresh_expires_at <= now:
                self.hub.close_sessions([sid], REVALIDATE, "session needs re-validation")


def socket_service():
    return current_app.extensions["hearth.sockets"]


def init_app(app):
    app.extensions["hearth.sockets"] = SocketService(app)
