import { Backoff } from "../backoff.js";
import { CLOSE } from "../protocol.js";
import { Channel } from "./channel.js";
import { newId } from "./push.js";
import { RETRY_SOON, RetryTimer } from "./timer.js";

const PING_EVERY_MS = 25000;
const PONG_WITHIN_MS = 10000;
const PROBE_WITHIN_MS = 5000; // after the browser says the network changed, an open socket must answer this fast
const STABLE_AFTER_MS = 10000; // a connection this old resets the backoff
const RESTART_GRACE_MS = 60000; // after a 1001, a socket that does not open means a server still restarting
const RETRY_HINT = /retry in (\d+) ms/; // a 1001's reason says when this socket's server expects it back
const HINT_CAP_MS = 30000;
const RESTART_CAP_MS = 5000; // while the server restarts, an attempt that fails costs it nothing: waits stay short

/**
 * The tab's one WebSocket: the connection, its heartbeat (an app-level ping to
 * notice half-open connections), reconnects with jittered backoff and a
 * refresh first when the token is (or may be) stale, and an outbox of
 * publishes resent until acked. Each topic is a Channel (channel.js) that
 * rejoins from its own last seq after every reconnect.
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
    this.channels = new Map(); // topic -> Channel, joined
    this.outbox = new Map(); // ref -> { frame, resolve, reject }
    this.listeners = new Map(); // frame type -> [callback]
    this.ws = null;
    this.status = "connecting";
    this.stopped = false;
    this.needsRefresh = false;
    this.reconnectTimer = new RetryTimer({ callback: () => this.reconnect(), backoff, setTimeout, clearTimeout });
    this.pingTimer = null;
    this.pongTimer = null;
    this.goneAwayAt = null; // when the server last closed with 1001, until a socket opens again
    events?.addEventListener?.("online", () => this.onNetworkChange());
    events?.addEventListener?.("offline", () => this.onNetworkChange());
  }

  /** A topic of this socket, not yet joined: see Channel. */
  channel(topic, options = {}) {
    return new Channel({ socket: this, topic, ...options });
  }

  /** Follow a channel's topic, now if open and again after every reconnect. */
  join(channel) {
    this.channels.set(channel.topic, channel);
    if (this.isOpen()) channel.rejoin();
  }

  /** Stop following a topic. */
  leave(topic) {
    if (!this.channels.delete(topic)) return;
    if (this.isOpen()) this.send({ type: "unsubscribe", topic, ref: `unsub:${topic}` });
  }

  /** The server took a topic away: it is not resumed on reconnect. */
  forget(topic) {
    this.channels.delete(topic);
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
  publish(topic, data, ref = data.client_id ?? newId()) {
    const frame = { type: "publish", topic, ref, data };
    return new Promise((resolve, reject) => {
      this.outbox.set(ref, { frame, resolve, reject });
      if (this.isOpen()) this.send(frame);
      else this.setStatus(this.status, this.reconnectAt); // the status counts what waits
    });
  }

  /** Stop resending a publish nobody waits for any more; its promise never settles. */
  withdraw(ref) {
    if (this.outbox.delete(ref)) this.setStatus(this.status, this.reconnectAt);
  }

  connect() {
    this.stopped = false;
    this.reconnectTimer.cancel();
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
    for (const channel of this.channels.values()) channel.rejoin();
    for (const { frame } of this.outbox.values()) this.send(frame);
    this.clearInterval(this.pingTimer);
    this.pingTimer = this.setInterval(() => this.ping(), PING_EVERY_MS);
    for (const callback of this.listeners.get("open") ?? []) callback();
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
      if (this.now() - this.openedAt >= STABLE_AFTER_MS) this.reconnectTimer.reset();
      if (this.status !== "open") this.setStatus("open");
      return;
    }
    if (frame.type === "ack" || (frame.type === "error" && this.outbox.has(frame.ref))) {
      this.settle(frame);
      return;
    }
    if (frame.type === "error" && typeof frame.ref === "string" && frame.ref.startsWith("sub:")) {
      this.channels.get(frame.ref.slice(4))?.refused(frame.code);
      return;
    }
    for (const callback of this.listeners.get(frame.type) ?? []) callback(frame);
    this.channels.get(frame.topic)?.receive(frame);
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
        this.reconnectTimer.reset();
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

  scheduleReconnect(delay = null) {
    const wait = this.reconnectTimer.schedule({ delay, cap: this.restarting() ? RESTART_CAP_MS : undefined });
    if (this.isOnline()) this.setStatus("reconnecting", this.now() + wait);
    else this.setStatus("offline");
  }

  reconnectNow() {
    if (this.stopped || this.isOpen()) return;
    this.reconnectTimer.cancel();
    this.reconnect();
  }

  /** Reconnect; first refresh if the last attempt was refused or the token is about to run out. */
  async reconnect() {
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
    this.reconnectTimer.cancel();
    this.pingTimer = this.pongTimer = null;
  }

  setStatus(state, reconnectAt = null) {
    this.status = state;
    this.reconnectAt = reconnectAt;
    this.onStatus(state, { reconnectAt, pending: this.outbox.size });
  }
}
