"""What one worker does for its sockets in the background: pings, heartbeats, and re-checking sessions.

Each worker refreshes its own socket-cap and presence entries, so those of a worker that
died expire on their own; a session that ended without its announcement reaching this worker
(the broker was away) is still found by the periodic re-check.
"""

import logging
import time

import sqlalchemy as sa

from hearth.extensions import db
from hearth.models import AuthSession, utcnow
from hearth.protocol import POLICY, REVALIDATE, REVOKED

log = logging.getLogger(__name__)

SLOT_TTL = 60  # seconds a socket-cap entry lives without a heartbeat (a crashed worker's sockets free up)
HEARTBEAT = 20
PING_EVERY = 25  # a peer that misses a ping is gone within two intervals


def slot_key(user_id):
    """The registry set of one user's open sockets, counted against MAX_SOCKETS_PER_USER."""
    return f"sockets:{user_id}"


class Maintenance:
    def __init__(self, app, hub, registry, presence, recheck_every):
        self.app = app
        self.hub = hub
        self.registry = registry
        self.presence = presence
        self.recheck_every = recheck_every

    def run_forever(self):
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
        slots = [(slot_key(c.user_id), c.key) for c in list(self.hub.connections)]
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
