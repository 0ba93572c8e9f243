import assert from "node:assert/strict";
import test from "node:test";

import { clockText, dateTimeText, dayKey, dayLabel } from "../../static/js/times.js";

const at = new Date("2026-11-25T22:08:00Z");

test("a clock time is shown in the viewer's time zone, not UTC", () => {
  assert.equal(clockText(at, { locale: "en-US", timeZone: "America/New_York" }), "5:08 PM");
  assert.equal(clockText(at, { locale: "en-GB", timeZone: "Europe/Berlin" }), "23:08");
  assert.equal(dateTimeText(at, { locale: "en-GB", timeZone: "Asia/Tokyo" }), "26 Nov 2026, 07:08");
});

test("the day a message falls on is the viewer's day", () => {
  assert.equal(dayKey(at, { timeZone: "UTC" }), "2026-11-25");
  assert.equal(dayKey(at, { timeZone: "Asia/Tokyo" }), "2026-11-26");
  assert.equal(dayKey(at, { timeZone: "America/Los_Angeles" }), "2026-11-25");
});

test("day separators say Today and Yesterday, then the full date", () => {
  const now = new Date("2026-11-26T15:00:00Z");
  const options = { now, locale: "en-US", timeZone: "America/New_York" };
  assert.equal(dayLabel(new Date("2026-11-26T14:00:00Z"), options), "Today");
  assert.equal(dayLabel(at, options), "Yesterday");
  assert.equal(dayLabel(new Date("2026-11-20T12:00:00Z"), options), "Friday, November 20, 2026");
  // just after midnight in Tokyo, a message from 23:30 Tokyo time is yesterday's there
  const tokyo = { now: new Date("2026-11-26T15:10:00Z"), locale: "en-US", timeZone: "Asia/Tokyo" };
  assert.equal(dayLabel(new Date("2026-11-26T14:30:00Z"), tokyo), "Yesterday");
});
