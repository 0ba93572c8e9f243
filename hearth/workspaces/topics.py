"""Topic names: the one place a `"<kind>:<id>"` string is built or taken apart.

A topic is what a socket subscribes to and what the event log, the hub and the broker
key by. Inside the program it is a `Topic(kind, id)`; on the wire and in the tables it
is its string, `str(topic)`, which is the key of subscriptions and presence and so has
exactly one spelling per topic ("chat:010" is refused, not read as "chat:10").
"""

from typing import NamedTuple

from hearth.protocol import TOPIC_KINDS
from hearth.validation import MAX_ID


class Topic(NamedTuple):
    kind: str
    id: int

    def __str__(self):
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text):
        """Topic("chat", 12) for "chat:12"; raises ValueError("unknown_topic" | "not_found")."""
        kind, _, ident = text.partition(":")
        if kind not in TOPIC_KINDS:
            raise ValueError("unknown_topic")
        # an id no column can hold names no row, and PostgreSQL refuses to compare an id column with it
        if not ident.isascii() or not ident.isdigit() or len(ident) > 10 or int(ident) > MAX_ID:
            raise ValueError("not_found")
        # one spelling per topic: "presence:010" would be a second name for "presence:10", watched
        # without being counted there
        if str(int(ident)) != ident:
            raise ValueError("not_found")
        return cls(kind, int(ident))


def chat(channel_id):
    return str(Topic("chat", channel_id))


def board(board_id):
    return str(Topic("board", board_id))


def workspace(workspace_id):
    return str(Topic("workspace", workspace_id))


def presence(workspace_id):
    return str(Topic("presence", workspace_id))


def presence_workspace(text):
    """The workspace id of a `presence:` topic's string, or None for a topic of another kind."""
    kind, _, ident = text.partition(":")
    return int(ident) if kind == "presence" else None


def workspace_of_topic(text):
    """The workspace id of a `workspace:` topic's string, or None for a topic of another kind."""
    kind, _, ident = text.partition(":")
    return int(ident) if kind == "workspace" else None
