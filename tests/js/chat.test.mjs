import assert from "node:assert/strict";
import test from "node:test";

import { parseHTML } from "linkedom";

import { Chat } from "../../static/js/chat/chat.js";
import { newMessage, sendsOnKey } from "../../static/js/chat/composer.js";
import { editProblem } from "../../static/js/chat/message_editor.js";
import { insertionIndex, messageView } from "../../static/js/chat/message_list.js";
import { movedIndex } from "../../static/js/chat/reaction_picker.js";
import { MemoryStorage, settle, socketSetup } from "./fakes.mjs";

// What templates/pages/chat.html renders through templates/pages/_message.html: one stored
// message of Bo's, one of Ada's (the viewer, id 1), and the template live messages are cloned from.
const chip = (emoji, count, me) =>
  `<button type="button" class="reaction" data-reaction="${emoji}" aria-pressed="${me}" aria-label="${emoji} ${count}"><span class="emoji" aria-hidden="true">${emoji}</span> <span class="count" aria-hidden="true">${count}</span></button>`;
const parts = (author, datetime, clock, body, { edited = false, own = false, reactions = [], replies = 0 } = {}) => `
      <span class="avatar" aria-hidden="true">${author ? author[0] : ""}</span>
      <span class="author">${author}</span>
      <time class="muted" datetime="${datetime}" data-format="clock">${clock}</time>${edited ? '<span class="edited muted"> (edited)</span>' : ""}
      <div class="body">${body}</div>
      <div class="reactions">${reactions.map((r) => chip(r.emoji, r.count, r.me)).join("")}</div>
      ${replies ? `<div class="thread-summary"><button type="button" class="link-button" data-action="thread"><span class="reply-count">${replies} replies</span> · <span class="muted">last reply <time class="last-reply" datetime="" data-format="clock"></time></span></button></div>` : ""}
      <div class="actions" hidden><button type="button" data-action="react" aria-haspopup="true" aria-label="Add a reaction">☺︎+</button><button type="button" data-action="reply">Reply</button>${own ? '<button type="button" data-action="edit">Edit</button><button type="button" data-action="delete">Delete</button>' : ""}</div>`;

const PAGE = `<!doctype html><html><body>
<section class="card chat" data-channel-id="3" data-workspace-id="1" data-seq="11" data-user-name="Ada" data-user-id="1" data-read-seq="11">
  <div class="message-scroller">
  <ol id="messages" class="messages">
    <li class="day" data-day="2026-11-25"><span>Wednesday</span></li>
    <li id="message-20" data-message-id="20" data-seq="10" data-author-id="2">${parts("Bo", "2026-11-25T09:00:00+00:00", "09:00", "morning")}</li>
    <li id="message-21" data-message-id="21" data-seq="11" data-author-id="1">${parts("Ada", "2026-11-25T09:01:00+00:00", "09:01", "hi Bo", { own: true })}</li>
  </ol>
  </div>
  <template id="message-template">
    <li>${parts("", "", "", "", { edited: true, own: true, reactions: [{ emoji: "", count: 0, me: false }], replies: 1 })}
    </li>
  </template>
  <div id="reaction-picker" class="reaction-picker" role="menu" aria-label="Reactions" hidden>${["👍", "🎉", "👀"].map((e) => `<button type="button" role="menuitem" tabindex="-1" data-emoji="${e}">${e}</button>`).join("")}</div>
  <p id="typing" class="typing muted"></p>
  <form id="composer"><textarea name="body"></textarea><button type="submit">Send</button></form>
  <aside id="thread" class="thread-panel" aria-labelledby="thread-title" hidden>
    <div class="thread-head"><h2 id="thread-title">Thread</h2><button type="button" class="secondary" data-action="close-thread">Close</button></div>
    <ol id="thread-messages" class="messages"></ol>
    <form id="thread-composer"><textarea name="body"></textarea><button type="submit">Reply</button></form>
  </aside>
</section></body></html>`;

