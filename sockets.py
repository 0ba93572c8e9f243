"""The realtime socket service: the hub, broker, socket cap and presence wired into the app, and what each client frame does.

One SocketService per app (per worker process). Events reach it after their
commit through the broker; client frames go through the same domain functions
as the HTTP API, so a socket can do nothing the API would refuse.
"""

import json
import logging
import os
import threading
import time
import uuid
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app, g, has_app_context

import workspace
from auth_sessions import sessions_ended
from broker import make_broker
from errors import DomainError
from event_log import events_committed, events_since
from extensions import db
from live_registry import make_registry
from models import AuthSession, Board, Channel, User, utcnow
from observability import DELIVERY_LAG, EVENTS_FANNED_OUT, OPEN_SOCKETS, log_event
from presence import Presence
from realtime import (
    GOING_AWAY, POLICY, REVALIDATE, REVOKED, Connection, Hub, InlineReader, NoEvent, TokenBucket, dumps, event_frame,
    parse_topic, text_frame,
)
from validation import MAX_ID, parse_json

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
REPLAY_LIMIT = 1000  # events of one topic a resume may replay; further behind, the client reloads over HTTP
MAX_SUBSCRIPTIONS = 200
SLOT_TTL = 60  # seconds a socket-cap entry lives without a heartbeat (a crashed worker's sockets free up)
HEARTBEAT = 20
PING_EVERY = 25  # a peer that misses a ping is gone within two intervals
OUTBOX_FRAMES = 512
FRAME_RATE, FRAME_BURST = 30, 60  # every client frame
PUBLISH_RATE, PUBLISH_BURST = 10, 30  # publishes
ABUSE_LIMIT = 50  # refused frames in a row before the socket is closed with 1008
ERROR_CODES = {"invalid_input": "invalid_message", "forbidden": "invalid_message"}


class SocketService:
    def __init__(self, app):
        self.app = app
        cfg = app.config
        self.hub = Hub()
        self.broker = make_broker(cfg["REDIS_URL"], on_reconnect=self.catch_up_everyone)
        self.registry = make_registry(cfg["REDIS_URL"])
        self.presence = Presence(self.registry, self.broker, self.hub, self.users_by_id, cfg["PRESENCE_GRACE"])
        self.max_sockets = cfg["MAX_SOCKETS_PER_USER"]
        self.recheck_every = max(1, cfg["SOCKET_RECHECK"])
        self.broker.subscribe("events", self._deliver_event)
        self.broker.subscribe("sessions", self._close_ended_sessions)
        events_committed.connect(self._publish_events, sender=app, weak=False)
        sessions_ended.connect(self._publish_ended_sessions, sender=app, weak=False)
        self._started = False
        self._start_lock = threading.Lock()

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

    def _publish_ended_sessions(self, sender, session_ids):
        self.broker.publish("sessions", dumps(session_ids))

    def _close_ended_sessions(self, message):
        session_ids = json.loads(message)
        self.app.extensions["hearth.session_cache"].forget(session_ids)
        self.hub.close_sessions(session_ids, REVOKED, "session ended")

    def close_all(self, code=GOING_AWAY, reason="server going away"):
        self.hub.close_all(code, reason)

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
            return [(e.seq, text_frame(event_frame(topic, e.seq, e.kind, e.data))) for e in events_since(topic, after_seq)]

    def fill_gap(self, conn, sub):
        """A live event skipped ahead (a broker hiccup): fetch what was missed, then go on live."""

        def catch_up():
            try:
                conn.replay(sub, self.replay(sub.topic, sub.last_seq))
            except Exception:
                log.exception("catching up %s failed", sub.topic)
            conn.go_live(sub)

        threading.Thread(target=catch_up, daemon=True).start()

    def catch_up_everyone(self):
        """After the broker reconnects: every live subscription checks the log for what it missed."""
        for conn in list(self.hub.connections):
            for sub in list(conn.subscriptions.values()):
                if sub.last_seq is not None and sub.buffer is None:
                    sub.buffer = []
                    self.fill_gap(conn, sub)

    def users_by_id(self, ids):
        if not ids:
            return {}
        with self.database():
            return {u.id: u.to_dict() for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}

    # serving one socket

    def serve(self, ws, user_id, session_id, key):
        """The receive-and-dispatch loop of one socket, until it closes."""
        self.start()
        conn = Connection(ws, user_id, session_id, key, OUTBOX_FRAMES)
        conn.on_gap = self.fill_gap
        self.hub.add(conn)
        frames = ClientFrames(self, conn)
        db.session.remove()  # hold no database connection while idle
        opened_at, request_id = time.monotonic(), g.get("request_id")
        OPEN_SOCKETS.inc()
        log_event("socket_open", request_id=request_id, user_id=user_id, session_id=session_id)
        try:
            for raw in conn.messages():
                if not conn.closed:
                    frames.handle(raw)
        finally:
            conn.reading = False
            for topic in list(conn.subscriptions):
                frames.leave(topic)
            self.hub.remove(conn)
            conn.stop_writer()
            OPEN_SOCKETS.dec()
            log_event("socket_close", request_id=request_id, user_id=user_id, session_id=session_id,
                      close_code=conn.close_code or int(ws.close_reason),
                      closed_by="server" if conn.close_code else "client",
                      duration_s=round(time.monotonic() - opened_at, 3))

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
                    chunk = session_ids[start:start + 500]
                    rows.update({s.id: s for s in db.session.scalars(sa.select(AuthSession).where(AuthSession.id.in_(chunk)))})
            finally:
                db.session.remove()
        for sid in session_ids:
            session = rows.get(sid)
            if session is None or session.revoked_at is not None:
                self.hub.close_sessions([sid], REVOKED, "session ended")
            elif session.expires_at <= now or session.refresh_expires_at <= now:
                self.hub.close_sessions([sid], REVALIDATE, "session needs re-validation")


