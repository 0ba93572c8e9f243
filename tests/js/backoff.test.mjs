import assert from "node:assert/strict";
import test from "node:test";

import { Backoff } from "../../static/js/backoff.js";

test("the ceiling doubles from the base up to the cap", () => {
  const backoff = new Backoff({ base: 500, cap: 30000, floor: 0, random: () => 0.999999 });
  const delays = Array.from({ length: 9 }, () => backoff.next());
  assert.deepEqual(delays, [499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
});

test("full jitter: every delay lies between the floor and the ceiling", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const backoff = new Backoff({ base: 500, cap: 30000, floor: 100, random });
  for (let attempt = 0; attempt < 50; attempt++) {
    const delay = backoff.next();
    assert.ok(delay >= 100 && delay <= Math.min(30000, 500 * 2 ** attempt), `${attempt}: ${delay}`);
  }
});

test("reset starts over from the base", () => {
  const backoff = new Backoff({ base: 500, floor: 0, random: () => 0.999999 });
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.next(), 499);
});
