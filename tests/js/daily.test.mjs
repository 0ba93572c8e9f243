import assert from "node:assert/strict";
import test from "node:test";
import { parseHTML } from "linkedom";

import { countText, editsLastOnKey, tooLong } from "../../static/js/chat/composer.js";
import { editProblem } from "../../static/js/chat/message_editor.js";
import { isLong, markGroups } from "../../static/js/chat/message_list.js";
import { ReadTracker } from "../../static/js/reading.js";
import { FakeClock } from "./fakes.mjs";

test("the counter is quiet far from the limit, counts down near it and says how far over past it", () => {
  assert.equal(countText("x".repeat(3499)), null);
  assert.equal(countText("x".repeat(3700)), "300 characters left");
  assert.equal(countText("x".repeat(4500)), "Too long: 4,500 of at most 4,000 characters. Shorten it to send.");
  assert.equal(tooLong("x".repeat(4000)), false);
  assert.equal(tooLong("x".repeat(4001)), true);
  assert.equal(tooLong("😀".repeat(4000)), false); // characters, not UTF-16 units, as the server counts
  assert.match(editProblem("y".repeat(4001)), /^Too long: 4,001/);
  assert.equal(editProblem("fine"), null);
});

test("Up edits the last message only from an empty composer and without modifiers", () => {
  assert.equal(editsLastOnKey({ key: "ArrowUp" }, ""), true);
  assert.equal(editsLastOnKey({ key: "ArrowUp" }, "draft"), false);
  assert.equal(editsLastOnKey({ key: "ArrowUp", shiftKey: true }, ""), false);
  assert.equal(editsLastOnKey({ key: "ArrowDown" }, ""), false);
});

test("one person's messages within five minutes group; another person, a gap, a day or the unread line break the group", () => {
  const li = (author, at) => `<li data-message-id="1" data-author-id="${author}"><time datetime="${at}"></time></li>`;
  const { document } = parseHTML(`<ol id="m">
    <li class="day"></li>
    ${li(1, "2026-12-06T10:00:00Z")}${li(1, "2026-12-06T10:04:00Z")}${li(2, "2026-12-06T10:05:00Z")}${li(2, "2026-12-06T10:20:00Z")}
    <li class="day"></li>
    ${li(2, "2026-12-07T00:01:00Z")}<li id="new-messages"></li>${li(2, "2026-12-07T00:02:00Z")}${li(2, "2026-12-07T00:03:00Z")}
  </ol>`);
  const list = document.getElementById("m");
  markGroups(list);
  const marks = [...list.querySelectorAll("li[data-author-id]")].map((item) => item.classList.contains("continued"));
  assert.deepEqual(marks, [false, true, false, false, false, false, true]);
});

test("a body folds past 1,200 characters or 14 blocks", () => {
  assert.equal(isLong("x".repeat(1200), 1), false);
  assert.equal(isLong("x".repeat(1201), 1), true);
  assert.equal(isLong("short", 15), true);
});

test("the read marker goes only as far as the reader has read", async () => {
  const clock = new FakeClock();
  const posted = [];
  const documentRef = new EventTarget();
  documentRef.visibilityState = "visible";
  let upTo = 40;
  const http = { json: async (path, { body }) => { posted.push(body.seq); return null; } };
  const reading = new ReadTracker({ channelId: 7, http, list: null, headSeq: 150, readSeq: 0, documentRef, setTimeout: clock.setTimeout, readUpTo: () => upTo });
  await clock.advance(600);
  assert.deepEqual(posted, [40]); // what is in view, not the newest
  upTo = 90;
  reading.markIfVisible();
  await clock.advance(600);
  upTo = Infinity; // at the end
  reading.markIfVisible();
  await clock.advance(600);
  assert.deepEqual(posted, [40, 90, 150]);
});
