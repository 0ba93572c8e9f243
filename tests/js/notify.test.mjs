import assert from "node:assert/strict";
import test from "node:test";

import { messagePath, Notifier, plainText, remember, shouldNotify, titleWithCount } from "../../static/js/notify.js";
import { FakeClock, FakeLocks, MemoryStorage } from "./fakes.mjs";

test("the level decides: all tells of every message, mentions of those that name the person, none of nothing", () => {
  assert.equal(shouldNotify("all", false), true);
  assert.equal(shouldNotify("mentions", false), false);
  assert.equal(shouldNotify("mentions", true), true);
  assert.equal(shouldNotify("none", true), false);
});

test("the title starts with the count, once", () => {
  assert.equal(titleWithCount("#general · Team", 3), "(3) #general · Team");
  assert.equal(titleWithCount("(3) #general · Team", 4), "(4) #general · Team");
  assert.equal(titleWithCount("(4) #general · Team", 0), "#general · Team");
});

test("claims are kept for the newest messages only", () => {
  let claimed = [];
  for (let id = 1; id <= 250; id += 1) claimed = remember(claimed, id);
  assert.equal(claimed.length, 200);
  assert.equal(claimed[0], 51);
});

test("a click goes to the message: a hash on its own channel's page, else its channel's page", () => {
  assert.equal(messagePath(1, { id: 9, channel_id: 4 }, 4), "#message-9");
  assert.equal(messagePath(1, { id: 9, channel_id: 5 }, 4), "/w/1/c/5#message-9");
  assert.equal(plainText("a\n\nb  c"), "a b c");
  assert.equal(plainText("x".repeat(300)).length, 180);
});

class FakeSocket {
  constructor() {
    this.listeners = new Map();
  }
  on(type, fn) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
    return this;
  }
  emit(frame) {
    for (const fn of this.listeners.get(frame.type) ?? []) fn(frame);
  }
}

function tab({ storage, locks, hidden = true, levels = { 4: "mentions", 5: "all" } }) {
  const shown = [];
  class FakeNotification {
    static permission = "granted";
    constructor(title, options) {
      shown.push({ title, ...options, self: this });
    }
    close() {}
  }
  const documentRef = { hidden, title: "#general · Team", addEventListener: (type, fn) => { documentRef.onvisible = fn; } };
  const clock = new FakeClock();
  const socket = new FakeSocket();
  const went = [];
  const notifier = new Notifier({
    socket, userId: 7, workspaceId: 1, currentChannel: 4, documentRef, storage, locks, NotificationApi: FakeNotification,
    levelOf: (id) => levels[id] ?? "mentions", nameOf: (id) => `#c${id}`, setTimeout: clock.setTimeout,
    focusWindow: () => went.push("focus"), goTo: (path) => went.push(path),
  });
  return { notifier, shown, socket, clock, documentRef, went };
}

const message = (id, channel, extra = {}) => ({ id, channel_id: channel, author: { id: 2, display_name: "Ada" }, body: "hello", mentions: [], ...extra });
const created = (m) => ({ type: "event", topic: `chat:${m.channel_id}`, event: "message.created", data: m });

test("a hidden tab tells of what matches the level, counts it in the title, and a click goes to it", async () => {
  const t = tab({ storage: new MemoryStorage(), locks: new FakeLocks() });
  t.socket.emit(created(message(1, 4))); // mentions only: not this one
  t.socket.emit(created(message(2, 5))); // all
  t.socket.emit(created(message(3, 4, { mentions: [7] })));
  t.socket.emit({ type: "mention", topic: "chat:4", message: message(3, 4, { mentions: [7] }) }); // the same, once
  t.socket.emit(created(message(4, 5, { author: { id: 7 } }))); // one's own
  await t.clock.advance(400);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(t.shown.map((n) => n.title), ["Ada in #c5", "Ada in #c4"]);
  assert.equal(t.documentRef.title, "(2) #general · Team");
  t.shown[1].self.onclick();
  assert.deepEqual(t.went, ["focus", "#message-3"]);
  t.documentRef.hidden = false;
  t.documentRef.onvisible();
  assert.equal(t.documentRef.title, "#general · Team");
});

test("with several tabs one notification per message: a visible tab claims it, else the first hidden one", async () => {
  const storage = new MemoryStorage();
  const locks = new FakeLocks();
  const seen = tab({ storage, locks, hidden: false });
  const a = tab({ storage, locks });
  const b = tab({ storage, locks });
  for (const t of [seen, a, b]) t.socket.emit(created(message(10, 5)));
  for (const t of [a, b]) t.socket.emit(created(message(11, 5)));
  for (const t of [seen, a, b]) await t.clock.advance(400);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(seen.shown.length, 0);
  assert.deepEqual([...a.shown, ...b.shown].map((n) => n.tag), ["hearth-message-11"]);
});

test("tabs whose localStorage has not caught up with each other still show a message once: the lock decides", async () => {
  const locks = new FakeLocks();
  const tabs = [tab({ storage: new MemoryStorage(), locks }), tab({ storage: new MemoryStorage(), locks })];
  for (const t of tabs) t.socket.emit(created(message(12, 5)));
  for (const t of tabs) await t.clock.advance(400);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(tabs.flatMap((t) => t.shown).map((n) => n.tag), ["hearth-message-12"]);
});
