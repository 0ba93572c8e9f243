import assert from "node:assert/strict";
import { test } from "node:test";
import { addDays, dueState, dueText, filterChoices, labelColour, matches, weekOf } from "../../static/js/board_filters.js";

test("a label's colour depends on its text only, as the server derives it", () => {
  assert.equal(labelColour("bug"), labelColour("bug"));
  // the same sums as hearth/workspaces/boards.py label_colour: tests/workspaces/test_board_planning.py checks these
  assert.equal(labelColour("bug"), 4);
  assert.equal(labelColour("ux"), 3);
  assert.equal(labelColour("é"), 1);
  assert.ok([..."abcdefghij"].every((l) => labelColour(l) >= 0 && labelColour(l) < 8));
});

test("due dates are overdue before today and due soon for three days, in the viewer's days", () => {
  assert.equal(dueState("2026-12-06", "2026-12-07"), "overdue");
  assert.equal(dueState("2026-12-07", "2026-12-07"), "soon");
  assert.equal(dueState("2026-12-09", "2026-12-07"), "soon");
  assert.equal(dueState("2026-12-10", "2026-12-07"), null);
  assert.equal(dueState(null, "2026-12-07"), null);
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(dueText("2026-12-24", "2026-12-07", { locale: "en-GB" }), "24 Dec");
  assert.equal(dueText("2027-01-05", "2026-12-07", { locale: "en-GB" }), "5 Jan 2027");
});

test("this week runs Monday to Sunday", () => {
  assert.deepEqual(weekOf("2026-12-07"), { first: "2026-12-07", last: "2026-12-13" }); // a Monday
  assert.deepEqual(weekOf("2026-12-13"), { first: "2026-12-07", last: "2026-12-13" }); // a Sunday
});

test("the filters keep the cards of an assignee, a label and this week", () => {
  const ada = { id: 1, display_name: "Ada" };
  const bo = { id: 2, display_name: "Bo" };
  const card = { assignees: [ada], labels: ["bug"], due_on: "2026-12-10" };
  const context = { userId: 1, todayKey: "2026-12-07" };
  assert.ok(matches(card, {}, context));
  assert.ok(matches(card, { assignee: "me" }, context));
  assert.ok(!matches(card, { assignee: "me" }, { ...context, userId: 2 }));
  assert.ok(matches(card, { assignee: "1" }, context) && !matches(card, { assignee: "2" }, context));
  assert.ok(!matches(card, { assignee: "none" }, context) && matches({}, { assignee: "none" }, context));
  assert.ok(matches(card, { label: "bug" }, context) && !matches(card, { label: "ux" }, context));
  assert.ok(matches(card, { dueThisWeek: true }, context));
  assert.ok(!matches({ ...card, due_on: "2026-12-14" }, { dueThisWeek: true }, context));
  assert.ok(!matches({ ...card, due_on: null }, { dueThisWeek: true }, context));
  const choices = filterChoices([card, { assignees: [bo, ada], labels: ["ux", "bug"] }]);
  assert.deepEqual(choices.labels, ["bug", "ux"]);
  assert.deepEqual(choices.people.map((p) => p.id), [1, 2]);
});
