let sequence = 0;
/** A ref for a publish: unique per tab, so its ack finds it. */
export function newId() {
  sequence += 1;
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${sequence}-${Math.random().toString(36).slice(2)}`;
}

/**
 * One publish and its answer: `receive("ok", ack => …)`, `receive("error",
 * error => …)` (the error carries the server's `code` and its `frame`, e.g. a
 * conflict's current card) and, when a `timeout` in ms is given,
 * `receive("timeout", () => …)`, after which it is no longer resent. Without
 * one it waits in the socket's outbox, across reconnects, until answered.
 *
 * While it is in flight, `pending` (an element) carries `data-pending` (shown
 * greyed, not draggable, its buttons ignored) and `busy(true)` is called;
 * both are undone before the answer's callbacks run.
 */
export class Push {
  constructor({ socket, topic, data, pending = null, busy = () => {}, timeout = null }) {
    Object.assign(this, { socket, topic, data, pending, busy, timeout });
    this.ref = data.client_id ?? newId();
    this.callbacks = { ok: [], error: [], timeout: [] };
    this.answer = null; // [status, value] once answered
    this.settled = null; // resolves after the answer's callbacks have run
  }

  send() {
    if (this.pending) this.pending.dataset.pending = "";
    this.busy(true);
    this.settled = new Promise((resolve) => {
      this.resolveSettled = resolve;
    });
    this.socket.publish(this.topic, this.data, this.ref).then(
      (ack) => this.answered("ok", ack),
      (error) => this.answered("error", error),
    );
    if (this.timeout !== null) {
      this.socket.setTimeout(() => {
        if (this.answer) return;
        this.socket.withdraw(this.ref);
        this.answered("timeout", null);
      }, this.timeout);
    }
    return this;
  }

  receive(status, callback) {
    if (!(status in this.callbacks)) throw new Error(`no such answer: ${status}`);
    if (this.answer?.[0] === status) callback(this.answer[1]);
    else this.callbacks[status].push(callback);
    return this;
  }

  answered(status, value) {
    if (this.answer) return;
    this.answer = [status, value];
    if (this.pending) delete this.pending.dataset.pending;
    this.busy(false);
    try {
      for (const callback of this.callbacks[status]) callback(value);
    } finally {
      this.resolveSettled();
    }
  }
}
