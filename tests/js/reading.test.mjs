import assert from "node:assert/strict";
import test from "node:test";

import { ReadTracker } from "../../static/js/reading.js";
import { FakeClock } from "./fakes.mjs";

function tracker({ visible = true } = {}) {
  const clock = new FakeClock();
  const posted = [];
  const documentRef = new EventTarget();
  documentRef.visibilityState = visible ? "visible" : "hidden";
  const http = { json: async (path, { body }) => { posted.push([path, body.seq]); return null; } };
  const reading = new ReadTracker({ channelId: 7, http, list: null, headSeq: 3, readSeq: 1, documentRef, setTimeout: clock.setTimeout });
  return { reading, posted, clock, documentRef };
}

test("a visible channel is marked read up to the newest event, once for a burst of messages", async () => {
  const { reading, posted, clock } = tracker();
  await clock.advance(600);
  assert.deepEqual(posted, [["/api/channels/7/read", 3]]);
  for (const seq of [4, 5, 6, 7]) reading.seen(seq);
  await clock.advance(600);
  assert.deepEqual(posted.at(-1), ["/api/channels/7/read", 7]);
  assert.equal(posted.length, 2);
});

test("a hidden tab marks nothing until it is looked at", async () => {
  const { reading, posted, clock, documentRef } = tracker({ visible: false });
  reading.seen(9);
  await clock.advance(1000);
  assert.deepEqual(posted, []);
  documentRef.visibilityState = "visible";
  documentRef.dispatchEvent(new Event("visibilitychange"));
  await clock.advance(600);
  assert.deepEqual(posted, [["/api/channels/7/read", 9]]);
});
