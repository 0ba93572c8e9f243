import { Backoff } from "./backoff.js";
import { CLOSE } from "./protocol.js";

const PING_EVERY_MS = 25000;
const PONG_WITHIN_MS = 10000;
const PROBE_WITHIN_MS = 5000; // after the browser says the network changed, an open socket must answer this fast
const STABLE_AFTER_MS = 10000; // a connection this old resets the backoff
const RETRY_SOON = new Set(["rate_limited", "unavailable"]);
const RESUBSCRIBE_AFTER_MS = 2000; // a subscribe refused for now (the replay budget, a database blip) is sent again
const RESTART_GRACE_MS = 60000; // after a 1001, a socket that does not open means a server still restarting
const RETRY_HINT = /retry in (\d+) ms/; // a 1001's reason says when this socket's server expects it back
const HINT_CAP_MS = 30000;
const RESTART_CAP_MS = 5000; // while the server restarts, an attempt that fails costs it nothing: waits stay short

let sequence = 0;
function newId() {
  sequence += 1;
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${sequence}-${Math.random().toString(36).slice(2)}`;
}

/**
 * The tab's one WebSocket: subscriptions resumed from the last seq seen after
 * every reconnect, an outbox of publishes resent until acked, backoff with
 * jitter, a refresh before reconnecting when the token is (or may be) stale,
 * and an app-level ping to notice half-open connections.
 */
export class HearthSocket {
  constructor({
    url,
    auth,
    WebSocketClass = globalThis.WebSocket,
    backoff = new Backoff(),
    onStatus = () => {},
    events = globalThis.window,
    isOnline = () => globalThis.navigator?.onLine !== false,
    now = () => Date.now(),
    setTimeout = globalThis.setTimeout.bind(globalThis),
    clearTimeout = globalThis.clearTimeout.bind(globalThis),
    setInterval = globalThis.setInterval.bind(globalThis),
    clearInterval = globalThis.clearInterval.bind(globalThis),
  }) {
    Object.assign(this, { url, auth, WebSocketClass, backoff, onStatus, isOnline, now, setTimeout, clearTimeout, setInterval, clearInterval });
    this.subscriptions = new Map(); // topic -> { since, handler }
    this.outbox = new Map(); // ref -> { frame, resolve, reject }
    this.listeners = new Map(); // frame type -> [callback]
    this.ws = null;
    this.status = "connecting";
    this.stopped = false;
    this.needsRefresh = false;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.goneAwayAt = null; // when the server last closed with 1001, until a socket opens again
    events?.addEventListener?.("online", () => this.onNetworkChange());
    events?.addEventListener?.("offline", () => this.onNetworkChange());
  }

  /**
   * Follow a topic; `handler(frame)` gets its events, presence and typing frames, resync requests,
   * and an `unsubscribed` frame with a `reason` when the server takes the topic away (the user was
   * removed, or the channel or board deleted): the topic is then forgotten, not resumed on reconnect.
   */
  subscribe(topic, { since = null, handler }) {
    this.subscriptions.set(topic, { since, handler });
    if (this.isOpen()) this.sendSubscribe(topic);
  }

  /** Stop following a topic. */
  unsubscribe(topic) {
    if (!this.subscriptions.delete(topic)) return;
    if (this.isOpen()) this.send({ type: "unsubscribe", topic, ref: `unsub:${topic}` });
  }

  /** Frames of one type whatever their topic (`read`), or `open` after every (re)connect. */
  on(type, callback) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(callback);
  }

  /** Say that this user is typing in a chat topic; nothing is queued while offline. True when sent. */
  typing(topic) {
    if (!this.isOpen()) return false;
    this.send({ type: "typing", topic });
    return true;
  }

  /**
   * Publish to a topic; resolves with the ack. It waits in the outbox while
   * offline and is resent after every reconnect until acked: a chat message's
   * client_id lets the server store it once however often it arrives.
   */
  publish(topic, data) {
    const ref = data.client_id ?? newId();
    const frame = { type: "publish", topic, ref, data };
    return new Promise((resolve, reject) => {
      this.outbox.set(ref, { frame, resolve, reject });
      if (this.isOpen()) this.send(frame);
      else this.setStatus(this.status, this.reconnectAt); // the status counts what waits
    });
  }

  connect() {
    this.stopped = false;
    this.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.setStatus(this.everOpened ? "reconnecting" : "connecting");
    const ws = new this.WebSocketClass(this.url);
    this.ws = ws;
    ws.opened = false;
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = (event) => this.onClose(ws, event);
    ws.onerror = () => {};
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close();
  }

  isOpen() {
    return this.ws?.opened && this.ws.readyState === 1;
  }

  // internals

  onOpen(ws) {
    if (ws !== this.ws) return;
    ws.opened = true;
    this.everOpened = true;
    this.openedAt = this.now();
    this.needsRefresh = false;
    this.goneAwayAt = null;
    this.setStatus("open");
    for (const topic of this.subscriptions.keys()) this.sendSubscribe(topic);
    for (const { frame } of this.outbox.values()) this.send(frame);
    this.clearInterval(this.pingTimer);
    this.pingTimer = this.setInterval(() => this.ping(), PING_EVERY_MS);
    for (const callback of this.listeners.get("open") ?? []) callback();
  }

  sendSubscribe(topic) {
    const { since } = this.subscriptions.get(topic);
    this.send({ type: "subscribe", topic, since, ref: `sub:${topic}` });
  }

  onMessage(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (frame.type === "pong") {
      this.clearTimeout(this.pongTimer);
      if (this.now() - this.openedAt >= STABLE_AFTER_MS) this.backoff.reset();
      if (this.status !== "open") this.setStatus("open");
      return;
    }
    if (frame.type === "ack" || (frame.type === "error" && this.outbox.has(frame.ref))) {
      this.settle(frame);
      return;
    }
    if (frame.type === "error" && typeof frame.ref === "string" && frame.ref.startsWith("sub:")) {
      this.retrySubscribe(frame.ref.slice(4), frame.code);
      return;
    }
    for (const callback of this.listeners.get(frame.type) ?? []) callback(frame);
    const sub = this.subscriptions.get(frame.topic);
    if (!sub) return;
    if (frame.type === "unsubscribed") {
      if (!frame.reason) return; // the answer to our own unsubscribe
      this.subscriptions.delete(frame.topic);
    }
    if (frame.type === "event" || frame.type === "subscribed") {
      if (typeof frame.seq === "number" && (sub.since === null || frame.seq > sub.since)) sub.since = frame.seq;
      if (frame.type === "subscribed") return;
    }
    if (frame.type === "resync_required") sub.since = null;
    sub.handler(frame);
  }

  /** A subscribe refused for now is sent again a little later, from the seq it still holds. */
  retrySubscribe(topic, code) {
    if (!RETRY_SOON.has(code) || !this.subscriptions.has(topic)) return;
    const ws = this.ws;
    this.setTimeout(() => {
      if (ws === this.ws && this.isOpen() && this.subscriptions.has(topic)) this.sendSubscribe(topic);
    }, RESUBSCRIBE_AFTER_MS);
  }

  settle(frame) {
    const entry = this.outbox.get(frame.ref);
    if (!entry) return;
    if (frame.type === "error" && RETRY_SOON.has(frame.code)) {
      this.setTimeout(() => this.outbox.has(frame.ref) && this.isOpen() && this.send(entry.frame), 1000);
      return;
    }
    this.outbox.delete(frame.ref);
    if (frame.type === "ack") entry.resolve(frame);
    else entry.reject(Object.assign(new Error(frame.message), { code: frame.code, frame }));
  }

  ping(within = PONG_WITHIN_MS) {
    if (!this.isOpen()) return;
    this.send({ type: "ping", ref: "ping" });
    this.clearTimeout(this.pongTimer);
    // No pong: the connection is half-open (a sleeping laptop, a dead proxy). Drop it and reconnect.
    const ws = this.ws;
    this.pongTimer = this.setTimeout(() => this.abandon(ws), within);
  }

  /** Give up on a connection that stopped answering, without waiting for a close handshake that may never come. */
  abandon(ws) {
    if (ws !== this.ws) return;
    ws.onclose = null;
    ws.onmessage = null;
    ws.close();
    this.onClose(ws, { code: 1006 });
  }

  /**
   * The browser's online and offline events are hints, not facts: a socket
   * that is open is asked (a ping; the status stays Live while it answers,
   * and it is dropped if it does not), and a closed one is retried at once
   * when the network is back.
   */
  onNetworkChange() {
    if (this.stopped) return;
    if (this.isOpen()) this.ping(PROBE_WITHIN_MS);
    else if (this.isOnline()) this.reconnectNow();
    else this.setStatus("offline");
  }

  onClose(ws, event) {
    if (ws !== this.ws) return;
    this.clearTimers();
    if (this.stopped) return;
    if (event.code === CLOSE.REVOKED) {
      this.setStatus("offline");
      this.auth.sessionOver();
      return;
    }
    if (event.code === CLOSE.GOING_AWAY) {
      this.goneAwayAt = this.now();
      const hint = RETRY_HINT.exec(event.reason ?? "");
      if (hint) {
        // the server spreads its sockets' returns over as long as it needs to take them back
        this.backoff.reset();
        this.scheduleReconnect(Math.min(Number(hint[1]), HINT_CAP_MS));
        return;
      }
    }
    // A handshake refused before opening is most often a stale token (browsers hide the 401) — but not
    // while the server restarts: the token was good at its 1001, and a refresh per tab would only add to
    // the storm (a token about to expire is still refreshed: see reconnect).
    if (event.code === CLOSE.REVALIDATE || (!ws.opened && !this.restarting())) this.needsRefresh = true;
    this.scheduleReconnect();
  }

  restarting() {
    return this.goneAwayAt !== null && this.now() - this.goneAwayAt < RESTART_GRACE_MS;
  }

  scheduleReconnect(delay = this.backoff.next(this.restarting() ? RESTART_CAP_MS : undefined)) {
    if (this.isOnline()) this.setStatus("reconnecting", this.now() + delay);
    else this.setStatus("offline");
    this.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.setTimeout(() => this.reconnect(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.isOpen()) return;
    this.clearTimeout(this.reconnectTimer);
    this.reconnect();
  }

  /** Reconnect; first refresh if the last attempt was refused or the token is about to run out. */
  async reconnect() {
    this.reconnectTimer = null;
    if (this.needsRefresh || this.auth.expiresSoon()) {
      const outcome = await this.auth.refresh();
      if (outcome === "over") {
        this.setStatus("offline");
        this.auth.sessionOver();
        return;
      }
      if (outcome === "network") {
        this.needsRefresh = true;
        this.scheduleReconnect();
        return;
      }
      this.needsRefresh = false;
    }
    this.connect();
  }

  send(frame) {
    this.ws.send(JSON.stringify(frame));
  }

  clearTimers() {
    this.clearInterval(this.pingTimer);
    this.clearTimeout(this.pongTimer);
    this.clearTimeout(this.reconnectTimer);
    this.pingTimer = this.pongTimer = this.reconnectTimer = null;
  }

  setStatus(state, reconnectAt = null) {
    this.status = state;
    this.reconnectAt = reconnectAt;
    this.onStatus(state, { reconnectAt, pending: this.outbox.size });
  }
}
