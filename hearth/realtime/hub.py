"""The sockets of one process: who is subscribed to what, and delivering each event once, in order.

No Flask here. The Hub fans an event out: its frame is built once and the same bytes
go to every subscriber's Connection (connection.py).

Delivery is by `seq`. A subscription remembers the last seq it passed on; an
event at or below it is a duplicate and dropped, and one beyond the next is a
gap, filled from the event log (replay.py) before it goes on. While a
subscription replays, live events wait in a buffer, so replay and live meet
with no gap and no duplicate.
"""

from hearth.realtime.wire import text_frame


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


class Hub:
    """The sockets of this process, by topic and by session."""

    def __init__(self, on_gap=None):
        self.on_gap = on_gap  # called with a connection and its Subscription that missed events
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
            self.offer(conn, topic, seq, frame)
        return len(subscribers)

    def deliver_private_event(self, topic, seq, audience, payload, hidden):
        """An event only `audience` may see: theirs gets `payload`, every other subscriber `hidden` at the same seq
        (so no seq is missing for them). Returns how many sockets got either."""
        subscribers = self.by_topic.get(topic)
        if not subscribers:
            return 0
        audience = set(audience)
        frame, hidden_frame = text_frame(payload), text_frame(hidden)
        for conn in list(subscribers):
            self.offer(conn, topic, seq, frame if conn.user_id in audience else hidden_frame)
        return len(subscribers)

    def broadcast(self, topic, payload, skip=None, skip_user=None):
        """A frame without seq (presence, typing) to every subscriber of the topic here but the one keyed
        `skip` and those of the user `skip_user`."""
        subscribers = self.by_topic.get(topic)
        if subscribers:
            frame = text_frame(payload)
            for conn in list(subscribers):
                if conn.key != skip and conn.user_id != skip_user:
                    self.push(conn, topic, frame)

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

    # one socket's events: once each, in order

    def offer(self, conn, topic, seq, frame):
        """An event for one socket: pass it on once and in order, hold it back, or note a gap."""
        sub = conn.subscriptions.get(topic)
        if sub is None:
            return
        if sub.keep(seq, frame) or seq <= sub.last_seq:
            return
        if seq > sub.last_seq + 1:
            sub.hold()
            sub.keep(seq, frame)
            if self.on_gap:
                self.on_gap(conn, sub)
            return
        sub.last_seq = seq
        conn.send(frame)

    def push(self, conn, topic, frame):
        """A frame without seq (presence): held back while the subscription starts, else sent."""
        sub = conn.subscriptions.get(topic)
        if sub is None:
            return
        if not sub.keep(0, frame):
            conn.send(frame)

    def replay(self, conn, sub, replayed):
        """Send events read from the log, skipping any already sent (all of them once the topic was withdrawn)."""
        if conn.subscriptions.get(sub.topic) is not sub:
            return
        for seq, frame in replayed:
            if seq > sub.last_seq:
                sub.last_seq = seq
                conn.send(frame)

    def go_live(self, conn, sub):
        """After a replay: pass on what arrived meanwhile, in order, and from now on events as they come."""
        held = sub.release()
        if conn.subscriptions.get(sub.topic) is not sub:
            return
        for seq, frame in held:
            self.offer(conn, sub.topic, seq, frame)