class ClientFrames:
    """What each frame from one client does. A bad frame gets an error frame and changes nothing."""

    def __init__(self, service, conn):
        self.service = service
        self.conn = conn
        self.frame_budget = TokenBucket(FRAME_RATE, FRAME_BURST)
        self.publish_budget = TokenBucket(PUBLISH_RATE, PUBLISH_BURST)
        self.refused_in_a_row = 0

    def handle(self, raw):
        ref = None
        try:
            if isinstance(raw, bytes):
                raise FrameError("invalid_message", "Frames are JSON text.")
            try:
                message = parse_json(raw)
            except ValueError:
                raise FrameError("invalid_json", "The frame is not valid JSON.") from None
            if not isinstance(message, dict):
                raise FrameError("invalid_message", "A frame is a JSON object with a type.")
            ref = message.get("ref")
            if ref is not None and (not isinstance(ref, (str, int)) or isinstance(ref, bool) or len(str(ref)) > 200):
                ref = None
                raise FrameError("invalid_message", "ref must be a string.")
            if not self.frame_budget.take():  # after the ref: the client retries the frame it names
                raise FrameError("rate_limited", "Too many frames; slow down.")
            kind = message.get("type")
            action = {
                "subscribe": self.subscribe, "unsubscribe": self.unsubscribe,
                "publish": self.publish, "ping": self.ping,
            }.get(kind) if isinstance(kind, str) else None
            if action is None:
                raise FrameError("invalid_message", "Unknown frame type.")
            action(message, ref)
            self.refused_in_a_row = 0
        except FrameError as e:
            self.refuse(ref, e.code, e.message, **e.extra)
        except DomainError as e:
            self.refuse(ref, ERROR_CODES.get(e.code, e.code), e.message, **e.extra)
        except sa.exc.SQLAlchemyError as e:
            if isinstance(e, sa.exc.OperationalError):  # the database cannot be reached: no bug, the client retries
                log.warning("database unavailable while handling a frame: %s", e.orig or e)
            else:
                log.exception("database error while handling a frame")
            db.session.rollback()
            self.refuse(ref, "unavailable", "Could not do that just now; nothing was stored. Try again.")
        except Exception:
            # a bug met by one frame: answer that frame and keep the socket (an exception out of the
            # route would end it with an HTTP 500 written into the WebSocket stream)
            log.exception("unexpected error while handling a frame")
            db.session.rollback()
            self.refuse(ref, "internal_error", "Something went wrong on our side; it has been logged.")
        finally:
            db.session.remove()

    def refuse(self, ref, code, message, **extra):
        self.conn.send({"type": "error", "ref": ref, "code": code, "message": message, **extra})
        if code in ("rate_limited", "invalid_json", "invalid_message", "unknown_topic"):
            self.refused_in_a_row += 1
            if self.refused_in_a_row >= ABUSE_LIMIT:
                self.conn.close_soon(POLICY, "too many refused frames")

    # frame types

    def ping(self, message, ref):
        self.conn.send({"type": "pong", "ref": ref})

    def subscribe(self, message, ref):
        topic, kind, ident = self.topic_of(message)
        since = message.get("since")
        if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
            raise FrameError("invalid_message", "since must be a non-negative integer or null.")
        if topic not in self.conn.subscriptions and len(self.conn.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise FrameError("invalid_message", f"At most {MAX_SUBSCRIPTIONS} subscriptions per socket.")
        uid, hub, conn = self.conn.user_id, self.service.hub, self.conn
        if kind == "presence":
            workspace.workspace_for(uid, ident)
            sub = hub.subscribe(conn, topic)
            sub.buffer = []  # diffs wait until the state is sent
            conn.send({"type": "subscribed", "topic": topic, "ref": ref, "seq": None})
            users = self.service.presence.join(conn, ident)
            conn.send({"type": "presence_state", "topic": topic, "users": users})
            pending, sub.buffer = sub.buffer, None
            for _, frame in pending:
                conn.send(frame)
            return
        row = workspace.channel_for(uid, ident) if kind == "chat" else workspace.board_for(uid, ident)
        head = row.seq
        if since is not None and (since > head or head - since > REPLAY_LIMIT):
            self.service.hub.unsubscribe(conn, topic)
            conn.send({"type": "resync_required", "topic": topic, "ref": ref})
            return
        sub = hub.subscribe(conn, topic)
        sub.buffer = []  # live events wait from here on
        if since is None:
            sub.last_seq = self.head_of(kind, ident)
            replayed = []
        else:
            sub.last_seq = since
            replayed = self.service.replay(topic, since)
        conn.replay(sub, replayed)
        conn.send({"type": "subscribed", "topic": topic, "ref": ref, "seq": sub.last_seq})
        conn.go_live(sub)

    def unsubscribe(self, message, ref):
        topic = message.get("topic")
        if not isinstance(topic, str):
            raise FrameError("invalid_message", "topic must be a string.")
        self.leave(topic)
        self.conn.send({"type": "unsubscribed", "topic": topic, "ref": ref})

    def leave(self, topic):
        if topic in self.conn.subscriptions:
            self.service.hub.unsubscribe(self.conn, topic)
            if topic.startswith("presence:"):
                self.service.presence.leave(self.conn, int(topic.split(":", 1)[1]))

    def publish(self, message, ref):
        topic, kind, ident = self.topic_of(message)
        if kind == "presence":
            raise FrameError("invalid_message", "Presence is not published to.")
        data = message.get("data")
        if not isinstance(data, dict):
            raise FrameError("invalid_message", "data must be an object.")
        if not self.publish_budget.take():
            raise FrameError("rate_limited", "Too many messages; slow down.")
        uid = self.conn.user_id
        if kind == "chat":
            stored, _ = workspace.post_message(uid, ident, data)
            self.conn.send({"type": "ack", "ref": ref, "id": stored.id, "seq": stored.seq})
            return
        self.publish_card_op(uid, ident, data, ref)

    def publish_card_op(self, uid, board_id, data, ref):
        op = data.get("op")
        fields = {
            "card.create": ("column_id", "title", "description"),
            "card.update": ("version", "title", "description"),
            "card.move": ("version", "column_id", "position"),
            "card.delete": ("version",),
        }.get(op) if isinstance(op, str) else None
        if fields is None:
            raise FrameError("invalid_message", "op must be card.create, card.update, card.move or card.delete.")
        body = {f: data[f] for f in fields if f in data}
        if op == "card.create":
            card, seq = workspace.create_card(uid, board_id, body)
            self.conn.send({"type": "ack", "ref": ref, "id": card.id, "seq": seq, "card": card.to_dict()})
            return
        card_id = data.get("card_id")
        if not isinstance(card_id, int) or isinstance(card_id, bool):
            raise FrameError("invalid_message", "card_id must be an integer.")
        if not 0 < card_id <= MAX_ID:
            raise DomainError("not_found", "No such card on this board.")
        if workspace.card_for(uid, card_id).board_id != board_id:
            raise DomainError("not_found", "No such card on this board.")
        if op == "card.delete":
            seq = workspace.delete_card(uid, card_id, body)
            self.conn.send({"type": "ack", "ref": ref, "id": card_id, "seq": seq})
            return
        card, seq = workspace.update_card(uid, card_id, body)
        self.conn.send({"type": "ack", "ref": ref, "id": card.id, "seq": seq, "card": card.to_dict()})

    # helpers

    def topic_of(self, message):
        topic = message.get("topic")
        if not isinstance(topic, str):
            raise FrameError("invalid_message", "topic must be a string.")
        try:
            kind, ident = parse_topic(topic)
        except ValueError as e:
            code = str(e)
            raise FrameError(code, "Topics are chat:<id>, board:<id> or presence:<id>." if code == "unknown_topic"
                             else "No such topic.") from None
        return topic, kind, ident

    def head_of(self, kind, ident):
        model = Channel if kind == "chat" else Board
        return db.session.scalar(sa.select(model.seq).where(model.id == ident))


class FrameError(Exception):
    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


def socket_service():
    return current_app.extensions["hearth.sockets"]


def init_app(app):
    app.extensions["hearth.sockets"] = SocketService(app)
    # flask-sock's defaults are no pings and no size limit: the maintenance loop pings (dead peers are
    # reaped), frames are capped (1009), and no reader thread is started per socket.
    app.config.setdefault("SOCK_SERVER_OPTIONS", {
        "max_message_size": MAX_FRAME_BYTES, "thread_class": InlineReader, "event_class": NoEvent,
    })
