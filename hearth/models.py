"""Database models; the rules that belong to one row live on its class."""

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearth.accounts.passwords import (
    UNUSABLE_PASSWORD,
    burn_verification_time,
    hash_password,
    password_needs_rehash,
    verify_password,
)
from hearth.extensions import db
from hearth.workspaces import topics


def utcnow():
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL would shift it."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


def isoformat(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("email", name="uq_users_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(32), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-step sign-in: the active secret, one being set up, and the last time step accepted (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # stored in lower case, like usernames: one account per address whatever its case; verified once a link
    # mailed to it was followed
    email: Mapped[str | None] = mapped_column(sa.String(254))
    email_verified: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # the digest of the stored avatar (its URL changes with it, so browsers may keep each one for good)
    avatar_digest: Mapped[str | None] = mapped_column(sa.String(64))
    # A site admin adds and deactivates accounts (hearth/accounts/admin.py); the first account is one.
    admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A deactivated account keeps its rows (messages, cards) but cannot sign in, and its invitations stop working.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sessions: Mapped[list["AuthSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def set_password(self, password):
        self.password_hash = hash_password(password)

    def set_unusable_password(self):
        """An account that signs in only with passkeys: no password matches this, and it is said to have none."""
        self.password_hash = UNUSABLE_PASSWORD

    @property
    def has_usable_password(self):
        return self.password_hash != UNUSABLE_PASSWORD

    def check_password(self, password):
        """Verify, and upgrade the stored hash when the hashing parameters changed."""
        if not self.has_usable_password:
            burn_verification_time(password)  # as long as a wrong password takes: timing tells no account apart
            return False
        if not verify_password(self.password_hash, password):
            return False
        if password_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    @property
    def two_factor(self):
        return self.totp_secret is not None

    @property
    def avatar_url(self):
        return avatar_url(self.id, self.avatar_digest)

    def to_dict(self):
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "avatar_url": self.avatar_url,
        }


def avatar_url(user_id, digest):
    return f"/avatars/{user_id}/{digest}.png" if digest else None


class Avatar(db.Model):
    """A user's picture as served: a PNG of at most 256 × 256, re-encoded from the upload without its metadata."""

    __tablename__ = "avatars"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64))
    image: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailedToken(db.Model):
    """A single-use link mailed to someone (verifying an email, resetting a password), stored as a digest only."""

    __tablename__ = "mailed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))  # "verify_email" | "password_reset"
    email: Mapped[str] = mapped_column(sa.String(254))  # the address it was mailed to
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """One single-use way past the two-step check, stored as a digest (the code itself is 80 random bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthSession(db.Model):
    """One login on one device. Its tokens are only as good as this row."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))
    refresh_jti: Mapped[str] = mapped_column(sa.String(64))
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_refresh_jti: Mapped[str | None] = mapped_column(sa.String(64))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "browser": a login with cookies; "token": the session behind a personal access token, ended with it.
    kind: Mapped[str] = mapped_column(sa.String(16), default="browser", server_default="browser")
    # when this session last gave the password (signing in, or again): changes that could keep the account
    # from its owner need it recent (hearth/accounts/recent_auth.py)
    authenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="sessions")

    def ended_because(self, now=None):
        """None while the session lives, else the error code its tokens answer with."""
        if self.revoked_at is not None:
            return "token_revoked"
        if (now or utcnow()) >= self.expires_at:
            return "session_expired"
        return None

    def end(self, reason):
        if self.revoked_at is None:
            self.revoked_at = utcnow()
            self.revoked_reason = reason

    def in_reuse_grace(self, jti, grace_seconds, now=None):
        """True for the previous refresh token presented shortly after its rotation."""
        return (
            jti == self.previous_refresh_jti
            and self.rotated_at is not None
            and (now or utcnow()) - self.rotated_at <= timedelta(seconds=grace_seconds)
        )

    def to_dict(self, current_id=None):
        return {
            "id": self.id,
            "created_at": isoformat(self.created_at),
            "last_seen_at": isoformat(self.last_seen_at),
            "user_agent": self.user_agent,
            "current": self.id == current_id,
        }


