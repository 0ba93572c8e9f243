import { Push } from "./push.js";
import { RETRY_SOON } from "./timer.js";

const REJOIN_AFTER_MS = 2000; // a subscribe refused for now (the replay budget, a database blip) is sent again

/**
 * One topic of the tab's socket. `on(type, callback)` hears its frames by type
 * (`event`, `typing`, `presence_state`, `presence_diff`, `unsubscribed`); it
 * rejoins from the last seq it saw after every reconnect. When the server
 * cannot replay what was missed (`resync_required`) the page reloads, once,
 * unless `onResync` says what to refetch instead. An `unsubscribed` with a
 * reason (the user was removed, the channel or board deleted) ends it.
 */
export class Channel {
  constructor({ socket, topic, since = null, reload = () => globalThis.location?.reload() }) {
    Object.assign(this, { socket, topic, since, reload });
    this.callbacks = new Map(); // frame type -> [callback]
    this.resync = null;
    this.reloading = false;
  }

  on(type, callback) {
    if (!this.callbacks.has(type)) this.callbacks.set(type, []);
    this.callbacks.get(type).push(callback);
    return this;
  }

  /** Refetch instead of reloading the page when the server cannot replay what this topic missed. */
  onResync(callback) {
    this.resync = callback;
    return this;
  }

  join() {
    this.socket.join(this);
    return this;
  }

  leave() {
    this.socket.leave(this.topic);
  }

  /** Publish to this topic: see Push for its answers and the pending mark. */
  push(data, options = {}) {
    return new Push({ socket: this.socket, topic: this.topic, data, ...options }).send();
  }

  /** Say that this user is typing here; true when sent (nothing is queued offline). */
  typing() {
    return this.socket.typing(this.topic);
  }

  // what the socket calls

  rejoin() {
    this.socket.send({ type: "subscribe", topic: this.topic, since: this.since, ref: `sub:${this.topic}` });
  }

  /** A subscribe refused for now is sent again a little later, from the seq it still holds. */
  refused(code) {
    if (!RETRY_SOON.has(code)) return;
    const ws = this.socket.ws;
    this.socket.setTimeout(() => {
      if (ws === this.socket.ws && this.socket.isOpen() && this.socket.channels.get(this.topic) === this) this.rejoin();
    }, REJOIN_AFTER_MS);
  }

  receive(frame) {
    if (frame.type === "unsubscribed") {
      if (!frame.reason) return; // the answer to our own leave
      this.socket.forget(this.topic);
    }
    if (frame.type === "event" || frame.type === "subscribed") {
      if (typeof frame.seq === "number" && (this.since === null || frame.seq > this.since)) this.since = frame.seq;
      if (frame.type === "subscribed") return;
    }
    if (frame.type === "resync_required") {
      this.since = null;
      this.resynchronize(frame);
      return;
    }
    for (const callback of this.callbacks.get(frame.type) ?? []) callback(frame);
  }

  resynchronize(frame) {
    if (this.resync) {
      this.resync(frame);
    } else if (!this.reloading) {
      this.reloading = true;
      this.reload();
    }
  }
}
