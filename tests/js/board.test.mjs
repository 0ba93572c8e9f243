import assert from "node:assert/strict";
import test from "node:test";

import { moveButton, moveRefused, moveTarget, replacesShown, slotIndex } from "../../static/js/board.js";

test("a move button sends a card one column over, and nowhere past the board's edge", () => {
  assert.equal(moveTarget(0, "next", 3), 1);
  assert.equal(moveTarget(2, "prev", 3), 1);
  assert.equal(moveTarget(0, "prev", 3), null);
  assert.equal(moveTarget(2, "next", 3), null);
});

test("move buttons are labelled with the card and where it goes, and disabled at the edges", () => {
  const names = ["To do", "Doing", "Done"];
  assert.deepEqual(moveButton(names, 1, "next", "Fix login"), { disabled: false, label: "Move “Fix login” to Done" });
  assert.deepEqual(moveButton(names, 1, "prev", "Fix login"), { disabled: false, label: "Move “Fix login” to To do" });
  assert.deepEqual(moveButton(names, 0, "prev", "Fix login"), { disabled: true, label: "Move “Fix login” left" });
  assert.deepEqual(moveButton(names, 2, "next", "Fix login"), { disabled: true, label: "Move “Fix login” right" });
});

test("a card from the server is shown unless the page already shows a newer version of it", () => {
  assert.equal(replacesShown({ id: 1, version: 3 }, undefined), true); // not shown yet: a new card
  assert.equal(replacesShown({ id: 1, version: 3 }, 2), true);
  assert.equal(replacesShown({ id: 1, version: 3 }, 3), true); // our own ack after its event
  assert.equal(replacesShown({ id: 1, version: 3 }, 4), false); // a late ack after someone's later move
});

test("a card lands before the card at its position among the others, or at the end", () => {
  assert.equal(slotIndex(0, 3), 0);
  assert.equal(slotIndex(2, 3), 2);
  assert.equal(slotIndex(3, 3), 3);
  assert.equal(slotIndex(9, 3), 3);
});

test("a refused move shows the card where it really is, drops a deleted one, or says why", () => {
  const current = { id: 1, version: 5, column_id: 2, position: 0 };
  assert.deepEqual(moveRefused({ code: "conflict", frame: { current } }), {
    place: current,
    say: "Someone else changed that card first; it now shows where it really is.",
  });
  assert.deepEqual(moveRefused({ code: "not_found", frame: {} }), { remove: true, say: "That card no longer exists." });
  assert.deepEqual(moveRefused({ code: "rate_limited", message: "slow down" }), { say: "Could not move the card: slow down" });
  assert.equal(moveRefused({ code: "conflict", message: "changed", frame: {} }).say, "Could not move the card: changed"); // no current card to show
});
