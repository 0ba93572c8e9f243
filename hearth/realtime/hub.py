"""The sockets of one process: who is subscribed to what, and delivering each event once, in order.

No Flask here. A Connection wraps one accepted WebSocket with a bounded outgoing
queue and a writer, so a slow reader only ever delays itself. The Hub fans an
event out: its frame is built once and the same bytes go to every subscriber.

Delivery is by `seq`. A subscription remembers the last seq it passed on; an
event at or below it is a duplicate and dropped, and one beyond the next is a
gap that the connection fills from the database before going on. While a
subscription replays, live events wait in a buffer, so replay and live meet
with no gap and no duplicate.
"""

import logging
import queue
import socket
import struct
import threading
import time

from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError

from hearth.protocol import POLICY, TOPIC_KINDS, dumps
from hearth.validation import MAX_ID

log = logging.getLogger(__name__)

PING_FRAME = b"\x89\x00"  # an empty ping, written like any other frame
CLOSE_WAIT = 2.0  # seconds a client gets to answer our close frame
DROPPED = 1006  # RFC 6455's code for a connection that ended without any Close frame
NO_STATUS = CloseReason.NO_STATUS_RCVD  # simple-websocket's close_reason until it records one
END_OF_WRITING = object()  # queued for the writer: end our side of the TCP connection (FIN) here


def text_frame(payload):
    """A complete unmasked WebSocket text frame, built once and written to many sockets."""
    data = payload.encode() if isinstance(payload, str) else payload
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + data


def event_frame(topic, seq, kind, data_json):
    """The event frame as JSON text; `data_json` is already serialized (once, when stored)."""
    return f'{{"type":"event","topic":{dumps(topic)},"seq":{seq},"event":{dumps(kind)},"data":{data_json}}}'


def parse_topic(topic):
    """("chat", 12) for "chat:12"; raises ValueError("unknown_topic" | "not_found")."""
    kind, _, ident = topic.partition(":")
    if kind not in TOPIC_KINDS:
        raise ValueError("unknown_topic")
    # an id no column can hold names no row, and PostgreSQL refuses to compare an id column with it
    if not ident.isascii() or not ident.isdigit() or len(ident) > 10 or int(ident) > MAX_ID:
        raise ValueError("not_found")
    # the topic string is the key of subscriptions and presence: "presence:010" would be a second name
    # for "presence:10", watched without being counted there
    if str(int(ident)) != ident:
        raise ValueError("not_found")
    return kind, int(ident)


class InlineReader:
    """simple_websocket's thread_class, starting no thread: the socket's own greenlet reads (see Connection.messages).

    A reader thread per socket would be a second greenlet per socket, each with
    its own Python frame stack: most of an idle socket's memory.
    """

    def __init__(self, target=None):
        self.name = "inline-reader"

    def start(self):
        pass


class NoEvent:
    """simple_websocket's event_class: nothing waits on it once the socket's own greenlet reads."""

    def set(self):
        pass

    def clear(self):
        pass

    def wait(self, timeout=None):
        return True


class Subscription:
    """One topic of one socket: the last seq passed on, and the live frames held back while it catches up."""

    __slots__ = ("_held", "last_seq", "topic")

    def __init__(self, topic):
        self.topic = topic
        self.last_seq = None  # None for presence, which has no seq
        self._held = []  # a new subscription holds frames until its replay is sent; None once live

    def hold(self):
        """Hold back live frames from now on; False when it already does (a catch-up is under way)."""
        if self._held is not None:
            return False
        self._held = []
        return True

    def keep(self, seq, frame):
        """Hold back this frame if the subscription is holding; True when it did."""
        if self._held is None:
            return False
        self._held.append((seq, frame))
        return True

    def release(self):
        """Go live: the held frames, in seq order, for the caller to pass on."""
        held, self._held = self._held or [], None
        return sorted(held, key=lambda item: item[0])


