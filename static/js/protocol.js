// The wire's constants, in one place; hearth/protocol.py holds the same values for the server.

export const CLOSE = Object.freeze({
  GOING_AWAY: 1001,
  NOT_UTF8: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  REVALIDATE: 4401,
  REVOKED: 4403,
});

// frame types: what the client sends, and what the server sends back
export const CLIENT_FRAMES = Object.freeze(["subscribe", "unsubscribe", "publish", "ping", "typing"]);
export const SERVER_FRAMES = Object.freeze([
  "subscribed", "unsubscribed", "resync_required", "event", "ack", "error", "pong", "presence_state", "presence_diff", "read", "mention", "typing",
]);
export const TOPIC_KINDS = Object.freeze(["chat", "board", "presence", "workspace"]);
export const UNSUBSCRIBED_REASONS = Object.freeze(["removed", "deleted"]);
export const TYPING_EVERY = 2; // seconds: at most one typing frame relayed per user and topic
export const MAX_FRAME_BYTES = 64 * 1024;

export const HISTORY_DEFAULT = 50;
export const HISTORY_MAX = 100;
export const REPLAY_LIMIT = 1000;
