"""What goes over the wire: the WebSocket frames the server writes, and the messages on each broker channel.

A frame is built once and the same bytes go to every subscriber (`text_frame`). Each
broker channel has one message type here with its one encoder and decoder, so no
other module writes or splits a channel's text by hand.
"""

import json
import struct
from typing import NamedTuple

from hearth.protocol import dumps


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


REDACTED = '{"redacted":true}'  # what an event says to a subscriber who may not see it


def event_frame(topic, seq, kind, data_json):
    """The event frame as JSON text; `data_json` is already serialized (once, when stored)."""
    return f'{{"type":"event","topic":{dumps(topic)},"seq":{seq},"event":{dumps(kind)},"data":{data_json}}}'


# The broker channels. Each message type below is one channel: `CHANNEL` names it, `encode` writes the
# text published on it and `decode` reads that text back. A frame a message carries is JSON text built
# once by the publisher, so every worker forwards it unchanged.


class Event(NamedTuple):
    """An event committed to a topic's log, as its subscribers get it; `committed_at` measures delivery lag."""

    CHANNEL = "events"
    topic: str
    seq: int
    committed_at: float  # time.time() just after the commit
    frame: str

    def encode(self):
        return f"{self.topic}\n{self.seq}\n{self.committed_at:.6f}\n{self.frame}"

    @classmethod
    def decode(cls, text):
        topic, seq, committed_at, frame = text.split("\n", 3)
        return cls(topic, int(seq), float(committed_at), frame)


class PrivateEvent(NamedTuple):
    """An event that only `audience` (user ids) may see: they get `frame`, other subscribers `hidden`, same seq."""

    CHANNEL = "private_events"
    topic: str
    seq: int
    committed_at: float
    audience: list
    frame: str
    hidden: str

    def encode(self):
        audience = ",".join(map(str, self.audience))
        return f"{self.topic}\n{self.seq}\n{self.committed_at:.6f}\n{audience}\n{self.hidden}\n{self.frame}"

    @classmethod
    def decode(cls, text):
        topic, seq, committed_at, audience, hidden, frame = text.split("\n", 5)
        ids = [int(i) for i in audience.split(",") if i]
        return cls(topic, int(seq), float(committed_at), ids, frame, hidden)


class Withdrawal(NamedTuple):
    """Topics taken away from one user (`user_id`), or from everyone (None), and why."""

    CHANNEL = "withdrawals"
    topics: list
    user_id: int | None
    reason: str

    def encode(self):
        return dumps({"topics": list(self.topics), "user_id": self.user_id, "reason": self.reason})

    @classmethod
    def decode(cls, text):
        withdrawal = json.loads(text)
        return cls(withdrawal["topics"], withdrawal["user_id"], withdrawal["reason"])


class EndedSessions(NamedTuple):
    """Login sessions just ended: their sockets close and every process forgets them (a JSON list of ids)."""

    CHANNEL = "sessions"
    ids: list

    def encode(self):
        return dumps(list(self.ids))

    @classmethod
    def decode(cls, text):
        return cls(json.loads(text))


class ToUsers(NamedTuple):
    """One frame for every socket of each of these users, whatever they follow: a read marker's move (one user),
    a mention of many (one message, not one per user). One id encodes as the earlier one-user message did."""

    CHANNEL = "users"
    user_ids: list
    frame: str

    def encode(self):
        return f"{','.join(map(str, self.user_ids))}\n{self.frame}"

    @classmethod
    def decode(cls, text):
        ids, frame = text.split("\n", 1)
        return cls([int(i) for i in ids.split(",") if i], frame)


class Typing(NamedTuple):
    """Someone is typing: a frame for the topic's subscribers other than that user's own sockets."""

    CHANNEL = "typing"
    topic: str
    user_id: int
    frame: str

    def encode(self):
        return f"{self.topic}\n{self.user_id}\n{self.frame}"

    @classmethod
    def decode(cls, text):
        topic, user_id, frame = text.split("\n", 2)
        return cls(topic, int(user_id), frame)


class PresenceDiff(NamedTuple):
    """Who joined or left a workspace: a frame for the presence topic's subscribers but the socket keyed `skip`."""

    CHANNEL = "presence"
    topic: str
    skip: str  # "" when every subscriber hears it
    frame: str

    def encode(self):
        return f"{self.topic}\n{self.skip}\n{self.frame}"

    @classmethod
    def decode(cls, text):
        topic, skip, frame = text.split("\n", 2)
        return cls(topic, skip, frame)


def publish(broker, message):
    """Publish one of the messages above on its own channel."""
    broker.publish(message.CHANNEL, message.encode())


def subscribe(broker, message_type, handler):
    """Call `handler` with each message of this type, decoded."""
    broker.subscribe(message_type.CHANNEL, lambda text: handler(message_type.decode(text)))