class PersonalToken(db.Model):
    """A token for programs. It lives and ends with its own session row, so every way of ending sessions ends it."""

    __tablename__ = "personal_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # `flask prune` deletes a token with its long-ended session (tokens first); SET NULL keeps a stray delete harmless
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("auth_sessions.id", ondelete="SET NULL"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[AuthSession | None] = relationship()

    def to_dict(self):
        return {
            "id": self.id,
            "name": self.name,
            "created_at": isoformat(self.created_at),
            "last_used_at": isoformat(self.last_used_at) if self.last_used_at else None,
        }


class Passkey(db.Model):
    """A WebAuthn credential that signs its user in on its own: the device checks who holds it (both factors)."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(sa.LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)  # COSE, as the authenticator gave it
    # The signature counter last seen: an assertion must move it forward (0 stays 0 for those that keep none).
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The account's handle on the device (random, the same for every passkey of the user): a discoverable
    # sign-in names it, and it must match.
    user_handle: Mapped[bytes] = mapped_column(sa.LargeBinary(64))
    name: Mapped[str] = mapped_column(sa.String(80))
    transports: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_dict(self):
        return {
            "id": self.id,
            "name": self.name,
            "created_at": isoformat(self.created_at),
            "last_used_at": isoformat(self.last_used_at) if self.last_used_at else None,
        }


class PasskeyChallenge(db.Model):
    """A challenge handed to a browser for one passkey ceremony: taken (deleted) by the answer, once, in time.

    A registration's challenge belongs to the session that asked for it; a sign-in's to nobody yet.
    """

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(sa.String(128), unique=True)  # base64url, as the browser echoes it
    purpose: Mapped[str] = mapped_column(sa.String(16))  # "register" | "login"
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("auth_sessions.id", ondelete="CASCADE"))
    user_handle: Mapped[bytes | None] = mapped_column(sa.LargeBinary(64))  # a registration's, for its passkey
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Invitation(db.Model):
    """A link that lets whoever holds it join a workspace, up to `max_uses` times before `expires_at`.

    Only the token's SHA-256 digest is stored; `uses` only grows, by one atomic statement per join.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # the token is derived again from this and the site's secret key, so the owner can copy a live link
    salt: Mapped[str] = mapped_column(sa.String(32))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    max_uses: Mapped[int]
    uses: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User] = relationship(lazy="joined")
    workspace: Mapped["Workspace"] = relationship()

    def to_dict(self):
        """Without the token, which is shown only once (the answer that creates it)."""
        return {
            "id": self.id,
            "workspace_id": self.workspace_id,
            "expires_at": isoformat(self.expires_at),
            "max_uses": self.max_uses,
            "uses": self.uses,
            "created_by": self.created_by.to_dict(),
        }


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Head of the `workspace:<id>` topic (channels, boards and members coming and going), like a channel's seq.
    seq: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def topic(self):
        return topics.workspace(self.id)

    def to_dict(self):
        return {"id": self.id, "name": self.name, "owner_id": self.owner_id}