function chatPage({ storage = new MemoryStorage(), older = [], replies = [] } = {}) {
  const { document, window } = parseHTML(PAGE);
  window.HTMLElement.prototype.scrollIntoView ??= () => {};
  let focused = null; // linkedom keeps no focus: the page's focus() calls are where it would be
  window.HTMLElement.prototype.focus = function focus() {
    focused = this;
  };
  Object.defineProperty(document, "activeElement", { get: () => focused });
  window.HTMLFormElement.prototype.requestSubmit ??= function requestSubmit() {
    this.dispatchEvent(new window.Event("submit", { cancelable: true }));
  };
  Object.defineProperty(document, "visibilityState", { value: "hidden" }); // no read markers posted
  const { socket, sockets } = socketSetup();
  const requests = [];
  const http = { json: async (path) => { requests.push(path); return path.includes("/replies") ? replies : older; } };
  let ids = 0;
  const chat = new Chat({
    root: document.querySelector(".chat"),
    socket,
    http,
    documentRef: document,
    newId: () => `c-${++ids}`,
    ask: () => true,
    storage,
  });
  socket.connect();
  sockets[0].open();
  const server = sockets[0];
  const ids_shown = () => [...document.querySelectorAll("#messages > li[data-author-id]")].map((li) => li.id || `pending:${li.dataset.clientId}`);
  return { document, window, chat, server, requests, storage, shown: ids_shown };
}

const created = (seq, message) => ({ type: "event", topic: "chat:3", seq, event: "message.created", data: { seq, ...message } });
const bo = { id: 2, display_name: "Bo" };
const ada = { id: 1, display_name: "Ada" };

test("a message from someone else arrives like a server-rendered one: cloned from the template, with id and data-seq", () => {
  const { document, server, shown } = chatPage();
  assert.deepEqual(server.sent[0], { type: "subscribe", topic: "chat:3", since: 11, ref: "sub:chat:3" });
  server.receive(created(12, { id: 22, body: "lunch?", author: bo, created_at: "2026-11-25T12:00:00Z", edited_at: null }));
  const item = document.getElementById("message-22");
  assert.equal(item.dataset.seq, "12");
  assert.equal(item.dataset.messageId, "22");
  assert.equal(item.dataset.authorId, "2");
  assert.equal(item.querySelector(".author").textContent, "Bo");
  assert.equal(item.querySelector(".body").textContent, "lunch?");
  assert.equal(item.querySelector("time").getAttribute("datetime"), "2026-11-25T12:00:00.000Z");
  assert.equal(item.querySelector("time").dataset.format, "clock");
  assert.equal(item.querySelector(".edited"), null); // not edited
  assert.equal(item.querySelector("[data-action=edit], [data-action=delete]"), null); // not ours
  assert.ok(item.querySelector("[data-action=reply]") && item.querySelector("[data-action=react]")); // anyone's
  assert.deepEqual(shown(), ["message-20", "message-21", "message-22"]);
  // the server-rendered own message's actions were switched on
  assert.equal(document.querySelector("#message-21 .actions").hidden, false);
});

test("messages stay in seq order whatever order they reach the page in, and each is shown once", () => {
  const { server, chat, shown } = chatPage();
  server.receive(created(15, { id: 25, body: "later", author: bo, created_at: "2026-11-25T12:05:00Z" }));
  server.receive(created(13, { id: 23, body: "earlier", author: bo, created_at: "2026-11-25T12:01:00Z" }));
  server.receive(created(13, { id: 23, body: "earlier", author: bo, created_at: "2026-11-25T12:01:00Z" })); // a replay
  chat.messages.addOlder([
    { id: 18, seq: 8, body: "older", author: bo, created_at: "2026-11-25T08:00:00Z" },
    { id: 19, seq: 9, body: "old", author: ada, created_at: "2026-11-25T08:30:00Z" },
  ]);
  assert.deepEqual(shown(), ["message-18", "message-19", "message-20", "message-21", "message-23", "message-25"]);
});

test("older history loads from the oldest message shown, above it, under one day separator", async () => {
  const older = [{ id: 19, seq: 9, body: "old", author: bo, created_at: "2026-11-25T08:30:00Z" }];
  const { document, chat, requests, shown } = chatPage({ older });
  await chat.loadOlder();
  assert.deepEqual(requests, ["/api/channels/3/messages?before=20&limit=50"]);
  assert.deepEqual(shown(), ["message-19", "message-20", "message-21"]);
  assert.equal(document.querySelectorAll("#messages > li.day").length, 1);
  assert.equal(document.querySelector("#messages > li").className, "day");
});

