import assert from "node:assert/strict";
import test from "node:test";

import { statusText } from "../../static/js/status.js";

test("the status reads as a person expects", () => {
  assert.equal(statusText("open"), "Live");
  assert.equal(statusText("connecting"), "Connecting…");
  assert.equal(statusText("reconnecting", 3200), "Reconnecting in 4 s…");
  assert.equal(statusText("reconnecting", null), "Reconnecting…");
  assert.equal(statusText("offline", null, 0), "Offline — changes by others will appear when you're back");
  assert.equal(statusText("offline", null, 2, "message"), "Offline — 2 messages will be sent when you're back");
  assert.equal(statusText("offline", null, 1, "message"), "Offline — 1 message will be sent when you're back");
  assert.equal(statusText("reconnecting", 900, 1, "change"), "Reconnecting in 1 s… 1 change waiting to be sent");
});
