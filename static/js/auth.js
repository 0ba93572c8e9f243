import { readCookie } from "./cookies.js";

const LOCK_NAME = "hearth-refresh";
const LOCK_TIMEOUT_MS = 10000;
const EARLY_MS = 30000; // refresh this long before the access token expires (a quarter of short lifetimes)

/**
 * The session as this tab sees it: when the access token expires, one shared
 * refresh (one per tab, and one at a time across tabs through Web Locks), and
 * going to the login page exactly once when the session is over.
 */
export class Auth {
  constructor({
    expiresAt = 0,
    fetch = globalThis.fetch?.bind(globalThis),
    cookies = (name) => readCookie(name),
    locks = globalThis.navigator?.locks,
    channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("hearth-auth") : null,
    location = globalThis.location,
    documentRef = globalThis.document,
    now = () => Date.now(),
    setTimeout = globalThis.setTimeout.bind(globalThis),
    clearTimeout = globalThis.clearTimeout.bind(globalThis),
  } = {}) {
    Object.assign(this, { fetch, cookies, locks, channel, location, documentRef, now, setTimeout, clearTimeout });
    this.expiresAtMs = expiresAt * 1000;
    this.inflight = null;
    this.leaving = false;
    this.timer = null;
    if (channel) {
      channel.onmessage = (event) => this.onBroadcast(event.data);
    }
  }

  /** Seconds-since-epoch from the server (page data, refresh answers). */
  setExpiry(seconds) {
    this.expiresAtMs = seconds * 1000;
    this.scheduleProactive();
  }

  expiresSoon(marginMs = 5000) {
    return this.expiresAtMs - this.now() <= marginMs;
  }

  /**
   * Refresh the tokens. Resolves "ok", "over" (the session has ended: go to
   * login) or "network" (try again later: not a logout). Concurrent callers
   * share one request.
   */
  refresh() {
    if (!this.inflight) {
      this.inflight = this.refreshAcrossTabs().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  async refreshAcrossTabs() {
    const before = this.cookies("csrf_access_token");
    const run = async () => {
      // Another tab refreshed while this one waited: the new tokens are already in our cookies.
      if (this.cookies("csrf_access_token") !== before) return "ok";
      return this.refreshNow();
    };
    if (!this.locks) return run();
    try {
      return await this.locks.request(LOCK_NAME, { signal: AbortSignal.timeout(LOCK_TIMEOUT_MS) }, run);
    } catch (error) {
      // A tab that died holding the lock blocks nobody: go ahead (the server's reuse grace covers the race).
      if (error?.name === "TimeoutError" || error?.name === "AbortError") return run();
      throw error;
    }
  }

  async refreshNow() {
    let response;
    try {
      response = await this.fetch("/auth/refresh", {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRF-TOKEN": this.cookies("csrf_refresh_token") ?? "" },
      });
    } catch {
      return "network";
    }
    if (response.ok) {
      const body = await response.json();
      this.setExpiry(body.access_expires_at);
      this.channel?.postMessage({ type: "refreshed", expiresAt: body.access_expires_at });
      return "ok";
    }
    if (response.status === 401 || response.status === 403) return "over";
    return "network";
  }

  /** Go to the login page, once, which says the session ended; and come back here afterwards. */
  sessionOver() {
    if (this.leaving) return;
    this.leaving = true;
    this.clearTimeout(this.timer);
    const here = this.location.pathname + this.location.search;
    this.location.assign(`/auth/login?next=${encodeURIComponent(here)}&ended=1`);
  }

  /** Called when this tab logs out: every other tab follows to the login page. */
  announceLogout() {
    this.leaving = true;
    this.channel?.postMessage({ type: "logout" });
  }

  onBroadcast(message) {
    if (message?.type === "refreshed") {
      this.expiresAtMs = message.expiresAt * 1000;
      this.scheduleProactive();
    } else if (message?.type === "logout") {
      this.sessionOver();
    }
  }

  /** Refresh shortly before expiry while the tab is visible; a hidden tab catches up when shown. */
  scheduleProactive() {
    this.clearTimeout(this.timer);
    if (this.leaving || !this.expiresAtMs) return;
    const remaining = this.expiresAtMs - this.now();
    const wait = Math.max(1000, remaining - Math.min(EARLY_MS, remaining / 4));
    this.timer = this.setTimeout(() => this.proactive(), wait);
  }

  async proactive() {
    if (this.documentRef?.visibilityState === "hidden") return;
    const outcome = await this.refresh();
    if (outcome === "over") this.sessionOver();
    else if (outcome === "network") this.timer = this.setTimeout(() => this.proactive(), 5000);
  }

  startProactive() {
    this.scheduleProactive();
    this.documentRef?.addEventListener?.("visibilitychange", () => {
      if (this.documentRef.visibilityState === "visible" && this.expiresSoon(EARLY_MS)) this.proactive();
    });
  }
}