test("an edit from anyone replaces the text and marks it edited; a deletion takes the message out", () => {
  const { document, server, shown } = chatPage();
  server.receive({
    type: "event", topic: "chat:3", seq: 12, event: "message.updated",
    data: { id: 20, seq: 10, body: "good morning", author: bo, created_at: "2026-11-25T09:00:00Z", edited_at: "2026-11-25T09:05:00Z" },
  });
  const item = document.getElementById("message-20");
  assert.equal(item.querySelector(".body").textContent, "good morning");
  assert.equal(item.querySelector(".edited").textContent, " (edited)");
  assert.match(item.querySelector(".edited").title, /^Edited /);
  server.receive({ type: "event", topic: "chat:3", seq: 13, event: "message.deleted", data: { id: 20, channel_id: 3 } });
  assert.deepEqual(shown(), ["message-21"]);
  server.receive({ type: "event", topic: "chat:3", seq: 14, event: "message.deleted", data: { id: 21, channel_id: 3 } });
  assert.equal(document.querySelectorAll("#messages > li").length, 0); // its day separator went with it
});

test("a sent message shows pending at the end, then takes the id and seq of its ack", async () => {
  const { document, window, server, shown, storage } = chatPage();
  const field = document.querySelector("#composer-body, [name=body]");
  field.value = "  see you at 10  ";
  field.dispatchEvent(new window.Event("input"));
  assert.match(storage.getItem("hearth:1:chat:3:draft"), /see you at 10/);
  field.dispatchEvent(Object.assign(new window.Event("keydown", { cancelable: true }), { key: "Enter", shiftKey: false }));
  assert.equal(field.value, "");
  assert.equal(storage.getItem("hearth:1:chat:3:draft"), null);
  const pending = document.querySelector("[data-client-id=c-1]");
  assert.equal(pending.dataset.pending, "");
  assert.equal(pending.querySelector(".body").textContent, "see you at 10");
  assert.equal(pending.querySelector(".actions").hidden, false);
  assert.deepEqual(shown(), ["message-20", "message-21", "pending:c-1"]);
  assert.deepEqual(server.sent.at(-1), { type: "publish", topic: "chat:3", ref: "c-1", data: { body: "see you at 10", client_id: "c-1" } });
  assert.match(storage.getItem("hearth:1:chat:3:unsent"), /c-1/); // kept until acked
  server.receive(created(12, { id: 22, body: "from Bo meanwhile", author: bo, created_at: "2026-11-25T12:00:00Z" }));
  assert.deepEqual(shown(), ["message-20", "message-21", "pending:c-1", "message-22"]); // ours stays where it was written
  server.receive({ type: "ack", ref: "c-1", id: 23, seq: 13 });
  await settle();
  assert.equal(pending.id, "message-23");
  assert.equal(pending.dataset.seq, "13");
  assert.equal(pending.dataset.pending, undefined);
  assert.equal(storage.getItem("hearth:1:chat:3:unsent"), null);
  server.receive(created(13, { id: 23, client_id: "c-1", body: "see you at 10", author: ada, created_at: "2026-11-25T12:01:00Z" }));
  assert.equal(document.querySelectorAll("#message-23").length, 1); // its own event does not show it twice
});

test("Shift+Enter and blank text send nothing", () => {
  const { document, window, server } = chatPage();
  const field = document.querySelector("[name=body]");
  const before = server.sent.length;
  field.value = "two\nlines";
  field.dispatchEvent(Object.assign(new window.Event("keydown", { cancelable: true }), { key: "Enter", shiftKey: true }));
  field.value = "   ";
  field.dispatchEvent(Object.assign(new window.Event("keydown", { cancelable: true }), { key: "Enter", shiftKey: false }));
  assert.equal(server.sent.length, before);
});