class OrderedSocket:
    """The socket as simple-websocket sees it: what it writes itself (pongs, its close frame) joins the
    connection's outgoing frames in order; everything else is the socket itself."""

    def __init__(self, sock, write):
        self.inner = sock
        self.send = self.sendall = lambda data: write(bytes(data)) or len(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class Connection:
    """One accepted socket of one session.

    Closing follows RFC 6455: once a Close frame is decided on or written, by either side, `closed` is
    set and no data frame is written after it, the answers to messages read with that Close included.
    After a Close of ours the reading loop goes on, discarding, until the client's Close (or
    CLOSE_WAIT), so the TCP connection ends with a FIN and not with a reset of data left unread.
    """

    def __init__(self, ws, user_id, session_id, key, queue_size=256):
        self.ws = ws
        self.user_id = user_id
        self.session_id = session_id
        self.key = key  # unique across processes: the socket-cap and presence entries use it
        self.subscriptions = {}
        self.queue_size = queue_size
        self.outbox = None  # the writer's queue, made with the writer
        self.closed = False  # no data frame may be written: a Close is decided on or sent, or the peer is gone
        self.ending = False  # the server is closing this socket: no further client frame is acted on
        self.close_code = None  # the code of the first Close frame written, whoever started the closing
        self.closed_by = None  # "server" when that Close was ours, "client" when it answered the client's
        self.reading = True  # until the socket's reading loop ends
        self._unparseable = False  # a frame could not be parsed: what follows it is discarded unread
        # every Close frame, the library's included (its answer to the client's, its 1002, 1007 and 1009),
        # is made by the protocol's send: that is where a Close is known before any byte of it is written
        self._make_frame = ws.ws.send
        ws.ws.send = self._frame_for
        self.on_gap = None  # set by the owner: called with a Subscription that missed events
        self._sock = ws.sock
        # Under gevent, the OS socket beneath: a frame that fits in its buffer is written at once,
        # without waking the writer (a greenlet switch per subscriber is most of a fan-out's cost).
        self._raw = getattr(ws.sock, "_sock", None)
        ws.sock = OrderedSocket(self._sock, self._write)
        self._pending = 0  # frames handed to the writer and not yet written
        self._writer = None  # started the first time a frame has to wait: most sockets never need one
        self._write_lock = threading.Lock()

    # receiving

    def messages(self):
        """Each complete message from the client, read in the calling greenlet, until the socket closes.

        A message that arrived before a Close, in the same read (the client's Close, or a frame we
        close for), is still handed on: the client sent it first, and a chat message typed just
        before a tab closes is kept. Its answer is not written, since nothing may follow the Close;
        a client that stays resends what was not answered, and `client_id` stores it once. Once the
        server itself is ending the socket (`close_soon`: a revoked session, abuse, shutdown),
        nothing more is acted on.
        """
        ws, protocol = self.ws, self.ws.ws
        try:
            while True:
                if ws.input_buffer and not self.ending:
                    yield ws.input_buffer.pop(0)
                    continue
                ws.input_buffer.clear()
                if protocol.state is ConnectionState.CLOSED:
                    break
                data = self._sock.recv(ws.receive_bytes)
                if not data:
                    break  # the client went away
                if self._unparseable:
                    continue
                protocol.receive_data(data)
                if protocol.state is ConnectionState.OPEN:
                    ws.connected = ws._handle_events()  # answers pings, records pongs, enforces 1007/1009
                    if protocol.state is not ConnectionState.LOCAL_CLOSING:
                        continue
                    # simple-websocket records a code only for a Close it received or, as here, for a
                    # frame it could not parse, which it answers with our 1002 or 1007
                    if ws.close_reason != NO_STATUS:
                        self._stop_parsing()
                        continue
                # our Close is out: the events of this read that simple-websocket left (it stops at
                # its 1009) and all that follow are skipped, up to the client's Close
                self._skip_until_close()
        except (OSError, LocalProtocolError):
            pass
        finally:
            ws.connected = False
            self.closed = True
            self.reading = False
            if self.closed_by is None:
                self.close_code, self.closed_by = DROPPED, "client"

    def _skip_until_close(self):
        """After our Close: discard what the client still sends until its Close ends the loop.

        Draining is what lets the TCP connection end cleanly: closing it with the rest of an
        oversized message unread would make the kernel answer with a reset, and the client could
        lose our 1009 Close with it.
        """
        for event in self.ws.ws.events():
            if isinstance(event, CloseConnection) and self.ws.ws.state is not ConnectionState.CLOSED:
                self._stop_parsing()  # not the client's Close: a frame that could not be parsed

    def _stop_parsing(self):
        """After a frame that could not be parsed: our Close, then our FIN; the rest is discarded unread.

        No later frame can be found in the stream, the client's Close included, so it is not waited for:
        the client sees our side end and ends its own (or is cut off after CLOSE_WAIT).
        """
        self._unparseable = True
        if self._writer is not None and (self._pending or self._write_lock.locked()):
            try:
                self.outbox.put_nowait(END_OF_WRITING)  # after the frames queued before it, the Close last
                self._pending += 1
            except queue.Full:
                pass  # the client is cut off after CLOSE_WAIT instead
            return
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def ping(self):
        """A server ping; False when the previous one was never answered (the peer is gone)."""
        if not self.ws.pong_received:
            return False
        self.ws.pong_received = False
        self.send(PING_FRAME)
        return True

    # sending

    def send(self, message):
        """Queue a frame (a dict, JSON text or ready frame bytes); a reader too slow to keep up is cut off."""
        if self.closed:
            return
        if isinstance(message, dict):
            message = dumps(message)
        self._write(message if isinstance(message, bytes) else text_frame(message))

    def _write(self, frame):
        """Write whole frames in order: at once when nothing waits and it fits, else through the writer.

        Everything written to the socket comes through here, simple-websocket's own pongs and close
        frame included: a write beside the writer would land in the middle of a half-written frame.
        """
        if self._raw is not None and self._pending == 0 and not self._write_lock.locked():
            try:
                written = self._raw.send(frame)
            except BlockingIOError:
                written = 0
            except OSError:
                self.closed = True  # the reading loop finds out too and ends the socket
                return
            if written == len(frame):
                return
            frame = frame[written:]  # the rest goes through the writer, still in order
        if self._writer is None:
            self.outbox = queue.Queue(maxsize=self.queue_size)
            self._writer = threading.Thread(target=self._write_forever, name=f"ws-writer-{self.key}", daemon=True)
            self._writer.start()
        try:
            self.outbox.put_nowait(frame)
            self._pending += 1
        except queue.Full:
            self.close_soon(POLICY, "too slow: outgoing queue full")

    def _write_forever(self):
        sock = self._sock
        while True:
            frame = self.outbox.get()
            if frame is None:
                return
            try:
                with self._write_lock:
                    if frame is END_OF_WRITING:
                        sock.shutdown(socket.SHUT_WR)
                    else:
                        sock.sendall(frame)
            except OSError:
                self.closed = True
                return
            finally:
                self._pending -= 1

    # closing

    def close_soon(self, code, reason=""):
        """Close from any thread without blocking it: the close frame is written by a thread of its own."""
        self.ending = True
        if self.closed:
            return
        self.closed = True
        threading.Thread(target=self._close, args=(code, reason), daemon=True).start()

    def _close(self, code, reason):
        self._drop_queued()  # a reader too slow for them gets the close frame sooner; the others have none queued
        try:
            self.ws.close(reason=code, message=reason[:120])  # its close frame goes out after the frame being written
        except Exception:
            pass
        self.stop_writer()

    def _frame_for(self, event):
        """The protocol's bytes for an event; a Close frame closes the connection to data frames first."""
        if not isinstance(event, CloseConnection):
            return self._make_frame(event)
        ours = self.ws.ws.state is ConnectionState.OPEN  # else it answers the client's Close
        data = self._make_frame(event)  # raises, writing nothing, when a Close was already sent
        self.closed = True
        if self.closed_by is None:
            self.close_code, self.closed_by = int(event.code), "server" if ours else "client"
            if ours:
                threading.Thread(target=self._end_unanswered, daemon=True).start()
        return data

    def _end_unanswered(self):
        """The client answers our Close and the reading loop ends; one that does not is cut off."""
        deadline = time.monotonic() + CLOSE_WAIT
        while self.reading and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.reading:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop_writer(self):
        """The writer ends once what is queued is written (all of it: a queue without room is dropped first)."""
        if self._writer is None:
            return
        try:
            self.outbox.put_nowait(None)
        except queue.Full:
            self._drop_queued()
            self.outbox.put_nowait(None)

    def _drop_queued(self):
        while self.outbox is not None:
            try:
                self.outbox.get_nowait()
            except queue.Empty:
                return
            self._pending -= 1

    # delivery

    def offer(self, topic, seq, frame):
        """An event from the hub: pass it on once and in order, hold it back, or note a gap."""
        sub = self.subscriptions.get(topic)
        if sub is None:
            return
        if sub.keep(seq, frame) or seq <= sub.last_seq:
            return
        if seq > sub.last_seq + 1:
            sub.hold()
            sub.keep(seq, frame)
            if self.on_gap:
                self.on_gap(self, sub)
            return
        sub.last_seq = seq
        self.send(frame)

    def push(self, topic, frame):
        """A frame without seq (presence): held back while the subscription starts, else sent."""
        sub = self.subscriptions.get(topic)
        if sub is None:
            return
        if not sub.keep(0, frame):
            self.send(frame)

    def replay(self, sub, replayed):
        """Send events read from the log, skipping any already sent (all of them once the topic was withdrawn)."""
        if self.subscriptions.get(sub.topic) is not sub:
            return
        for seq, frame in replayed:
            if seq > sub.last_seq:
                sub.last_seq = seq
                self.send(frame)

    def go_live(self, sub):
        """After a replay: pass on what arrived meanwhile, in order, and from now on events as they come."""
        held = sub.release()
        if self.subscriptions.get(sub.topic) is not sub:
            return
        for seq, frame in held:
            self.offer(sub.topic, seq, frame)


class Hub:
    """The sockets of this process, by topic and by session."""

    def __init__(self):
        self.connections = set()
        self.by_topic = {}
        self.by_session = {}
        self.by_user = {}

    def add(self, conn):
        self.connections.add(conn)
        self.by_session.setdefault(conn.session_id, set()).add(conn)
        self.by_user.setdefault(conn.user_id, set()).add(conn)

    def remove(self, conn):
        self.connections.discard(conn)
        for topic in list(conn.subscriptions):
            self.unsubscribe(conn, topic)
        for index, key in ((self.by_session, conn.session_id), (self.by_user, conn.user_id)):
            peers = index.get(key)
            if peers is not None:
                peers.discard(conn)
                if not peers:
                    del index[key]

    def subscribe(self, conn, topic):
        sub = conn.subscriptions.get(topic)
        if sub is None:
            sub = conn.subscriptions[topic] = Subscription(topic)
            self.by_topic.setdefault(topic, set()).add(conn)
        return sub

    def unsubscribe(self, conn, topic):
        conn.subscriptions.pop(topic, None)
        subscribers = self.by_topic.get(topic)
        if subscribers is not None:
            subscribers.discard(conn)
            if not subscribers:
                del self.by_topic[topic]

    def deliver_event(self, topic, seq, payload):
        """Fan one event out to this process's subscribers: one frame, many sockets. Returns how many."""
        subscribers = self.by_topic.get(topic)
        if not subscribers:
            return 0
        frame = text_frame(payload)
        for conn in list(subscribers):
            conn.offer(topic, seq, frame)
        return len(subscribers)

    def broadcast(self, topic, payload, skip=None, skip_user=None):
        """A frame without seq (presence, typing) to every subscriber of the topic here but the one keyed
        `skip` and those of the user `skip_user`."""
        subscribers = self.by_topic.get(topic)
        if subscribers:
            frame = text_frame(payload)
            for conn in list(subscribers):
                if conn.key != skip and conn.user_id != skip_user:
                    conn.push(topic, frame)

    def send_to_user(self, user_id, payload):
        """A frame to every socket of one user here, whatever it follows (their read markers)."""
        conns = self.by_user.get(user_id)
        if conns:
            frame = text_frame(payload)
            for conn in list(conns):
                conn.send(frame)

    def withdraw(self, topics, user_id, reason):
        """End these subscriptions (of one user, or of everyone when `user_id` is None), each told why.

        Returns the (connection, topic) pairs ended, for the caller to tidy up after (presence).
        Nothing of a withdrawn topic reaches the socket after its `unsubscribed`: the subscription is gone.
        """
        ended = []
        for topic in topics:
            for conn in list(self.by_topic.get(topic, ())):
                if user_id is None or conn.user_id == user_id:
                    self.unsubscribe(conn, topic)
                    conn.send({"type": "unsubscribed", "topic": topic, "ref": None, "reason": reason})
                    ended.append((conn, topic))
        return ended

    def close_sessions(self, session_ids, code, reason):
        for sid in session_ids:
            for conn in list(self.by_session.get(sid, ())):
                conn.close_soon(code, reason)
