import assert from "node:assert/strict";
import test from "node:test";

import { statusText } from "../../static/js/status.js";

test("the status reads as a person expects", () => {
  assert.equal(statusText("open"), "Live");
  assert.equal(statusText("connecting"), "Connecting…");
  assert.equal(statusText("reconnecting", 3200), "Reconnecting in 4 s…");
  assert.equal(statusText("reconnecting", null), "Reconnecting…");
  assert.equal(statusText("offline", null, 2), "Offline — messages will be sent when you're back");
});
