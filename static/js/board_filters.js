/**
 * What a card on a board looks like and whether the board's filters show it, decided on plain data:
 * a label's colour (derived from its text, as hearth/workspaces/boards.py label_colour does), a due
 * date's state in the viewer's own time zone, and the filters by assignee, label and "due this week".
 */
import { dayKey } from "./times.js";

export const LABEL_COLOURS = 8;

/** The palette index of a label: the same text has the same colour for everyone, on every page. */
export function labelColour(label) {
  let value = 0;
  for (const char of String(label)) value = (Math.imul(value, 31) + char.codePointAt(0)) >>> 0;
  return value % LABEL_COLOURS;
}

/** "2026-12-24" moved by `days` days (calendar arithmetic, no time zone involved). */
export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The viewer's today, as "2026-12-07", in their time zone. */
export function today({ now = new Date(), timeZone } = {}) {
  return dayKey(now, { timeZone });
}

/** "overdue" before today, "soon" today and the two days after, else null. */
export function dueState(dueOn, todayKey) {
  if (!dueOn) return null;
  if (dueOn < todayKey) return "overdue";
  if (dueOn <= addDays(todayKey, 2)) return "soon";
  return null;
}

/** Monday and Sunday of the week holding `todayKey`. */
export function weekOf(todayKey) {
  const weekday = (new Date(`${todayKey}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0
  const monday = addDays(todayKey, -weekday);
  return { first: monday, last: addDays(monday, 6) };
}

/** "24 Dec" (or "24 Dec 2027" in another year) in the viewer's locale: the date itself, never shifted by a zone. */
export function dueText(dueOn, todayKey, { locale } = {}) {
  const date = new Date(`${dueOn}T00:00:00Z`);
  const options = { day: "numeric", month: "short", timeZone: "UTC" };
  if (dueOn.slice(0, 4) !== todayKey.slice(0, 4)) options.year = "numeric";
  return new Intl.DateTimeFormat(locale, options).format(date);
}

/**
 * Whether a card shows under the filters: `assignee` "" (anyone), "me", "none" or a user id;
 * `label` "" or one label; `dueThisWeek` true for cards due Monday to Sunday of this week.
 */
export function matches(card, { assignee = "", label = "", dueThisWeek = false } = {}, { userId, todayKey }) {
  const ids = (card.assignees ?? []).map((user) => String(user.id));
  if (assignee === "me" && !ids.includes(String(userId))) return false;
  if (assignee === "none" && ids.length) return false;
  if (assignee && !["me", "none"].includes(assignee) && !ids.includes(assignee)) return false;
  if (label && !(card.labels ?? []).includes(label)) return false;
  if (dueThisWeek) {
    const { first, last } = weekOf(todayKey);
    if (!card.due_on || card.due_on < first || card.due_on > last) return false;
  }
  return true;
}

/** The labels and the people on a board's cards, each once, sorted for the filters' menus. */
export function filterChoices(cards) {
  const labels = new Set();
  const people = new Map();
  for (const card of cards) {
    for (const label of card.labels ?? []) labels.add(label);
    for (const user of card.assignees ?? []) people.set(user.id, user);
  }
  return {
    labels: [...labels].sort((a, b) => a.localeCompare(b)),
    people: [...people.values()].sort((a, b) => a.display_name.localeCompare(b.display_name)),
  };
}
