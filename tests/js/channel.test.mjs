import assert from "node:assert/strict";
import test from "node:test";

import { socketSetup as setup } from "./fakes.mjs";

test("a channel joins on open, hears its frames by type, and rejoins from the last seq after a drop", async () => {
  const { socket, sockets, clock } = setup();
  const events = [];
  const typists = [];
  socket.channel("chat:1", { since: 10 }).on("event", (frame) => events.push(frame.seq)).on("typing", (frame) => typists.push(frame.user.id)).join();
  socket.connect();
  sockets[0].open();
  assert.deepEqual(sockets[0].sent, [{ type: "subscribe", topic: "chat:1", since: 10, ref: "sub:chat:1" }]);
  sockets[0].receive({ type: "subscribed", topic: "chat:1", seq: 12 });
  sockets[0].receive({ type: "event", topic: "chat:1", seq: 13, event: "message.created", data: {} });
  sockets[0].receive({ type: "typing", topic: "chat:1", user: { id: 4, display_name: "Bo" } });
  sockets[0].receive({ type: "event", topic: "chat:2", seq: 99, event: "message.created", data: {} }); // another topic
  assert.deepEqual(events, [13]);
  assert.deepEqual(typists, [4]);
  sockets[0].drop(1006);
  await clock.advance(30000);
  assert.equal(sockets.length, 2);
  sockets[1].open();
  assert.equal(sockets[1].sent[0].since, 13);
});

test("a channel joined while the socket is open subscribes at once", () => {
  const { socket, sockets } = setup();
  socket.connect();
  sockets[0].open();
  socket.channel("board:2", { since: 5 }).join();
  assert.deepEqual(sockets[0].sent, [{ type: "subscribe", topic: "board:2", since: 5, ref: "sub:board:2" }]);
});

test("resync_required reloads the page once by default, and rejoins from no seq", async () => {
  const { socket, sockets, clock } = setup();
  let reloads = 0;
  const events = [];
  const channel = socket.channel("board:4", { since: 99, reload: () => { reloads += 1; } }).on("event", (f) => events.push(f)).join();
  socket.connect();
  sockets[0].open();
  sockets[0].receive({ type: "resync_required", topic: "board:4" });
  sockets[0].receive({ type: "resync_required", topic: "board:4" });
  assert.equal(reloads, 1);
  assert.deepEqual(events, []);
  assert.equal(channel.since, null);
  sockets[0].drop(1006);
  await clock.advance(30000);
  sockets[1].open();
  assert.equal(sockets[1].sent[0].since, null);
});

test("onResync replaces the reload with a refetch, every time it is needed", () => {
  const { socket, sockets } = setup();
  let reloads = 0;
  let refetches = 0;
  socket.channel("chat:7", { since: 3, reload: () => { reloads += 1; } }).onResync(() => { refetches += 1; }).join();
  socket.connect();
  sockets[0].open();
  sockets[0].receive({ type: "resync_required", topic: "chat:7" });
  sockets[0].receive({ type: "resync_required", topic: "chat:7" });
  assert.deepEqual([reloads, refetches], [0, 2]);
});

test("a subscribe refused for now (the replay budget) is sent again later, from the same seq", async () => {
  const { socket, sockets, clock } = setup();
  socket.channel("chat:1", { since: 10 }).join();
  socket.connect();
  sockets[0].open();
  sockets[0].receive({ type: "error", ref: "sub:chat:1", code: "rate_limited", message: "later" });
  assert.equal(sockets[0].sent.length, 1);
  await clock.advance(2000);
  assert.deepEqual(sockets[0].sent.at(-1), { type: "subscribe", topic: "chat:1", since: 10, ref: "sub:chat:1" });
  sockets[0].receive({ type: "error", ref: "sub:chat:1", code: "not_found", message: "gone" });
  await clock.advance(10000);
  assert.equal(sockets[0].sent.filter((f) => f.type === "subscribe").length, 2); // a final answer is not retried
});

test("a topic the server withdraws reaches its channel once and is not resumed after a reconnect", async () => {
  const { socket, sockets, clock } = setup();
  const seen = [];
  socket.channel("chat:1", { since: 0 }).on("unsubscribed", (frame) => seen.push(frame.reason)).on("event", (frame) => seen.push(frame.seq)).join();
  socket.channel("chat:2", { since: 0 }).join();
  socket.connect();
  sockets[0].open();
  sockets[0].receive({ type: "unsubscribed", topic: "chat:1", ref: null, reason: "deleted" });
  sockets[0].receive({ type: "event", topic: "chat:1", seq: 1, event: "message.created", data: {} });
  assert.deepEqual(seen, ["deleted"]);
  sockets[0].drop(1006);
  await clock.advance(30000);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent.map((f) => f.topic), ["chat:2"]);
});

test("leaving sends an unsubscribe, and its answer is not passed on", () => {
  const { socket, sockets } = setup();
  const seen = [];
  const channel = socket.channel("chat:3", { since: 0 }).on("unsubscribed", (frame) => seen.push(frame)).join();
  socket.connect();
  sockets[0].open();
  channel.leave();
  assert.deepEqual(sockets[0].sent.at(-1), { type: "unsubscribe", topic: "chat:3", ref: "unsub:chat:3" });
  sockets[0].receive({ type: "unsubscribed", topic: "chat:3", ref: "unsub:chat:3" });
  sockets[0].receive({ type: "event", topic: "chat:3", seq: 1, event: "message.created", data: {} });
  assert.deepEqual(seen, []);
});
