/**
 * Capped exponential backoff with full jitter: the n-th wait is uniform in
 * [floor, min(cap, base * 2^n)], so a crowd of clients reconnecting after a
 * restart spreads out instead of arriving together.
 */
export class Backoff {
  constructor({ base = 500, cap = 30000, floor = 100, random = Math.random } = {}) {
    this.base = base;
    this.cap = cap;
    this.floor = floor;
    this.random = random;
    this.attempt = 0;
  }

  /** The next delay in milliseconds; `cap` lowers the ceiling for this one. */
  next(cap = this.cap) {
    const ceiling = Math.min(cap, this.base * 2 ** this.attempt);
    this.attempt += 1;
    return Math.max(this.floor, Math.floor(this.random() * ceiling));
  }

  reset() {
    this.attempt = 0;
  }
}