class Membership(db.Model):
    __tablename__ = "memberships"

    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkspaceTopic:
    """What channels and boards share: a name unique in their workspace, and the head of their event log."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    # Head of the topic's event log; bumping it first also serializes writers to the topic.
    seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Channel(WorkspaceTopic, db.Model):
    """A public channel is every workspace member's; a private one or a direct message (`dm`) only its members'.

    Who may read which is access.py's one rule (`readable_channel`). A direct message's stored name is its
    key, the sorted ids of its people, which no typed name can spell (a name is stripped of the leading
    unit separator), so one set of people has one; whoever looks at it sees the other people's names.
    """

    __tablename__ = "channels"

    kind: Mapped[str] = mapped_column(sa.String(8), default="public", server_default="public")
    # who made a private channel: they (and the workspace's owner) may remove its members and say @channel
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def topic(self):
        return topics.chat(self.id)

    @property
    def public(self):
        return self.kind == "public"

    def to_dict(self):
        return {
            "id": self.id,
            "workspace_id": self.workspace_id,
            "name": self.name,
            "kind": self.kind,
            "created_by": self.created_by_id,
        }


class ChannelMember(db.Model):
    """A person in a private channel or a direct message, and anyone's notification level in any channel.

    A row of a public channel only holds its `notify` level: every workspace member reads a public channel.
    `notify` None is the default (`mentions`, `all` in a direct message).
    """

    __tablename__ = "channel_members"

    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    notify: Mapped[str | None] = mapped_column(sa.String(8))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageMention(db.Model):
    """One person a message mentions; unread while the message is past their read marker of its channel."""

    __tablename__ = "message_mentions"
    __table_args__ = (sa.Index("ix_message_mentions_user_id_channel_id", "user_id", "channel_id"),)

    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))


class ReadMarker(db.Model):
    """How far one user has read one channel: the seq of the last message they saw. It only moves forward."""

    __tablename__ = "read_markers"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        sa.ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seq: Mapped[int] = mapped_column(default=0)


class Message(db.Model):
    __tablename__ = "messages"
    # A client_id identifies one send of one author in one channel: a retry finds the first.
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "author_id", "client_id"),
        sa.Index("ix_messages_channel_id_id", "channel_id", "id"),
        # unread counts: the messages of a channel after a read marker's seq, found without reading the rest
        sa.Index("ix_messages_channel_id_seq", "channel_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    seq: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A deleted message keeps its row (its client_id still answers a retried send) but not its text.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The body rendered from Markdown and sanitized once, when written (hearth/workspaces/formatting.py).
    html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # A reply names the top-level message of its thread; the thread's counts live on that message.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The name of the personal access token a program sent it with (kept as it was then), None when typed.
    via: Mapped[str | None] = mapped_column(sa.String(80))

    author: Mapped[User] = relationship(lazy="joined")
    reactions: Mapped[list["Reaction"]] = relationship(
        lazy="selectin", order_by="Reaction.id", cascade="all, delete-orphan", passive_deletes=True
    )
    mentions: Mapped[list["MessageMention"]] = relationship(
        lazy="selectin", order_by="MessageMention.user_id", cascade="all, delete-orphan", passive_deletes=True
    )
    files: Mapped[list["File"]] = relationship(lazy="selectin", order_by="File.id", passive_deletes=True)

    @property
    def deleted(self):
        return self.deleted_at is not None

    def reaction_summary(self, viewer_id=None):
        """[{"emoji", "count", "user_ids"}] in the order each emoji was first used; with a viewer, "me" too.

        Events carry `user_ids` (serialized once for every subscriber), and each client works out `me`
        from its own id; an HTTP answer has a caller and says `me` itself.
        """
        by_emoji = {}
        for reaction in self.reactions:
            by_emoji.setdefault(reaction.emoji, []).append(reaction.user_id)
        summary = [{"emoji": emoji, "count": len(ids), "user_ids": ids} for emoji, ids in by_emoji.items()]
        if viewer_id is not None:
            for entry in summary:
                entry["me"] = viewer_id in entry["user_ids"]
        return summary

    def to_dict(self, viewer_id=None):
        return {
            "id": self.id,
            "channel_id": self.channel_id,
            "seq": self.seq,
            "body": self.body,
            "html": self.html,
            "client_id": self.client_id,
            "author": self.author.to_dict(),
            "created_at": isoformat(self.created_at),
            "edited_at": isoformat(self.edited_at) if self.edited_at else None,
            "parent_id": self.parent_id,
            "reply_count": self.reply_count,
            "last_reply_at": isoformat(self.last_reply_at) if self.last_reply_at else None,
            "reactions": self.reaction_summary(viewer_id),
            "mentions": [mention.user_id for mention in self.mentions],
            "files": [file.to_dict() for file in self.files],
            "via": self.via,
        }


class Reaction(db.Model):
    """One person's one emoji on one message; a message's reactions are counted from these rows."""

    __tablename__ = "message_reactions"
    __table_args__ = (sa.UniqueConstraint("message_id", "user_id", "emoji"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    emoji: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Board(WorkspaceTopic, db.Model):
    __tablename__ = "boards"

    columns: Mapped[list["BoardColumn"]] = relationship(
        order_by="BoardColumn.position", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def topic(self):
        return topics.board(self.id)

    def to_dict(self):
        return {"id": self.id, "workspace_id": self.workspace_id, "name": self.name, "seq": self.seq}


class BoardColumn(db.Model):
    """One of a board's columns, which its members add, name, order and delete (when empty)."""

    __tablename__ = "board_columns"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int]

    def to_dict(self):
        return {"id": self.id, "board_id": self.board_id, "name": self.name, "position": self.position}


