import assert from "node:assert/strict";
import test from "node:test";

import { settle, socketSetup as setup } from "./fakes.mjs";

test("backoff grows with each failed attempt and the status counts down", async () => {
  const { socket, sockets, clock, statuses } = setup();
  socket.connect();
  sockets[0].open();
  sockets[0].drop(1006);
  const waits = [];
  for (let i = 0; i < 4; i++) {
    const [state, { reconnectAt }] = statuses.at(-1);
    assert.equal(state, "reconnecting");
    waits.push(reconnectAt - clock.now());
    await clock.advance(reconnectAt - clock.now());
    sockets.at(-1).drop(1006); // the server is still down
  }
  assert.deepEqual(waits, [250, 500, 1000, 2000]);
});

test("a refused handshake is followed by a refresh before the next attempt", async () => {
  const { socket, sockets, clock, auth } = setup();
  socket.connect();
  sockets[0].drop(1006); // closed before it ever opened: the browser hides the 401
  assert.equal(auth.refreshes, 0);
  await clock.advance(30000);
  assert.equal(auth.refreshes, 1);
  assert.equal(sockets.length, 2);
});

test("a restart's 1001 says when to come back: the first attempt waits that long, then backs off from the start", async () => {
  const { socket, sockets, clock, statuses, auth } = setup();
  socket.connect();
  sockets[0].open();
  sockets[0].drop(1001, "server going away; retry in 2750 ms");
  assert.equal(statuses.at(-1)[1].reconnectAt - clock.now(), 2750);
  await clock.advance(2749);
  assert.equal(sockets.length, 1);
  await clock.advance(1);
  assert.equal(sockets.length, 2);
  sockets[1].drop(1006); // the new server is not up yet
  assert.equal(statuses.at(-1)[1].reconnectAt - clock.now(), 250); // the backoff's first wait, not a grown one
});

test("while the server restarts, sockets that do not open cost no refresh; a token about to expire still gets one", async () => {
  const { socket, sockets, clock, auth, statuses } = setup();
  socket.connect();
  sockets[0].open();
  sockets[0].drop(1001); // an older server: no hint, so the backoff decides
  for (let i = 0; i < 5; i++) {
    await clock.advance(statuses.at(-1)[1].reconnectAt - clock.now());
    sockets.at(-1).drop(1006); // down, or refusing with 503 while it stops: the browser cannot tell
  }
  assert.equal(sockets.length, 6);
  assert.equal(auth.refreshes, 0); // the token was good at the 1001: 2,000 tabs refreshing would be a storm of their own
  // and the waits stay under 5 s while it restarts (2,500 ms: the middle of [0, 5000] with random() = 0.5)
  assert.equal(statuses.at(-1)[1].reconnectAt - clock.now(), 2500);
  await clock.advance(60000);
  sockets.at(-1).drop(1006); // a minute on, a refused handshake is taken for a stale token again
  await clock.advance(30000);
  assert.equal(auth.refreshes, 1);

  const expiring = setup({ expiresSoon: true });
  expiring.socket.connect();
  expiring.sockets[0].open();
  expiring.sockets[0].drop(1001, "server going away; retry in 100 ms");
  await expiring.clock.advance(100);
  assert.equal(expiring.auth.refreshes, 1);
});

test("4401 refreshes then reconnects; 4403 goes to login and never reconnects", async () => {
  const first = setup();
  first.socket.connect();
  first.sockets[0].open();
  first.sockets[0].drop(4401);
  await first.clock.advance(30000);
  assert.equal(first.auth.refreshes, 1);
  assert.equal(first.sockets.length, 2);

  const second = setup();
  second.socket.connect();
  second.sockets[0].open();
  second.sockets[0].drop(4403);
  await second.clock.advance(120000);
  assert.equal(second.auth.over, 1);
  assert.equal(second.sockets.length, 1);
  assert.equal(second.statuses.at(-1)[0], "offline");
});

test("a reconnect with an expiring token refreshes first", async () => {
  const { socket, sockets, clock, auth } = setup({ expiresSoon: true });
  socket.connect();
  sockets[0].open();
  sockets[0].drop(1001);
  await clock.advance(30000);
  assert.equal(auth.refreshes >= 1, true);
});

test("a refresh that fails for network reasons keeps backing off instead of logging out", async () => {
  const { socket, sockets, clock, auth } = setup({ refreshOutcomes: ["network", "network", "ok"] });
  socket.connect();
  sockets[0].drop(1006);
  await clock.advance(120000);
  assert.equal(auth.over, 0);
  assert.equal(auth.refreshes, 3);
  assert.equal(sockets.length, 2);
});

