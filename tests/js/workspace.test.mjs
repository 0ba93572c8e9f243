import assert from "node:assert/strict";
import test from "node:test";

import { sentence, TypingIndicator, TypingSender } from "../../static/js/typing.js";
import { FakeClock, socketSetup as openSocket } from "./fakes.mjs";

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
