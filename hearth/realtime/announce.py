"""The one way a committed change reaches every worker: events, withdrawn topics, read markers, ended sessions.

Everything is announced after its commit and never before: `event_log.commit_and_announce`
commits first, and the other callers announce just after their own commit, so nothing of a
transaction rolled back is ever announced. What an announcement becomes on the broker is
wire.py's business.

No Flask and no socket service here, so the domain may call it: each app has one Announcer,
made with the app's broker (`init_app`); the socket service adds what it does around a
withdrawal (presence) when it is set up.
"""

import time

from hearth.protocol import dumps
from hearth.realtime import wire


class Announcer:
    def __init__(self, broker):
        self.broker = broker
        # each called with (topics, user_id) before a withdrawal is published; returns what to call after it
        self.around_withdrawal = []

    def events(self, events):
        """Events just committed (event_log.CommittedEvent), each to its topic's subscribers."""
        now = time.time()
        for e in events:
            frame = wire.event_frame(e.topic, e.seq, e.kind, e.data)
            if e.audience is None:
                wire.publish(self.broker, wire.Event(e.topic, e.seq, now, frame))
            else:
                hidden = wire.event_frame(e.topic, e.seq, e.kind, wire.REDACTED)
                wire.publish(self.broker, wire.PrivateEvent(e.topic, e.seq, now, list(e.audience), frame, hidden))

    def withdrawal(self, topics, reason, user_id=None):
        """Sockets following these topics (all, or only this user's) stop, told why."""
        topics = list(topics)
        afterwards = [before(topics, user_id) for before in self.around_withdrawal]
        wire.publish(self.broker, wire.Withdrawal(topics, user_id, reason))
        for after in afterwards:
            after()

    def read(self, user_id, topic, seq):
        """A user's read marker moved: every socket of theirs hears of it."""
        self.to_users([user_id], dumps({"type": "read", "topic": topic, "seq": seq}))

    def to_users(self, user_ids, frame):
        """One frame (JSON text) for every socket of each of these users, whatever they follow (a mention)."""
        wire.publish(self.broker, wire.ToUsers(list(dict.fromkeys(user_ids)), frame))

    def sessions_ended(self, ids):
        """Login sessions ended: every process forgets them and closes their sockets."""
        wire.publish(self.broker, wire.EndedSessions(ids))


def of(app):
    return app.extensions["hearth.announce"]


def init_app(app):
    app.extensions["hearth.announce"] = Announcer(app.extensions["hearth.broker"])
