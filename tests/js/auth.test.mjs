import assert from "node:assert/strict";
import test from "node:test";

import { Auth } from "../../static/js/auth.js";
import { Cookies, FakeClock, FakeLocks, FakeLocation, jsonResponse } from "./fakes.mjs";

function tabs(count, { fetchDelay = 10 } = {}) {
  const cookies = new Cookies({ csrf_access_token: "a1", csrf_refresh_token: "r1" });
  const server = { refreshes: 0 };
  const fetch = async () => {
    server.refreshes += 1;
    await new Promise((resolve) => setTimeout(resolve, fetchDelay));
    cookies.values.csrf_access_token = `a${server.refreshes + 1}`;
    return jsonResponse(200, { access_expires_at: 2_000_000_000 });
  };
  const locks = new FakeLocks();
  const listeners = [];
  const channel = () => {
    const end = { postMessage: (m) => listeners.filter((l) => l !== end).forEach((l) => l.onmessage?.({ data: m })) };
    listeners.push(end);
    return end;
  };
  const made = Array.from({ length: count }, () => new Auth({
    fetch, cookies: cookies.read, locks, channel: channel(), location: new FakeLocation(), documentRef: null,
    setTimeout: () => 0, clearTimeout: () => {},
  }));
  return { tabs: made, server };
}

test("tabs refreshing at the same moment send one refresh request in total", async () => {
  const { tabs: [a, b, c], server } = tabs(3);
  const outcomes = await Promise.all([a.refresh(), b.refresh(), c.refresh(), a.refresh()]);
  assert.deepEqual(outcomes, ["ok", "ok", "ok", "ok"]);
  assert.equal(server.refreshes, 1);
});

test("the other tabs pick up the new expiry", async () => {
  const { tabs: [a, b] } = tabs(2);
  await a.refresh();
  assert.equal(b.expiresAtMs, 2_000_000_000 * 1000);
});

test("logout in one tab sends the other tabs to the login page", () => {
  const { tabs: [a, b, c] } = tabs(3);
  a.announceLogout();
  assert.equal(b.location.assigned.length, 1);
  assert.equal(c.location.assigned.length, 1);
  assert.equal(a.location.assigned.length, 0); // the logout form itself takes this tab there
});

test("a lock that never frees blocks nobody: the refresh goes ahead after the timeout", async () => {
  const cookies = new Cookies({ csrf_access_token: "a1", csrf_refresh_token: "r1" });
  let refreshes = 0;
  const stuckLocks = {
    request: (name, options) => new Promise((resolve, reject) => {
      options.signal.addEventListener("abort", () => reject(options.signal.reason));
    }),
  };
  const auth = new Auth({
    fetch: async () => { refreshes += 1; return jsonResponse(200, { access_expires_at: 1 }); },
    cookies: cookies.read, locks: stuckLocks, channel: null, location: new FakeLocation(), documentRef: null,
    setTimeout: () => 0, clearTimeout: () => {},
  });
  const original = AbortSignal.timeout;
  AbortSignal.timeout = () => original.call(AbortSignal, 5);
  const keepAlive = setInterval(() => {}, 50); // AbortSignal.timeout's timer does not hold the event loop open
  try {
    assert.equal(await auth.refresh(), "ok");
  } finally {
    AbortSignal.timeout = original;
    clearInterval(keepAlive);
  }
  assert.equal(refreshes, 1);
});

/** An Auth on a fake clock whose tokens live `lifetime` ms and whose every refresh succeeds; counts the refreshes. */
function proactive(lifetime, doc = { visibilityState: "visible", addEventListener() {} }) {
  const clock = new FakeClock(1_000_000_000);
  const cookies = new Cookies({ csrf_access_token: "a1", csrf_refresh_token: "r1" });
  const counted = { refreshes: 0 };
  const auth = new Auth({
    expiresAt: (clock.now() + lifetime) / 1000,
    fetch: async () => {
      counted.refreshes += 1;
      return jsonResponse(200, { access_expires_at: (clock.now() + lifetime) / 1000 });
    },
    cookies: cookies.read, locks: null, channel: null, location: new FakeLocation(), documentRef: doc,
    now: clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
  });
  auth.startProactive();
  return { clock, counted };
}

test("the token is refreshed shortly before it expires while the tab is visible", async () => {
  const doc = { visibilityState: "visible", addEventListener() {} };
  const { clock, counted } = proactive(300_000, doc);
  await clock.advance(260_000);
  assert.equal(counted.refreshes, 0);
  await clock.advance(15_000);
  assert.equal(counted.refreshes, 1);
  doc.visibilityState = "hidden";
  await clock.advance(300_000);
  assert.equal(counted.refreshes, 1);
});

test("short-lived tokens are refreshed a quarter before expiry, never in a storm", async () => {
  const { clock, counted } = proactive(8000);
  await clock.advance(5999);
  assert.equal(counted.refreshes, 0);
  await clock.advance(1);
  assert.equal(counted.refreshes, 1);
  await clock.advance(60_000);
  assert.equal(counted.refreshes, 11); // at 6, 12, … 66 s: one every 6 s
});
