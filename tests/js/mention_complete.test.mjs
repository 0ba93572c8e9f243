import assert from "node:assert/strict";
import test from "node:test";

import { parseHTML } from "linkedom";

import { insertMention, MentionComplete, mentionQuery, suggestions } from "../../static/js/chat/mention_complete.js";

const people = [
  { id: 1, username: "ada", display_name: "Ada Lovelace" },
  { id: 2, username: "grace", display_name: "Grace Hopper" },
  { id: 3, username: "alan", display_name: "Alan Turing" },
  { id: 7, username: "me", display_name: "Me Myself" },
];

test("the @name being typed at the caret, and not an address", () => {
  assert.deepEqual(mentionQuery("hi @ad", 6), { start: 3, text: "ad", end: 6 });
  assert.deepEqual(mentionQuery("@", 1), { start: 0, text: "", end: 1 });
  assert.equal(mentionQuery("mail a@b", 8), null);
  assert.equal(mentionQuery("hi @ad there", 12), null);
  assert.deepEqual(mentionQuery("hi @ad there", 6), { start: 3, text: "ad", end: 6 });
});

test("suggestions start with what was typed (by username or a word of the name), not oneself, @channel too", () => {
  assert.deepEqual(suggestions(people, "a", 7).map((p) => p.username), ["ada", "alan", "grace", "channel"]);
  assert.deepEqual(suggestions(people, "hop", 7).map((p) => p.username), ["grace"]);
  assert.deepEqual(suggestions(people, "ch", 7).map((p) => p.username), ["channel"]);
  assert.ok(!suggestions(people, "m", 7).some((p) => p.id === 7));
});

test("a choice replaces the typed part and leaves the caret after it", () => {
  const query = mentionQuery("hi @gr and", 6);
  assert.deepEqual(insertMention("hi @gr and", query, "grace"), { text: "hi @grace and", caret: 10 });
});

function composer() {
  const { document } = parseHTML('<textarea id="f"></textarea><ul id="l" hidden></ul>');
  const field = document.getElementById("f");
  const list = document.getElementById("l");
  let caret = 0;
  Object.defineProperty(field, "selectionStart", { get: () => caret });
  field.setSelectionRange = (at) => { caret = at; };
  field.focus = () => {};
  const type = async (text) => {
    field.value = text;
    caret = text.length;
    await complete.update();
  };
  const complete = new MentionComplete({ field, list, loadPeople: async () => people, userId: 7, documentRef: document });
  const key = (name) => {
    const event = { key: name, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; }, stopImmediatePropagation() {} };
    complete.onKey(event);
    return event;
  };
  return { field, list, type, key, complete };
}

test("keys move through the list and Enter puts the name in (and does not send)", async () => {
  const c = composer();
  await c.type("hey @a");
  assert.equal(c.list.hidden, false);
  assert.deepEqual([...c.list.querySelectorAll("[role=option]")].map((o) => o.dataset.username), ["ada", "alan", "grace", "channel"]);
  c.key("ArrowDown");
  assert.equal(c.list.querySelector("[aria-selected=true]").dataset.username, "alan");
  assert.equal(c.key("Enter").defaultPrevented, true);
  assert.equal(c.field.value, "hey @alan ");
  assert.equal(c.list.hidden, true);
  assert.equal(c.key("Enter").defaultPrevented, false); // closed: Enter sends as before
});

test("Escape closes; a click picks", async () => {
  const c = composer();
  await c.type("@gr");
  c.key("Escape");
  assert.equal(c.list.hidden, true);
  await c.type("@gr");
  c.complete.pick("grace");
  assert.equal(c.field.value, "@grace ");
});
