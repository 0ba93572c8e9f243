import assert from "node:assert/strict";
import test from "node:test";

import { Auth } from "../../static/js/auth.js";
import { Http } from "../../static/js/http.js";
import { Cookies, FakeLocation, jsonResponse, settle } from "./fakes.mjs";

/** A server whose access token has expired until one refresh rotates it. */
function fakeServer({ refreshAnswer = null, refreshDelay = 0 } = {}) {
  const cookies = new Cookies({ csrf_access_token: "a1", csrf_refresh_token: "r1" });
  const server = { cookies, refreshes: 0, requests: [], generation: 1 };
  server.fetch = async (url, init = {}) => {
    server.requests.push({ url, init });
    if (url === "/auth/refresh") {
      server.refreshes += 1;
      if (refreshDelay) await new Promise((resolve) => setTimeout(resolve, refreshDelay));
      if (refreshAnswer) return refreshAnswer();
      server.generation += 1;
      cookies.values.csrf_access_token = `a${server.generation}`;
      cookies.values.csrf_refresh_token = `r${server.generation}`;
      return jsonResponse(200, { access_expires_at: 2_000_000_000 });
    }
    if (server.generation === 1 || init.headers["X-CSRF-TOKEN"] !== `a${server.generation}`) {
      return jsonResponse(401, { error: "token_expired", message: "expired" });
    }
    return jsonResponse(200, { ok: true, url, body: init.body ?? null });
  };
  return server;
}

function client(server, location = new FakeLocation()) {
  const auth = new Auth({ fetch: server.fetch, cookies: server.cookies.read, locks: null, channel: null, location,
    documentRef: null, setTimeout: () => 0, clearTimeout: () => {} });
  return { auth, http: new Http({ auth, fetch: server.fetch, cookies: server.cookies.read }), location };
}

test("an expired token is refreshed once and the request retried with its body and the new CSRF value", async () => {
  const server = fakeServer();
  const { http } = client(server);
  const body = await http.json("/api/channels/1/messages", { method: "POST", body: { body: "hi" } });
  assert.equal(server.refreshes, 1);
  assert.equal(body.body, JSON.stringify({ body: "hi" }));
  const retry = server.requests.at(-1);
  assert.equal(retry.init.headers["X-CSRF-TOKEN"], "a2");
  assert.equal(retry.init.credentials, "same-origin");
});

test("concurrent 401s share exactly one refresh", async () => {
  const server = fakeServer({ refreshDelay: 20 });
  const { http } = client(server);
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => http.json(`/api/x/${i}`)));
  assert.equal(server.refreshes, 1);
  assert.equal(results.length, 8);
});

test("a 401 that arrives after the refresh finished is retried without a second refresh", async () => {
  const server = fakeServer();
  const { http } = client(server);
  let releaseSlow;
  const slowGate = new Promise((resolve) => { releaseSlow = resolve; });
  const fetch = server.fetch;
  server.fetch = async (url, init) => {
    if (url === "/api/slow" && init.headers["X-CSRF-TOKEN"] === "a1") {
      await slowGate; // sent with the old token, answered after the refresh completed
    }
    return fetch(url, init);
  };
  http.fetch = server.fetch;
  http.auth.fetch = server.fetch;
  const slow = http.json("/api/slow");
  await settle();
  await http.json("/api/fast");
  assert.equal(server.refreshes, 1);
  releaseSlow();
  assert.deepEqual((await slow).ok, true);
  assert.equal(server.refreshes, 1);
});

test("when the refresh says the session is over, the tab goes to login once, with next", async () => {
  const server = fakeServer({ refreshAnswer: () => jsonResponse(401, { error: "refresh_reused" }) });
  const { http, location } = client(server);
  await Promise.all([http.request("/api/a"), http.request("/api/b"), http.request("/api/c")]);
  assert.equal(server.refreshes, 1);
  assert.deepEqual(location.assigned, ["/auth/login?next=%2Fw%2F1%2Fc%2F2&ended=1"]);
  await http.request("/api/d");
  assert.equal(location.assigned.length, 1);
});

test("a revoked session goes straight to login without a refresh", async () => {
  const server = fakeServer();
  server.fetch = async () => jsonResponse(401, { error: "token_revoked" });
  const { http, location } = client(server);
  await http.request("/api/me");
  assert.equal(server.refreshes, 0);
  assert.equal(location.assigned.length, 1);
});

test("a refresh that fails for network reasons is not a logout", async () => {
  const server = fakeServer({ refreshAnswer: () => { throw new TypeError("Failed to fetch"); } });
  const { http, location } = client(server);
  const response = await http.request("/api/me");
  assert.equal(response.status, 401);
  assert.deepEqual(location.assigned, []);
  const busy = fakeServer({ refreshAnswer: () => jsonResponse(503, { error: "unavailable" }) });
  const second = client(busy);
  await second.http.request("/api/me");
  assert.deepEqual(second.location.assigned, []);
});

test("login, register, refresh and logout are never intercepted", async () => {
  for (const path of ["/auth/login", "/auth/register", "/auth/refresh", "/auth/logout", "/auth/logout-all"]) {
    const server = fakeServer();
    let calls = 0;
    server.fetch = async () => { calls += 1; return jsonResponse(401, { error: "token_expired" }); };
    const { http, location } = client(server);
    const response = await http.request(path, { method: "POST" });
    assert.equal(response.status, 401, path);
    assert.equal(calls, 1, path); // no refresh, no retry
    assert.deepEqual(location.assigned, [], path);
  }
});

test("a retry that is refused again ends on the login page instead of looping", async () => {
  const server = fakeServer();
  server.fetch = async (url) => {
    if (url === "/auth/refresh") {
      server.refreshes += 1;
      server.cookies.values.csrf_access_token = `a${server.refreshes + 1}`;
      return jsonResponse(200, { access_expires_at: 2_000_000_000 });
    }
    return jsonResponse(401, { error: "token_expired" });
  };
  const { http, location } = client(server);
  await http.request("/api/me");
  assert.equal(server.refreshes, 1);
  assert.equal(location.assigned.length, 1);
});
