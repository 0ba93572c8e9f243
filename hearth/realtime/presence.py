"""Who is online in each workspace: users (not sockets) with a count of their sockets, and diffs as that changes.

A socket subscribed to `presence:<workspace>` is a member `"<user>:<socket key>"`
of that workspace's live set. When it goes, its member is kept for a grace so a
reconnect is no leave-and-join; whoever prunes it after that (this process's
timer, or any process's sweep if this one died) announces the leave once.
"""

import threading

from hearth.protocol import dumps
from hearth.realtime import wire
from hearth.workspaces import topics

MEMBER_TTL = 60  # seconds a member lives without a heartbeat: a crashed worker's users leave within this


def member_of(conn):
    return f"{conn.user_id}:{conn.key}"


def user_of(member):
    return int(member.split(":", 1)[0])


class Presence:
    def __init__(self, registry, broker, hub, users_by_id, grace):
        self.registry = registry
        self.broker = broker
        self.hub = hub
        self.users_by_id = users_by_id  # ids -> {id: user dict}, from the database
        self.grace = grace
        self.local = {}  # workspace id -> members held by this process
        wire.subscribe(broker, wire.PresenceDiff, self._on_diff)

    def join(self, conn, workspace_id):
        """Count the socket in, announce the user if it is their first, and return the current state."""
        key = topics.presence(workspace_id)
        already_here = conn.user_id in self._present_users(key)
        member = member_of(conn)
        self.registry.claim(key, member, MEMBER_TTL)
        self.local.setdefault(workspace_id, set()).add(member)
        if not already_here:  # the joining socket itself learns it from the state, not from a diff
            self._announce(workspace_id, joins=[conn.user_id], skip=conn.key)
        return self.state(workspace_id)

    def leave(self, conn, workspace_id):
        """Count the socket out after the grace; the user leaves only when their last socket has gone."""
        member = member_of(conn)
        members = self.local.get(workspace_id)
        if members is None or member not in members:
            return
        members.discard(member)
        if not members:
            del self.local[workspace_id]
        self.registry.claim(topics.presence(workspace_id), member, self.grace)
        timer = threading.Timer(self.grace + 0.05, self.sweep, args=(workspace_id,))
        timer.daemon = True
        timer.start()

    def expel(self, user_id, workspace_id):
        """Count every socket of a removed member out at once, on every worker; True if they were present."""
        key = topics.presence(workspace_id)
        mine = [m for m in self.registry.live(key) if user_of(m) == user_id]
        for member in mine:
            self.registry.release(key, member)
        return bool(mine)

    def forget(self, conn, workspace_id):
        """This process stops counting a socket whose presence was withdrawn (already counted out by `expel`)."""
        members = self.local.get(workspace_id)
        if members is not None:
            members.discard(member_of(conn))
            if not members:
                del self.local[workspace_id]
        self.registry.release(topics.presence(workspace_id), member_of(conn))

    def expel_withdrawn(self, withdrawn, user_id):
        """Before a withdrawal is published: a removed member leaves presence now, not after the reconnect grace.

        Returns what to do once it is published: announce the leave then, so that the removed
        person's own sockets, already unsubscribed, hear nothing of it.
        """
        presence_of = [topics.presence_workspace(t) for t in withdrawn] if user_id is not None else []
        left = [
            workspace_id
            for workspace_id in presence_of
            if workspace_id is not None and self.expel(user_id, workspace_id)
        ]

        def announce_leaves():
            for workspace_id in left:
                self._announce(workspace_id, leaves=[user_id])

        return announce_leaves

    def state(self, workspace_id):
        counts = {}
        for member in self.registry.live(topics.presence(workspace_id)):
            counts[user_of(member)] = counts.get(user_of(member), 0) + 1
        users = self.users_by_id(list(counts))
        return [{**users[uid], "connections": n} for uid, n in sorted(counts.items()) if uid in users]

    def sweep(self, workspace_id):
        """Drop expired members and announce users who have no socket left."""
        key = topics.presence(workspace_id)
        gone = {user_of(member) for member in self.registry.prune(key)}
        if gone:
            leaves = sorted(gone - self._present_users(key))
            if leaves:
                self._announce(workspace_id, leaves=leaves)

    def heartbeat(self):
        """Keep this process's members alive, and clean up after processes that died."""
        entries = [(topics.presence(w), m) for w, members in self.local.items() for m in members]
        if entries:
            self.registry.refresh(entries, MEMBER_TTL)
        for workspace_id in list(self.local):
            self.sweep(workspace_id)

    def _present_users(self, key):
        return {user_of(member) for member in self.registry.live(key)}

    def _announce(self, workspace_id, joins=(), leaves=(), skip=""):
        users = self.users_by_id([*joins, *leaves])
        topic = topics.presence(workspace_id)
        frame = dumps(
            {
                "type": "presence_diff",
                "topic": topic,
                "joins": [users[uid] for uid in joins if uid in users],
                "leaves": [users[uid] for uid in leaves if uid in users],
            }
        )
        wire.publish(self.broker, wire.PresenceDiff(topic, skip, frame))

    def _on_diff(self, diff):
        self.hub.broadcast(diff.topic, diff.frame, skip=diff.skip)
