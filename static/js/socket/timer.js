import { Backoff } from "../backoff.js";

/** Error codes that mean "not now": what they refused is tried again a little later. */
export const RETRY_SOON = new Set(["rate_limited", "unavailable"]);

/**
 * One pending retry at a time, its wait drawn from the jittered backoff: the
 * socket's reconnect schedules here, and a connection that proved stable
 * resets the backoff so the next outage starts from short waits again.
 */
export class RetryTimer {
  constructor({
    callback,
    backoff = new Backoff(),
    setTimeout = globalThis.setTimeout.bind(globalThis),
    clearTimeout = globalThis.clearTimeout.bind(globalThis),
  }) {
    Object.assign(this, { callback, backoff, setTimeout, clearTimeout });
    this.handle = null;
  }

  /** Run the callback after `delay`, or after the backoff's next wait (under `cap`); returns the wait. */
  schedule({ delay = null, cap = undefined } = {}) {
    const wait = delay ?? this.backoff.next(cap);
    this.cancel();
    this.handle = this.setTimeout(() => {
      this.handle = null;
      this.callback();
    }, wait);
    return wait;
  }

  cancel() {
    if (this.handle !== null) this.clearTimeout(this.handle);
    this.handle = null;
  }

  get scheduled() {
    return this.handle !== null;
  }

  /** The next outage starts again from the shortest waits. */
  reset() {
    this.backoff.reset();
  }
}
