import assert from "node:assert/strict";
import test from "node:test";

import { settle, socketSetup as setup } from "./fakes.mjs";

/** An element's dataset, as much of it as a push touches. */
const element = () => ({ dataset: {} });

test("a push marks its element pending until acked, then hands the ack to ok", async () => {
  const { socket, sockets } = setup();
  socket.connect();
  sockets[0].open();
  const card = element();
  const busy = [];
  const acks = [];
  const push = socket.channel("board:1").push({ op: "card.move", card_id: 3 }, { pending: card, busy: (on) => busy.push(on) });
  push.receive("ok", (ack) => acks.push([ack.id, "pending" in card.dataset]));
  assert.equal("pending" in card.dataset, true);
  assert.deepEqual(busy, [true]);
  const sent = sockets[0].sent.at(-1);
  assert.deepEqual([sent.type, sent.topic, sent.data], ["publish", "board:1", { op: "card.move", card_id: 3 }]);
  sockets[0].receive({ type: "ack", ref: sent.ref, id: 3, seq: 8 });
  await push.settled;
  assert.deepEqual(acks, [[3, false]]); // unmarked before ok runs
  assert.deepEqual(busy, [true, false]);
});

test("a refused push unmarks its element and hands error the code and the frame", async () => {
  const { socket, sockets } = setup();
  socket.connect();
  sockets[0].open();
  const card = element();
  const errors = [];
  const push = socket.channel("board:1").push({ op: "card.update", card_id: 1 }, { pending: card })
    .receive("ok", () => errors.push("acked?"))
    .receive("error", (error) => errors.push([error.code, error.frame.current.version, "pending" in card.dataset]));
  sockets[0].receive({ type: "error", ref: sockets[0].sent.at(-1).ref, code: "conflict", message: "changed", current: { id: 1, version: 2 } });
  await push.settled;
  assert.deepEqual(errors, [["conflict", 2, false]]);
});

test("a push without a timeout waits across reconnects, and a chat message keeps its client_id as its ref", async () => {
  const { socket, sockets, clock } = setup();
  socket.connect();
  const acks = [];
  const push = socket.channel("chat:1").push({ body: "hi", client_id: "c-9" }).receive("ok", (ack) => acks.push(ack.id));
  await clock.advance(600000);
  assert.deepEqual(acks, []);
  sockets[0].open();
  assert.equal(sockets[0].sent.at(-1).ref, "c-9");
  sockets[0].receive({ type: "ack", ref: "c-9", id: 5, seq: 2 });
  await push.settled;
  assert.deepEqual(acks, [5]);
});

test("a push with a timeout gives up, unmarks, and is no longer resent", async () => {
  const { socket, sockets, clock, statuses } = setup();
  socket.connect();
  const item = element();
  const answers = [];
  const push = socket.channel("chat:1").push({ op: "message.delete", message_id: 4 }, { pending: item, timeout: 5000 })
    .receive("timeout", () => answers.push("timeout"))
    .receive("ok", () => answers.push("ok"));
  await clock.advance(4999);
  assert.deepEqual(answers, []);
  await clock.advance(1);
  await push.settled;
  assert.deepEqual(answers, ["timeout"]);
  assert.equal("pending" in item.dataset, false);
  assert.equal(statuses.at(-1)[1].pending, 0);
  sockets[0].open();
  assert.equal(sockets[0].sent.filter((f) => f.type === "publish").length, 0);
});

test("a callback added after the answer runs at once; an unknown answer is a mistake", async () => {
  const { socket, sockets } = setup();
  socket.connect();
  sockets[0].open();
  const push = socket.channel("chat:1").push({ body: "x", client_id: "c-1" });
  sockets[0].receive({ type: "ack", ref: "c-1", id: 1, seq: 1 });
  await push.settled;
  let late = null;
  push.receive("ok", (ack) => { late = ack.id; });
  assert.equal(late, 1);
  assert.throws(() => push.receive("done", () => {}), /no such answer/);
  await settle();
});