test("when the refresh says the session is over, the socket stops and the tab goes to login", async () => {
  const { socket, sockets, clock, auth } = setup({ refreshOutcomes: ["over"] });
  socket.connect();
  sockets[0].drop(1006);
  await clock.advance(120000);
  assert.equal(auth.over, 1);
  assert.equal(sockets.length, 1);
});

test("publishes wait in the outbox while offline and are resent until acked", async () => {
  const { socket, sockets, clock } = setup();
  socket.connect();
  const acked = socket.publish("chat:1", { body: "typed offline", client_id: "c-1" });
  assert.equal(sockets[0].sent.length, 0);
  sockets[0].open();
  assert.deepEqual(sockets[0].sent.at(-1), { type: "publish", topic: "chat:1", ref: "c-1", data: { body: "typed offline", client_id: "c-1" } });
  sockets[0].drop(1006); // the ack was lost with the connection
  await clock.advance(30000);
  sockets[1].open();
  const resent = sockets[1].sent.filter((f) => f.type === "publish");
  assert.equal(resent.length, 1);
  assert.equal(resent[0].data.client_id, "c-1"); // the server stores it once
  sockets[1].receive({ type: "ack", ref: "c-1", id: 7, seq: 3 });
  assert.equal((await acked).id, 7);
  sockets[1].drop(1006);
  await clock.advance(30000);
  sockets[2].open();
  assert.equal(sockets[2].sent.filter((f) => f.type === "publish").length, 0);
});

test("an error frame rejects its publish, a conflict carries the current card", async () => {
  const { socket, sockets } = setup();
  socket.connect();
  sockets[0].open();
  const move = socket.publish("board:1", { op: "card.move", card_id: 1, version: 1, column_id: 2, position: 0 });
  const ref = sockets[0].sent.at(-1).ref;
  sockets[0].receive({ type: "error", ref, code: "conflict", message: "changed", current: { id: 1, version: 2 } });
  await assert.rejects(move, (error) => error.code === "conflict" && error.frame.current.version === 2);
});

test("a missing pong drops the half-open connection and reconnects", async () => {
  const { socket, sockets, clock } = setup();
  socket.connect();
  sockets[0].open();
  await clock.advance(25000);
  assert.deepEqual(sockets[0].sent.at(-1), { type: "ping", ref: "ping" });
  await clock.advance(10000);
  assert.equal(sockets[0].readyState, 3);
  await clock.advance(30000);
  assert.equal(sockets.length, 2);
});

test("the browser coming back online reconnects at once", async () => {
  const { socket, sockets, events, statuses, setOnline } = setup();
  socket.connect();
  sockets[0].open();
  setOnline(false);
  events.dispatchEvent(new Event("offline"));
  sockets[0].drop(1006);
  assert.equal(statuses.at(-1)[0], "offline");
  setOnline(true);
  events.dispatchEvent(new Event("online"));
  await settle();
  assert.equal(sockets.length, 2);
});

test("an offline blip that the open socket survives never leaves the status offline", async () => {
  const { socket, sockets, events, statuses, setOnline, clock } = setup();
  socket.connect();
  sockets[0].open();
  setOnline(false);
  events.dispatchEvent(new Event("offline"));
  assert.deepEqual(sockets[0].sent.at(-1), { type: "ping", ref: "ping" }); // asked, not assumed dead
  assert.equal(statuses.at(-1)[0], "open");
  setOnline(true);
  events.dispatchEvent(new Event("online"));
  sockets[0].receive({ type: "pong", ref: "ping" });
  await clock.advance(20000); // well past the probe's 5 s
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0].readyState, 1);
  assert.ok(statuses.every(([state]) => state !== "offline"));
});

test("an open socket that stops answering after the network changes is dropped, then shows offline", async () => {
  const { socket, sockets, events, statuses, setOnline, clock } = setup();
  socket.connect();
  sockets[0].open();
  setOnline(false);
  events.dispatchEvent(new Event("offline"));
  await clock.advance(4999);
  assert.equal(statuses.at(-1)[0], "open");
  await clock.advance(1);
  assert.equal(sockets[0].readyState, 3);
  assert.equal(statuses.at(-1)[0], "offline");
});

test("a publish while offline updates the count the status shows", () => {
  const { socket, sockets, events, statuses, setOnline } = setup();
  socket.connect();
  sockets[0].open();
  setOnline(false);
  sockets[0].drop(1006);
  events.dispatchEvent(new Event("offline"));
  socket.publish("chat:1", { body: "one", client_id: "c-1" });
  socket.publish("chat:1", { body: "two", client_id: "c-2" });
  assert.deepEqual(statuses.at(-1), ["offline", { reconnectAt: null, pending: 2 }]);
});
