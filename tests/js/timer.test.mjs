import assert from "node:assert/strict";
import test from "node:test";

import { Backoff } from "../../static/js/backoff.js";
import { RetryTimer } from "../../static/js/socket/timer.js";
import { FakeClock } from "./fakes.mjs";

function timer() {
  const clock = new FakeClock();
  let runs = 0;
  const retry = new RetryTimer({
    callback: () => { runs += 1; },
    backoff: new Backoff({ base: 500, cap: 30000, floor: 100, random: () => 0.5 }),
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
  });
  return { retry, clock, runs: () => runs };
}

test("waits grow with the backoff, and reset starts them over", () => {
  const { retry } = timer();
  assert.deepEqual([retry.schedule(), retry.schedule(), retry.schedule()], [250, 500, 1000]);
  assert.equal(retry.schedule({ cap: 800 }), 400); // a lower ceiling for this one wait
  retry.reset();
  assert.equal(retry.schedule(), 250);
});

test("one retry is pending at a time, it runs once when due, and cancel stops it", async () => {
  const { retry, clock, runs } = timer();
  retry.schedule({ delay: 1000 });
  retry.schedule({ delay: 3000 }); // replaces the first
  await clock.advance(1000);
  assert.equal(runs(), 0);
  assert.equal(retry.scheduled, true);
  await clock.advance(2000);
  assert.equal(runs(), 1);
  assert.equal(retry.scheduled, false);
  retry.schedule({ delay: 10 });
  retry.cancel();
  await clock.advance(1000);
  assert.equal(runs(), 1);
});
