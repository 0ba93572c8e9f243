"""The realtime socket service of one worker: the hub, broker, socket cap and presence wired into the app.

One SocketService per app (per worker process). What was committed reaches it through
the broker (announce.py publishes it, wire.py reads it back); what each client frame
does is `frames.ClientFrames`; the log's replay is replay.py's, the background work
maintenance.py's. It serves each socket until it closes, and sends them away on a restart.
"""

import logging
import os
import random
import threading
import time
import uuid
from collections import deque

import sqlalchemy as sa
from flask import current_app

from hearth.extensions import db
from hearth.metrics import DELIVERY_LAG, EVENTS_FANNED_OUT, OPEN_SOCKETS, log_event
from hearth.models import AuthSession, User
from hearth.protocol import GOING_AWAY, REVOKED, TYPING_EVERY, dumps
from hearth.realtime import announce, wire
from hearth.realtime.connection import Connection
from hearth.realtime.frames import ClientFrames
from hearth.realtime.hub import Hub
from hearth.realtime.maintenance import SLOT_TTL, Maintenance, slot_key
from hearth.realtime.presence import Presence
from hearth.realtime.registry import make_registry
from hearth.realtime.replay import Replay, database
from hearth.workspaces.topics import presence_workspace

log = logging.getLogger(__name__)

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
        self.replay = Replay(app, self.hub)
        self.hub.on_gap = self.replay.fill_gap
        self.broker = app.extensions["hearth.broker"]
        self.broker.when_reconnected(self.replay.catch_up_everyone)
        self.registry = make_registry(cfg["REDIS_URL"])
        self.presence = Presence(self.registry, self.broker, self.hub, self.users_by_id, cfg["PRESENCE_GRACE"])
        self.max_sockets = cfg["MAX_SOCKETS_PER_USER"]
        self.maintenance = Maintenance(app, self.hub, self.registry, self.presence, max(1, cfg["SOCKET_RECHECK"]))
        wire.subscribe(self.broker, wire.Event, self._deliver_event)
        wire.subscribe(self.broker, wire.PrivateEvent, self._deliver_private_event)
        wire.subscribe(self.broker, wire.EndedSessions, self._close_ended_sessions)
        wire.subscribe(self.broker, wire.Withdrawal, self._withdraw)
        wire.subscribe(self.broker, wire.ToUsers, self._send_to_users)
        wire.subscribe(self.broker, wire.Typing, self._relay_typing)
        announce.of(app).around_withdrawal.append(self.presence.expel_withdrawn)
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
        threading.Thread(target=self.maintenance.run_forever, name="hearth-sockets", daemon=True).start()

    # the socket cap, counted across workers and hosts

    def claim_slot(self, user_id):
        key = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        return key if self.registry.claim(slot_key(user_id), key, SLOT_TTL, self.max_sockets) else None

    def release_slot(self, user_id, key):
        self.registry.release(slot_key(user_id), key)

    # fan-out

    def _deliver_event(self, event):
        DELIVERY_LAG.observe(max(0.0, time.time() - event.committed_at))
        EVENTS_FANNED_OUT.inc(self.hub.deliver_event(event.topic, event.seq, event.frame))

    def _deliver_private_event(self, event):
        DELIVERY_LAG.observe(max(0.0, time.time() - event.committed_at))
        fanned = self.hub.deliver_private_event(event.topic, event.seq, event.audience, event.frame, event.hidden)
        EVENTS_FANNED_OUT.inc(fanned)

    def _close_ended_sessions(self, ended):
        self.endings.add(frozenset(ended.ids))
        self.hub.close_sessions(ended.ids, REVOKED, "session ended")

    # withdrawn topics: a removed member, a deleted channel or board

    def _withdraw(self, withdrawal):
        topics, user_id, reason = withdrawal
        self.withdrawals.add((frozenset(topics), user_id, reason))
        for conn, topic in self.hub.withdraw(topics, user_id, reason):
            workspace_id = presence_workspace(topic)
            if workspace_id is not None:
                self.presence.forget(conn, workspace_id)

    def withdrawn_since(self, started, topic, user_id):
        """The reason, when `topic` was withdrawn from this user after `started` (a subscribe checked just before)."""
        for topics, whom, reason in self.withdrawals.since(started):
            if topic in topics and whom in (None, user_id):
                return reason
        return None

    # frames for one user, and typing

    def _send_to_users(self, message):
        for user_id in message.user_ids:
            self.hub.send_to_user(user_id, message.frame)

    def typing(self, user, topic):
        """Relay that `user` is typing to the topic's other subscribers, at most once per TYPING_EVERY seconds."""
        if self.registry.claim(f"typing:{user['id']}:{topic}", uuid.uuid4().hex, TYPING_EVERY, 1):
            frame = dumps({"type": "typing", "topic": topic, "user": user})
            wire.publish(self.broker, wire.Typing(topic, user["id"], frame))

    def _relay_typing(self, typing):
        self.hub.broadcast(typing.topic, typing.frame, skip_user=typing.user_id)

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

    def users_by_id(self, ids):
        if not ids:
            return {}
        with database(self.app):
            return {u.id: u.to_dict() for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}

    # serving one socket

    def serve(self, ws, upgrade):
        """The receive-and-dispatch loop of one socket, until it closes; `upgrade` is who its checks found
        (upgrade.CheckedUpgrade), its session live at `upgrade.checked_at`."""
        user_id, session_id, key, checked_at, request_id = upgrade
        self.start()
        conn = Connection(ws, user_id, session_id, key, OUTBOX_FRAMES)
        self.hub.add(conn)
        if self.ended_since(checked_at, session_id):
            conn.close_soon(REVOKED, "session ended")
        elif self.going_away:  # accepted just before the worker began to stop: it went by go_away's list
            self.send_away(conn)
        frames = ClientFrames(
            conn,
            self.hub,
            self.presence,
            replay=self.replay.events,
            withdrawn_since=self.withdrawn_since,
            users_by_id=self.users_by_id,
            typing=self.typing,
        )
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


def socket_service():
    return current_app.extensions["hearth.sockets"]


def init_app(app):
    app.extensions["hearth.sockets"] = SocketService(app)
