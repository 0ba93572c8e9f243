"""One accepted WebSocket: a bounded outgoing queue, a writer, and closing as RFC 6455 has it.

No Flask here. A Connection wraps one accepted simple-websocket socket, read in the
socket's own greenlet; what it writes goes out at once when it fits, else through a
writer of its own with a bounded queue, so a slow reader only ever delays itself.
Which events it is sent, and in what order, is the hub's business (hub.py).
"""

import queue
import socket
import threading
import time

from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError

from hearth.protocol import POLICY, dumps
from hearth.realtime.wire import text_frame

PING_FRAME = b"\x89\x00"  # an empty ping, written like any other frame
CLOSE_WAIT = 2.0  # seconds a client gets to answer our close frame
DROPPED = 1006  # RFC 6455's code for a connection that ended without any Close frame
NO_STATUS = CloseReason.NO_STATUS_RCVD  # simple-websocket's close_reason until it records one
END_OF_WRITING = object()  # queued for the writer: end our side of the TCP connection (FIN) here


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
        self.subscriptions = {}  # topic -> hub.Subscription, kept by the hub
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
