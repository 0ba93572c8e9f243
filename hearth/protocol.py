"""The wire's constants, in one place: close codes, frame and topic types, sizes and page sizes.

`static/js/protocol.js` holds the same values for the browser client; a test keeps the two equal.
"""

import json

# WebSocket close codes
GOING_AWAY = 1001  # restart or deploy: reconnect with backoff
NOT_UTF8 = 1007
POLICY = 1008  # abuse
TOO_BIG = 1009  # a frame over MAX_FRAME_BYTES
REVALIDATE = 4401  # refresh the session, then reconnect
REVOKED = 4403  # the session was ended: do not reconnect

# frames
CLIENT_FRAMES = ("subscribe", "unsubscribe", "publish", "ping", "typing")
SERVER_FRAMES = (
    "subscribed",
    "unsubscribed",
    "resync_required",
    "event",
    "ack",
    "error",
    "pong",
    "presence_state",
    "presence_diff",
    "read",
    "mention",
    "typing",
)
TOPIC_KINDS = ("chat", "board", "presence", "workspace")
UNSUBSCRIBED_REASONS = ("removed", "deleted")  # why the server ended a subscription by itself
TYPING_EVERY = 2  # seconds: at most one typing frame relayed per user and topic
MAX_FRAME_BYTES = 64 * 1024

# pages of history
HISTORY_DEFAULT = 50  # messages a history request or the chat page shows
HISTORY_MAX = 100  # the most one history request may ask for
REPLAY_LIMIT = 1000  # events of one topic a resume may replay; further behind, the client reloads over HTTP


def dumps(value):
    """JSON as Hearth writes it, on the wire and into the event log (compact, non-ASCII as it is): a stored
    event's data goes into its frames as stored."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
