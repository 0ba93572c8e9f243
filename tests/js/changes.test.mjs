import assert from "node:assert/strict";
import { test } from "node:test";

import { cardChange, dropPosition, messageChange } from "../../static/js/changes.js";

const event = (name, data) => ({ type: "event", topic: "chat:1", seq: 5, event: name, data });
const message = { id: 7, channel_id: 1, body: "hello", edited_at: null, author: { id: 2 } };

test("a new message is added, an edit updates it, a deletion removes it", () => {
  assert.deepEqual(messageChange(event("message.created", message)), { op: "add", message });
  const edited = { ...message, body: "hello all", edited_at: "2026-11-25T23:00:00Z" };
  assert.deepEqual(messageChange(event("message.updated", edited)), { op: "update", message: edited });
  assert.deepEqual(messageChange(event("message.deleted", { id: 7, channel_id: 1 })), { op: "remove", id: 7 });
});

test("a redacted event of a message deleted later changes nothing", () => {
  const redacted = { id: 7, channel_id: 1, redacted: true };
  assert.deepEqual(messageChange(event("message.created", redacted)), { op: "ignore" });
  assert.deepEqual(messageChange(event("message.updated", redacted)), { op: "ignore" });
});

test("frames that are not message events change nothing", () => {
  assert.deepEqual(messageChange({ type: "subscribed", topic: "chat:1", seq: 3 }), { op: "ignore" });
  assert.deepEqual(messageChange(event("typing", { id: 1 })), { op: "ignore" });
});

const card = { id: 3, board_id: 1, column_id: 10, title: "Ship", description: "", position: 0, version: 4 };

test("card events place the card, unless the page already shows a newer version", () => {
  for (const name of ["card.created", "card.updated", "card.moved"]) {
    assert.deepEqual(cardChange(event(name, card)), { op: "place", card });
    assert.deepEqual(cardChange(event(name, card), () => 4), { op: "place", card });
    assert.deepEqual(cardChange(event(name, card), () => 5), { op: "ignore" });
  }
});

test("a deleted card is removed; its redacted earlier events change nothing", () => {
  assert.deepEqual(cardChange(event("card.deleted", { id: 3, board_id: 1, column_id: 10 })), { op: "remove", id: 3 });
  const redacted = { id: 3, board_id: 1, column_id: 10, redacted: true };
  assert.deepEqual(cardChange(event("card.created", redacted)), { op: "ignore" });
  assert.deepEqual(cardChange(event("card.moved", redacted)), { op: "ignore" });
});

test("a dropped card lands before the first card whose middle is below the pointer", () => {
  assert.equal(dropPosition([], 100), 0);
  assert.equal(dropPosition([50, 150, 250], 10), 0);
  assert.equal(dropPosition([50, 150, 250], 100), 1);
  assert.equal(dropPosition([50, 150, 250], 249), 2);
  assert.equal(dropPosition([50, 150, 250], 400), 3);
});
