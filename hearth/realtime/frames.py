"""What each frame from one client does: the socket's protocol, turned into calls on the domain.

Client frames go through the same domain functions as the HTTP API, so a socket
can do nothing the API would refuse. A bad frame gets an error frame and changes nothing.
"""

import logging
import time

import sqlalchemy as sa

from hearth.accounts import personal_tokens
from hearth.accounts.throttles import throttle
from hearth.errors import DomainError
from hearth.extensions import db
from hearth.models import Board, Channel, Workspace
from hearth.protocol import POLICY, REPLAY_LIMIT
from hearth.realtime.limits import TokenBucket
from hearth.validation import MAX_ID, parse_json
from hearth.workspaces import access, cards, messages, reactions
from hearth.workspaces.topics import Topic, presence_workspace

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 200
FRAME_RATE, FRAME_BURST = 30, 60  # every client frame
PUBLISH_RATE, PUBLISH_BURST = 10, 30  # publishes of one socket; each also counts toward its user's write limit
ABUSE_LIMIT = 50  # refused frames in a row before the socket is closed with 1008
ERROR_CODES = {"invalid_input": "invalid_message"}
MESSAGE_OPS = ("message.create", "message.update", "message.delete", "message.react", "message.unreact")


class ClientFrames:
    """What each frame from one client does. A bad frame gets an error frame and changes nothing."""

    def __init__(self, conn, hub, presence, replay, withdrawn_since, users_by_id, typing):
        self.conn = conn
        self.hub = hub
        self.presence = presence
        self.replay = replay  # (topic, after seq, user id) -> [(seq, frame)] from the event log, as they may see it
        self.withdrawn_since = withdrawn_since  # (started, topic, user id) -> the reason, if withdrawn since
        self.users_by_id = users_by_id  # ids -> {id: user as frames show them}
        self.relay_typing = typing  # (user, topic): relayed to the topic's other subscribers
        self.frame_budget = TokenBucket(FRAME_RATE, FRAME_BURST)
        self.publish_budget = TokenBucket(PUBLISH_RATE, PUBLISH_BURST)
        self.refused_in_a_row = 0
        self.user = None  # the user as frames show them, read once when first needed
        self.via = ...  # the name of the token this socket was opened with (None: a browser's), read once

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
            action = (
                {
                    "subscribe": self.subscribe,
                    "unsubscribe": self.unsubscribe,
                    "publish": self.publish,
                    "ping": self.ping,
                    "typing": self.typing,
                }.get(kind)
                if isinstance(kind, str)
                else None
            )
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
        started = time.monotonic()  # a withdrawal after this may have missed the membership check below
        topic, kind, ident = self.topic_of(message)
        since = message.get("since")
        if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
            raise FrameError("invalid_message", "since must be a non-negative integer or null.")
        if topic not in self.conn.subscriptions and len(self.conn.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise FrameError("invalid_message", f"At most {MAX_SUBSCRIPTIONS} subscriptions per socket.")
        uid, hub, conn = self.conn.user_id, self.hub, self.conn
        if kind == "presence":
            access.workspace_for(uid, ident)
            sub = hub.subscribe(conn, topic)
            if self.withdrawn(started, topic, ref):
                return
            sub.hold()  # diffs wait until the state is sent
            conn.send({"type": "subscribed", "topic": topic, "ref": ref, "seq": None})
            users = self.presence.join(conn, ident)
            conn.send({"type": "presence_state", "topic": topic, "users": users})
            for _, frame in sub.release():
                conn.send(frame)
            return
        row = {"chat": access.channel_for, "board": access.board_for, "workspace": access.workspace_for}[kind](
            uid, ident
        )
        head = row.seq
        if since is not None and (since > head or head - since > REPLAY_LIMIT):
            self.resync(topic, ref)
            return
        if since is not None and not throttle().replay_allowed(uid, head - since):
            raise FrameError("rate_limited", "Too many events replayed; subscribe again in a few seconds.")
        sub = hub.subscribe(conn, topic)
        if self.withdrawn(started, topic, ref):
            return
        sub.hold()  # live events wait from here on
        if since is None:
            sub.last_seq = self.head_of(kind, ident)
            replayed = []
        else:
            sub.last_seq = since
            replayed = self.replay(topic, since, uid)
            if since < head and (not replayed or replayed[0][0] != since + 1):
                self.resync(topic, ref)  # `flask prune` removed the events just after `since`: the log has a hole
                return
        hub.replay(conn, sub, replayed)
        conn.send({"type": "subscribed", "topic": topic, "ref": ref, "seq": sub.last_seq})
        hub.go_live(conn, sub)

    def resync(self, topic, ref):
        """The log cannot bring this client up to date: it reloads over HTTP and subscribes from the new head."""
        self.hub.unsubscribe(self.conn, topic)
        self.conn.send({"type": "resync_required", "topic": topic, "ref": ref})

    def withdrawn(self, started, topic, ref):
        """True (and the subscription ended, told why) when the topic was withdrawn while it was being checked."""
        reason = self.withdrawn_since(started, topic, self.conn.user_id)
        if reason is None:
            return False
        self.hub.unsubscribe(self.conn, topic)
        self.conn.send({"type": "unsubscribed", "topic": topic, "ref": ref, "reason": reason})
        return True

    def typing(self, message, ref):
        """Someone is typing in a channel: the topic's other subscribers hear of it. Nothing is stored."""
        topic, kind, ident = self.topic_of(message)
        if kind != "chat":
            raise FrameError("invalid_message", "Typing is only shown in chat topics.")
        if topic not in self.conn.subscriptions:
            access.channel_for(self.conn.user_id, ident)  # a subscription was checked already; else check now
        if self.user is None:
            self.user = self.users_by_id([self.conn.user_id])[self.conn.user_id]
        self.relay_typing(self.user, topic)

    def unsubscribe(self, message, ref):
        topic = message.get("topic")
        if not isinstance(topic, str):
            raise FrameError("invalid_message", "topic must be a string.")
        self.leave(topic)
        self.conn.send({"type": "unsubscribed", "topic": topic, "ref": ref})

    def leave(self, topic):
        if topic in self.conn.subscriptions:
            self.hub.unsubscribe(self.conn, topic)
            workspace_id = presence_workspace(topic)
            if workspace_id is not None:
                self.presence.leave(self.conn, workspace_id)

    def publish(self, message, ref):
        topic, kind, ident = self.topic_of(message)
        if kind in ("presence", "workspace"):
            raise FrameError("invalid_message", f"{kind.capitalize()} topics are not published to.")
        data = message.get("data")
        if not isinstance(data, dict):
            raise FrameError("invalid_message", "data must be an object.")
        uid = self.conn.user_id
        if not self.publish_budget.take() or throttle().write_wait(uid):
            raise FrameError("rate_limited", "Too many messages; slow down.")
        if kind == "chat":
            self.publish_message_op(uid, ident, data, ref)
            return
        self.publish_card_op(uid, ident, data, ref)

    def publish_message_op(self, uid, channel_id, data, ref):
        op = data.get("op", "message.create")
        if op not in MESSAGE_OPS:
            raise FrameError("invalid_message", f"op must be one of {', '.join(MESSAGE_OPS)}.")
        if op == "message.create":
            fields = {k: v for k, v in data.items() if k != "op"}
            stored, _ = messages.post_message(uid, channel_id, fields, via=self.sent_via())
            self.conn.send({"type": "ack", "ref": ref, "id": stored.id, "seq": stored.seq})
            return
        message_id = row_id(data, "message_id", "No such message in this channel.")
        if op in ("message.react", "message.unreact"):
            emoji = data.get("emoji")
            if not isinstance(emoji, str):
                raise FrameError("invalid_message", "emoji must be a string.")
            change = reactions.add_reaction if op == "message.react" else reactions.remove_reaction
            seq = change(uid, message_id, emoji, channel_id)  # None: nothing changed (it was so already)
            self.conn.send({"type": "ack", "ref": ref, "id": message_id, "seq": seq})
            return
        if op == "message.delete":
            seq = messages.delete_message(uid, message_id, channel_id)
            self.conn.send({"type": "ack", "ref": ref, "id": message_id, "seq": seq})
            return
        message, seq = messages.edit_message(uid, message_id, {"body": data.get("body")}, channel_id)
        self.conn.send({"type": "ack", "ref": ref, "id": message.id, "seq": seq, "message": message.to_dict()})

    def sent_via(self):
        """The name of the personal access token this socket was opened with (None for a browser's), asked once."""
        if self.via is ...:
            self.via = personal_tokens.name_of_session(self.conn.session_id)
        return self.via

    def publish_card_op(self, uid, board_id, data, ref):
        op = data.get("op")
        fields = (
            {
                "card.create": ("column_id", "title", "description"),
                "card.update": ("version", "title", "description", "assignees", "due_on", "labels"),
                "card.move": ("version", "column_id", "position"),
                "card.delete": ("version",),
            }.get(op)
            if isinstance(op, str)
            else None
        )
        if fields is None:
            raise FrameError("invalid_message", "op must be card.create, card.update, card.move or card.delete.")
        body = {f: data[f] for f in fields if f in data}
        if op == "card.create":
            card, seq = cards.create_card(uid, board_id, body)
            self.conn.send({"type": "ack", "ref": ref, "id": card.id, "seq": seq, "card": card.to_dict()})
            return
        card_id = row_id(data, "card_id", "No such card on this board.")
        if op == "card.delete":
            seq = cards.delete_card(uid, card_id, body, board_id)
            self.conn.send({"type": "ack", "ref": ref, "id": card_id, "seq": seq})
            return
        card, seq = cards.update_card(uid, card_id, body, board_id)
        self.conn.send({"type": "ack", "ref": ref, "id": card.id, "seq": seq, "card": card.to_dict()})

    # helpers

    def topic_of(self, message):
        topic = message.get("topic")
        if not isinstance(topic, str):
            raise FrameError("invalid_message", "topic must be a string.")
        try:
            kind, ident = Topic.parse(topic)
        except ValueError as e:
            code = str(e)
            raise FrameError(
                code,
                "Topics are chat:<id>, board:<id>, workspace:<id> or presence:<id>."
                if code == "unknown_topic"
                else "No such topic.",
            ) from None
        return topic, kind, ident

    def head_of(self, kind, ident):
        model = {"chat": Channel, "board": Board, "workspace": Workspace}[kind]
        return db.session.scalar(sa.select(model.seq).where(model.id == ident))


def row_id(data, field, missing):
    """The id of a message or card a frame names: not an integer is invalid_message; one no row can have is
    not_found (`missing`), without asking the database, which may refuse to compare an id column with it."""
    value = data.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise FrameError("invalid_message", f"{field} must be an integer.")
    if not 0 < value <= MAX_ID:
        raise DomainError("not_found", missing)
    return value


class FrameError(Exception):
    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra
