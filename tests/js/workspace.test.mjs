import assert from "node:assert/strict";
import test from "node:test";

import { Backoff } from "../../static/js/backoff.js";
import { HearthSocket } from "../../static/js/socket.js";
import { sentence, TypingIndicator, TypingSender } from "../../static/js/typing.js";
import { FakeClock, fakeWebSocketClass } from "./fakes.mjs";

function openSocket() {
  const clock = new FakeClock();
  const { FakeWebSocket, sockets } = fakeWebSocketClass();
  const socket = new HearthSocket({
    url: "ws://hearth.test/ws",
    auth: { expiresSoon: () => false, refresh: async () => "ok", sessionOver: () => {} },
    WebSocketClass: FakeWebSocket,
    backoff: new Backoff({ base: 500, cap: 30000, floor: 100, random: () => 0.5 }),
    events: new EventTarget(),
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    setInterval: clock.setInterval,
    clearInterval: clock.clearInterval,
  });
  return { socket, sockets, clock };
}

test("a topic the server withdraws reaches its handler once and is not resumed after a reconnect", async () => {
  const { socket, sockets, clock } = openSocket();
  const seen = [];
  socket.subscribe("chat:1", { since: 0, handler: (frame) => seen.push(frame) });
  socket.subscribe("chat:2", { since: 0, handler: () => {} });
  socket.connect();
  sockets[0].open();
  sockets[0].receive({ type: "unsubscribed", topic: "chat:1", ref: null, reason: "deleted" });
  sockets[0].receive({ type: "event", topic: "chat:1", seq: 1, event: "message.created", data: {} });
  assert.deepEqual(seen.map((f) => [f.type, f.reason]), [["unsubscribed", "deleted"]]);
  sockets[0].drop(1006);
  await clock.advance(30000);
  sockets[1].open();
  assert.deepEqual(sockets[1].sent.map((f) => f.topic), ["chat:2"]);
});

test("read frames reach their listeners whatever the page follows, and open is announced on every connect", async () => {
  const { socket, sockets, clock } = openSocket();
  const reads = [];
  let opens = 0;
  socket.on("read", (frame) => reads.push(frame.seq));
  socket.on("open", () => { opens += 1; });
  socket.connect();
  sockets[0].open();
  sockets[0].receive({ type: "read", topic: "chat:9", seq: 4 });
  assert.deepEqual(reads, [4]);
  sockets[0].drop(1006);
  await clock.advance(30000);
  sockets[1].open();
  assert.equal(opens, 2);
});

test("our own unsubscribe forgets the topic and its answer is not passed on", () => {
  const { socket, sockets } = openSocket();
  const seen = [];
  socket.subscribe("chat:3", { since: 0, handler: (frame) => seen.push(frame) });
  socket.connect();
  sockets[0].open();
  socket.unsubscribe("chat:3");
  assert.deepEqual(sockets[0].sent.at(-1), { type: "unsubscribe", topic: "chat:3", ref: "unsub:chat:3" });
  sockets[0].receive({ type: "unsubscribed", topic: "chat:3", ref: "unsub:chat:3" });
  assert.deepEqual(seen, []);
});

test("typing is sent at most once per two seconds while someone types, and never queued offline", () => {
  const { socket, sockets, clock } = openSocket();
  const sender = new TypingSender({ socket, topic: "chat:1", now: clock.now });
  sender.typed(); // not connected yet: dropped, not queued
  socket.connect();
  sockets[0].open();
  for (let i = 0; i < 10; i += 1) {
    sender.typed();
    clock.time += 300; // ten keystrokes over three seconds
  }
  assert.deepEqual(sockets[0].sent.filter((f) => f.type === "typing").length, 2);
  sender.reset();
  sender.typed();
  assert.equal(sockets[0].sent.filter((f) => f.type === "typing").length, 3);
});

test("the typing line names who types and forgets them when their frames stop", async () => {
  const clock = new FakeClock();
  const root = { textContent: "" };
  const typing = new TypingIndicator({ root, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout });
  typing.show({ id: 1, display_name: "Ada" });
  assert.equal(root.textContent, "Ada is typing…");
  typing.show({ id: 2, display_name: "Grace" });
  assert.equal(root.textContent, "Ada and Grace are typing…");
  await clock.advance(3000);
  typing.show({ id: 2, display_name: "Grace" }); // Grace goes on typing
  await clock.advance(2000);
  assert.equal(root.textContent, "Grace is typing…");
  typing.stop(2); // her message arrived
  assert.equal(root.textContent, "");
  assert.equal(sentence(["a", "b", "c"]), "Several people are typing…");
});
