"""Events read back from the log for one socket: a resume's replay, and a live gap filled in.

The hub passes events on in seq order; where it finds a gap (a broker hiccup, or the broker
reconnecting after missing what was published meanwhile) the missed events come from here.
"""

import logging
import threading
from contextlib import contextmanager

from flask import has_app_context

from hearth.event_log import events_since
from hearth.extensions import db
from hearth.realtime.wire import REDACTED, event_frame, text_frame
from hearth.workspaces.access import hidden_channels
from hearth.workspaces.topics import workspace_of_topic

log = logging.getLogger(__name__)


@contextmanager
def database(app):
    """The frame's own session inside a frame, else a session of its own for this piece of work.

    A frame never holds two pooled connections at once: many frames that each held one
    while waiting for a second would empty the pool and wait on each other until it timed out.
    """
    if has_app_context():
        yield
        return
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()


class Replay:
    def __init__(self, app, hub):
        self.app = app
        self.hub = hub

    def events(self, topic, after_seq, user_id=None):
        """The topic's events after `after_seq` as (seq, ready frame), in seq order, as `user_id` may see them.

        On a workspace's topic, an event about a private channel or direct message the user may not read
        (now) says only `{"redacted": true}`, at its seq: the seqs stay whole, the name stays unseen.
        """
        with database(self.app):
            events = events_since(topic, after_seq)
            workspace_id = workspace_of_topic(topic)
            hidden = hidden_channels(user_id, workspace_id) if workspace_id is not None and events else ()
            return [(e.seq, text_frame(event_frame(topic, e.seq, e.kind, self._seen(e, hidden)))) for e in events]

    @staticmethod
    def _seen(event, hidden):
        if hidden and event.kind.startswith("channel.") and event.subject_id in hidden:
            return REDACTED
        return event.data

    def fill_gap(self, conn, sub):
        """A live event skipped ahead (a broker hiccup): fetch what was missed, then go on live."""

        def catch_up():
            try:
                replayed = self.events(sub.topic, sub.last_seq, conn.user_id)
                if replayed and replayed[0][0] > sub.last_seq + 1:
                    # what was missed is older than `flask prune` kept: the client reloads, as on such a resume
                    self.hub.unsubscribe(conn, sub.topic)
                    conn.send({"type": "resync_required", "topic": sub.topic, "ref": None})
                    return
                self.hub.replay(conn, sub, replayed)
            except Exception:
                log.exception("catching up %s failed", sub.topic)
            self.hub.go_live(conn, sub)

        threading.Thread(target=catch_up, daemon=True).start()

    def catch_up_everyone(self):
        """After the broker reconnects: every live subscription checks the log for what it missed."""
        for conn in list(self.hub.connections):
            for sub in list(conn.subscriptions.values()):
                if sub.last_seq is not None and sub.hold():
                    self.fill_gap(conn, sub)
