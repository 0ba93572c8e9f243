// Test doubles for the browser pieces the client modules take as parameters.

import { Backoff } from "../../static/js/backoff.js";
import { HearthSocket } from "../../static/js/socket/socket.js";

/** Timers driven by hand: advance(ms) runs what falls due, in order. */
export class FakeClock {
  constructor(start = 1_000_000) {
    this.time = start;
    this.timers = new Map();
    this.nextId = 1;
    this.now = () => this.time;
    this.setTimeout = (fn, ms = 0) => this.add(fn, ms, null);
    this.setInterval = (fn, ms) => this.add(fn, ms, ms);
    this.clearTimeout = (id) => this.timers.delete(id);
    this.clearInterval = (id) => this.timers.delete(id);
  }

  add(fn, ms, repeat) {
    const id = this.nextId++;
    this.timers.set(id, { fn, at: this.time + ms, repeat });
    return id;
  }

  async advance(ms) {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      const [id, timer] = due;
      this.time = timer.at;
      if (timer.repeat) timer.at += timer.repeat;
      else this.timers.delete(id);
      timer.fn();
      await settle();
    }
    this.time = until;
    await settle();
  }
}

export async function settle() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

export function jsonResponse(status, body) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** A cookie jar the fake server writes and the client reads. */
export class Cookies {
  constructor(values = {}) {
    this.values = { ...values };
    this.read = (name) => this.values[name] ?? null;
  }
}

/** WebSockets that tests open, feed and close by hand. */
export function fakeWebSocketClass() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    close(code = 1000) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onclose?.({ code });
    }
    // what the server does
    open() {
      this.readyState = 1;
      this.onopen?.();
    }
    receive(frame) {
      this.onmessage?.({ data: JSON.stringify(frame) });
    }
    drop(code = 1006, reason = "") {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }
  }
  return { FakeWebSocket, sockets };
}

/** A navigator.locks with one holder at a time. */
/** Web Locks as the tabs of one browser share them: a request waits its turn, or with `ifAvailable` gets null
 * at once while the name is held. */
export class FakeLocks {
  constructor() {
    this.tail = Promise.resolve();
    this.held = new Set();
  }
  request(name, options, fn) {
    if (options?.ifAvailable) {
      const free = !this.held.has(name);
      if (free) this.held.add(name);
      return Promise.resolve(fn(free ? { name } : null)).finally(() => free && this.held.delete(name));
    }
    const run = this.tail.then(() => fn({ name }));
    this.tail = run.catch(() => {});
    return run;
  }
}

export class FakeLocation {
  constructor(path = "/w/1/c/2") {
    this.pathname = path;
    this.search = "";
    this.assigned = [];
  }
  assign(url) {
    this.assigned.push(url);
  }
}

/** A HearthSocket on fake WebSockets, timers and auth; `sockets` are the connections it opened. */
export function socketSetup({ refreshOutcomes = [], expiresSoon = false } = {}) {
  const clock = new FakeClock();
  const { FakeWebSocket, sockets } = fakeWebSocketClass();
  const auth = {
    refreshes: 0,
    over: 0,
    expiresSoon: () => expiresSoon,
    refresh: async () => {
      auth.refreshes += 1;
      return refreshOutcomes.shift() ?? "ok";
    },
    sessionOver: () => { auth.over += 1; },
  };
  const statuses = [];
  const events = new EventTarget();
  let online = true;
  const socket = new HearthSocket({
    url: "ws://hearth.test/ws",
    auth,
    WebSocketClass: FakeWebSocket,
    backoff: new Backoff({ base: 500, cap: 30000, floor: 100, random: () => 0.5 }),
    onStatus: (state, details) => statuses.push([state, details]),
    events,
    isOnline: () => online,
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    setInterval: clock.setInterval,
    clearInterval: clock.clearInterval,
  });
  return { socket, sockets, clock, auth, statuses, events, setOnline: (value) => { online = value; } };
}

/** localStorage in memory: what a tab keeps across reloads. */
export class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}