test("a refused message stays with its reason and a retry that sends it again", async () => {
  const { document, server } = chatPage();
  const field = document.querySelector("[name=body]");
  field.value = "too fast";
  document.querySelector("#composer").dispatchEvent(new document.defaultView.Event("submit", { cancelable: true }));
  server.receive({ type: "error", ref: "c-1", code: "invalid", message: "slow down" });
  await settle();
  const item = document.querySelector("[data-client-id=c-1]");
  assert.ok(item.classList.contains("failed"));
  assert.equal(item.querySelector(".refusal .error-note").textContent, "Not sent: slow down");
  item.querySelector(".refusal button").dispatchEvent(new document.defaultView.Event("click"));
  assert.equal(item.dataset.pending, "");
  assert.equal(item.querySelector(".refusal"), null);
  assert.equal(server.sent.filter((f) => f.ref === "c-1").length, 2);
});

test("an author edits in place: an empty edit is refused here, a saved one shows the server's copy", async () => {
  const { document, window, server } = chatPage();
  const item = document.getElementById("message-21");
  item.querySelector("button[data-action=edit]").dispatchEvent(new window.Event("click", { bubbles: true }));
  const form = item.querySelector(".edit-form");
  assert.equal(form.querySelector("textarea").value, "hi Bo");
  assert.equal(item.querySelector(".body").hidden, true);
  form.querySelector("textarea").value = "  ";
  form.dispatchEvent(new window.Event("submit", { cancelable: true }));
  assert.equal(form.querySelector(".error-note").textContent, "A message cannot be empty: use Delete to remove it.");
  form.querySelector("textarea").value = "hi Bo!";
  form.dispatchEvent(new window.Event("submit", { cancelable: true }));
  const publish = server.sent.at(-1);
  assert.deepEqual(publish.data, { op: "message.update", message_id: 21, body: "hi Bo!" });
  server.receive({ type: "ack", ref: publish.ref, id: 21, seq: 12, message: { id: 21, seq: 11, body: "hi Bo!", author: ada, created_at: "2026-11-25T09:01:00Z", edited_at: "2026-11-25T09:02:00Z" } });
  await settle();
  assert.equal(item.querySelector(".edit-form"), null);
  assert.equal(item.querySelector(".body").textContent, "hi Bo!");
  assert.equal(item.querySelector(".body").hidden, false);
  assert.ok(item.querySelector(".edited"));
});

test("a deletion greys the message until the server agrees, then takes it out", async () => {
  const { document, window, server, shown } = chatPage();
  const item = document.getElementById("message-21");
  item.querySelector("button[data-action=delete]").dispatchEvent(new window.Event("click", { bubbles: true }));
  await settle(); // the answer to "Delete this message?" may come later (the page's dialog)
  assert.equal(item.dataset.pending, "");
  const publish = server.sent.at(-1);
  assert.deepEqual(publish.data, { op: "message.delete", message_id: 21 });
  item.querySelector("button[data-action=delete]").dispatchEvent(new window.Event("click", { bubbles: true })); // ignored while pending
  await settle();
  assert.equal(server.sent.filter((f) => f.type === "publish").length, 1);
  server.receive({ type: "ack", ref: publish.ref, id: 21, seq: 12 });
  await settle();
  assert.deepEqual(shown(), ["message-20"]);
});

test("the list's and the composer's decisions on plain data", () => {
  assert.equal(insertionIndex([10, 11, null], 12), 3);
  assert.equal(insertionIndex([10, 12, null], 11), 1);
  assert.equal(insertionIndex([10, 12], 5), 0);
  assert.equal(insertionIndex([10, 12], null), 2); // ours, not yet stored: at the end
  const view = messageView({ id: 4, seq: 9, body: "b", author: { id: 1, display_name: "Ada" }, created_at: "2026-11-25T09:00:00Z", edited_at: null }, 1);
  assert.deepEqual([view.id, view.seq, view.own, view.edited, view.authorId], [4, 9, true, false, "1"]);
  assert.equal(messageView({ body: "b", author: { id: 2 } }, 1).own, false);
  assert.equal(newMessage("   ", { clientId: "c", now: new Date(0) }), null);
  assert.deepEqual(newMessage(" hi ", { clientId: "c", now: new Date(0) }), { client_id: "c", body: "hi", created_at: "1970-01-01T00:00:00.000Z" });
  assert.equal(sendsOnKey({ key: "Enter", shiftKey: false }), true);
  assert.equal(sendsOnKey({ key: "Enter", shiftKey: true }), false);
  assert.equal(editProblem(" x "), null);
  assert.match(editProblem(" \n "), /cannot be empty/);
});