class Card(db.Model):
    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    column_id: Mapped[int] = mapped_column(sa.ForeignKey("board_columns.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # who made it (null for cards older than the column, or whose author's account is gone)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    # 0–10 short strings as a JSON list, in the order given; each one's colour is derived from its text
    labels_json: Mapped[str] = mapped_column("labels", sa.Text, default="[]", server_default="[]")
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")

    created_by: Mapped[User | None] = relationship(lazy="joined")
    assignees: Mapped[list[User]] = relationship(
        secondary="card_assignees", lazy="selectin", order_by="CardAssignee.assigned_at, CardAssignee.user_id"
    )

    @property
    def labels(self):
        return json.loads(self.labels_json or "[]")

    @labels.setter
    def labels(self, value):
        self.labels_json = json.dumps(list(value), ensure_ascii=False)

    files: Mapped[list["File"]] = relationship(lazy="selectin", order_by="File.id", passive_deletes=True)

    def to_dict(self):
        """The card as the API, its events and its page show it: the one place a card is serialized."""
        return {
            "id": self.id,
            "board_id": self.board_id,
            "column_id": self.column_id,
            "title": self.title,
            "description": self.description,
            "position": self.position,
            "version": self.version,
            "assignees": [user.to_dict() for user in self.assignees],
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "labels": self.labels,
            "comment_count": self.comment_count,
            "created_by": self.created_by.to_dict() if self.created_by else None,
            "created_at": isoformat(self.created_at),
            "files": [file.to_dict() for file in self.files],
        }


class CardAssignee(db.Model):
    """A workspace member put on a card."""

    __tablename__ = "card_assignees"

    card_id: Mapped[int] = mapped_column(sa.ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CardComment(db.Model):
    """A comment on a card: Markdown, rendered once when written, as messages are."""

    __tablename__ = "card_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")

    def to_dict(self):
        return {
            "id": self.id,
            "card_id": self.card_id,
            "author": self.author.to_dict(),
            "body": self.body,
            "html": self.html,
            "created_at": isoformat(self.created_at),
        }


class CardActivity(db.Model):
    """One step of a card's history: created, moved, assigned, renamed (and dated, labelled)."""

    __tablename__ = "card_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: what changed, as names and titles
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self):
        return {
            "id": self.id,
            "card_id": self.card_id,
            "kind": self.kind,
            "actor": self.actor.to_dict() if self.actor else None,
            "detail": json.loads(self.detail),
            "created_at": isoformat(self.created_at),
        }


class File(db.Model):
    """An uploaded file: its bytes live under HEARTH_FILE_DIR as `storage_key` (never the uploader's name).

    It belongs to a channel (until a message names it in `file_ids` only its uploader sees it) or to a card.
    `content_type` is decided from the bytes: an image type, or application/octet-stream.
    """

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploader_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    has_thumbnail: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def url(self):
        return f"/files/{self.id}/{quote(self.name, safe='')}"

    @property
    def thumbnail_url(self):
        return f"/files/{self.id}/thumbnail/{quote(self.name, safe='')}" if self.has_thumbnail else None

    def to_dict(self):
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
            "url": self.url,
            "thumbnail_url": self.thumbnail_url,
        }


class Event(db.Model):
    """The per-topic log the socket replays from: `seq` rises by one per event of a topic."""

    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("topic", "seq"),
        sa.Index("ix_events_topic_subject_id", "topic", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(40))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(32))
    # The message or card the event is about: its earlier events are rewritten when it is edited or deleted.
    subject_id: Mapped[int | None]
    data: Mapped[str] = mapped_column(sa.Text)  # the object as JSON, serialized once when written
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