test("a message shows the server's html, and reactions as chips pressed where one is the viewer's", () => {
  const { document, server } = chatPage();
  const reactions = [
    { emoji: "👍", count: 2, user_ids: [2, 1] },
    { emoji: "🎉", count: 1, user_ids: [2] },
  ];
  server.receive(created(12, { id: 22, body: "**hi**", html: "<p><strong>hi</strong></p>", author: bo, created_at: "2026-11-25T12:00:00Z", reactions }));
  const item = document.getElementById("message-22");
  assert.equal(item.querySelector(".body strong").textContent, "hi");
  const chips = [...item.querySelectorAll("[data-reaction]")];
  assert.deepEqual(chips.map((c) => [c.dataset.reaction, c.querySelector(".count").textContent, c.getAttribute("aria-pressed")]), [
    ["👍", "2", "true"],
    ["🎉", "1", "false"],
  ]);
  chips[0].click();
  const sent = server.sent.at(-1);
  assert.deepEqual(sent.data, { op: "message.unreact", message_id: 22, emoji: "👍" });
  chips[1].click();
  assert.deepEqual(server.sent.at(-1).data, { op: "message.react", message_id: 22, emoji: "🎉" });
});

test("a body that reached the page without html is text, never markup", () => {
  const { document, server } = chatPage();
  server.receive(created(12, { id: 22, body: "<img src=x onerror=alert(1)>", author: bo, created_at: "2026-11-25T12:00:00Z" }));
  const body = document.querySelector("#message-22 .body");
  assert.equal(body.querySelector("img"), null);
  assert.equal(body.textContent, "<img src=x onerror=alert(1)>");
});

test("a reply stays out of the channel's list; its parent's new counts show under the parent", () => {
  const { document, server, chat, shown } = chatPage();
  const replies = [];
  chat.onReply = (message) => replies.push(message.id);
  server.receive(created(12, { id: 23, body: "in thread", parent_id: 20, author: bo, created_at: "2026-11-25T12:00:00Z" }));
  assert.deepEqual(shown(), ["message-20", "message-21"]);
  assert.deepEqual(replies, [23]);
  const parent = { id: 20, seq: 10, body: "morning", html: "<p>morning</p>", author: bo, created_at: "2026-11-25T09:00:00Z", reply_count: 2, last_reply_at: "2026-11-25T12:00:00Z" };
  server.receive({ type: "event", topic: "chat:3", seq: 13, event: "message.updated", data: parent });
  assert.equal(document.querySelector("#message-20 .reply-count").textContent, "2 replies");
  assert.equal(document.querySelector("#message-20 .last-reply").getAttribute("datetime"), "2026-11-25T12:00:00.000Z");
});

const key = (window, target, name) => target.dispatchEvent(Object.assign(new window.Event("keydown", { bubbles: true, cancelable: true }), { key: name, shiftKey: false }));

test("the reaction picker opens on the first emoji, arrow keys move, Enter's click picks, Escape gives focus back", () => {
  const { document, window, server } = chatPage();
  const opener = document.querySelector("#message-20 [data-action=react]");
  opener.click();
  const menu = document.getElementById("reaction-picker");
  assert.equal(menu.hidden, false);
  assert.equal(opener.getAttribute("aria-expanded"), "true");
  assert.equal(document.activeElement.dataset.emoji, "👍");
  key(window, document.activeElement, "ArrowRight");
  assert.equal(document.activeElement.dataset.emoji, "🎉");
  key(window, document.activeElement, "Escape");
  assert.equal(menu.hidden, true);
  assert.equal(document.activeElement, opener);
  opener.click();
  key(window, document.activeElement, "End");
  document.activeElement.click(); // what Enter on a focused button does
  assert.deepEqual(server.sent.at(-1).data, { op: "message.react", message_id: 20, emoji: "👀" });
  assert.equal(menu.hidden, true);
});

test("picking an emoji that is already the viewer's takes it back", () => {
  const { document, server } = chatPage();
  server.receive({ type: "event", topic: "chat:3", seq: 12, event: "message.updated",
    data: { id: 20, seq: 10, body: "morning", html: "<p>morning</p>", author: bo, created_at: "2026-11-25T09:00:00Z", reactions: [{ emoji: "🎉", count: 1, user_ids: [1] }] } });
  document.querySelector("#message-20 [data-action=react]").click();
  document.querySelector('#reaction-picker [data-emoji="🎉"]').click();
  assert.deepEqual(server.sent.at(-1).data, { op: "message.unreact", message_id: 20, emoji: "🎉" });
});

test("arrow keys in the picker's grid wrap along rows and columns", () => {
  assert.equal(movedIndex("ArrowRight", 39, 40, 8), 0);
  assert.equal(movedIndex("ArrowLeft", 0, 40, 8), 39);
  assert.equal(movedIndex("ArrowDown", 3, 40, 8), 11);
  assert.equal(movedIndex("ArrowDown", 35, 40, 8), 3);
  assert.equal(movedIndex("ArrowUp", 3, 40, 8), 35);
  assert.equal(movedIndex("ArrowUp", 3, 38, 8), 35);
  assert.equal(movedIndex("ArrowUp", 7, 38, 8), 37);
  assert.equal(movedIndex("a", 3, 40, 8), null);
});

test("Reply opens the thread with its parent and loaded replies; live replies join it; its composer sends with parent_id", async () => {
  const reply = { id: 30, seq: 12, parent_id: 20, body: "first", html: "<p>first</p>", author: ada, created_at: "2026-11-25T10:00:00Z" };
  const { document, window, server, requests, shown } = chatPage({ replies: [reply] });
  const opener = document.querySelector("#message-20 [data-action=reply]");
  opener.click();
  const panel = document.getElementById("thread");
  assert.equal(panel.hidden, false);
  assert.equal(document.activeElement, panel.querySelector("textarea"));
  await settle();
  assert.ok(requests.includes("/api/messages/20/replies?limit=100"));
  const threadIds = () => [...panel.querySelectorAll("#thread-messages > li[data-author-id]")].map((li) => li.id || "pending");
  assert.deepEqual(threadIds(), ["thread-message-20", "thread-message-30"]);
  server.receive(created(13, { id: 31, parent_id: 20, body: "second", author: bo, created_at: "2026-11-25T12:00:00Z" }));
  server.receive(created(14, { id: 32, parent_id: 21, body: "elsewhere", author: bo, created_at: "2026-11-25T12:00:00Z" }));
  assert.deepEqual(threadIds(), ["thread-message-20", "thread-message-30", "thread-message-31"]);
  assert.deepEqual(shown(), ["message-20", "message-21"]);
  // our own reply can be edited in the thread like a message
  assert.ok(panel.querySelector("#thread-message-30 [data-action=edit]"));
  assert.equal(panel.querySelector("#thread-message-31 [data-action=edit]"), null);

  const field = panel.querySelector("textarea");
  field.value = "third";
  key(window, field, "Enter");
  const sent = server.sent.at(-1);
  assert.deepEqual({ ...sent.data, client_id: undefined }, { body: "third", client_id: undefined, parent_id: 20 });
  assert.deepEqual(threadIds(), ["thread-message-20", "thread-message-30", "thread-message-31", "pending"]);
  server.receive({ type: "ack", ref: sent.ref, id: 33, seq: 15 });
  await settle();
  assert.deepEqual(threadIds(), ["thread-message-20", "thread-message-30", "thread-message-31", "thread-message-33"]);

  key(window, field, "Escape");
  assert.equal(panel.hidden, true);
  assert.equal(document.activeElement, opener);
  // the parent deleted: its thread goes with it
  opener.click();
  server.receive({ type: "event", topic: "chat:3", seq: 16, event: "message.deleted", data: { id: 20, channel_id: 3 } });
  assert.equal(panel.hidden, true);
});
