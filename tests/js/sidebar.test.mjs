import assert from "node:assert/strict";
import test from "node:test";

import { parseHTML } from "linkedom";

import { Sidebar, sortedIndex, unreadBadge, workspaceChange } from "../../static/js/sidebar.js";
import { FakeClock, socketSetup } from "./fakes.mjs";

const event = (name, data) => ({ type: "event", topic: "workspace:1", seq: 3, event: name, data });
const viewer = { userId: 7, currentChannel: 4, currentBoard: 9 };

test("unread badges show the server's count and hide at zero", () => {
  assert.deepEqual(unreadBadge(0), { hidden: true, text: "0" });
  assert.deepEqual(unreadBadge(3), { hidden: false, text: "3" });
  assert.deepEqual(unreadBadge(120), { hidden: false, text: "120" });
});

test("channels and boards are listed in the server's order: by code point", () => {
  assert.equal(sortedIndex(["alpha", "gamma"], "beta"), 1);
  assert.equal(sortedIndex(["alpha", "gamma"], "zeta"), 2);
  assert.equal(sortedIndex(["alpha", "gamma"], "Zeta"), 0); // capitals sort first, as SQL compares them
  assert.equal(sortedIndex([], "one"), 0);
});

test("created and renamed channels and boards are placed; a new channel's unread is followed", () => {
  const channel = { id: 5, name: "random" };
  assert.deepEqual(workspaceChange(event("channel.created", channel), viewer), { op: "place-channel", channel, isNew: true });
  assert.deepEqual(workspaceChange(event("channel.updated", channel), viewer), { op: "place-channel", channel, isNew: false });
  const board = { id: 2, name: "Roadmap" };
  assert.deepEqual(workspaceChange(event("board.created", board), viewer), { op: "place-board", board });
});

test("a deleted channel's or board's earlier events, replayed without their names, place nothing", () => {
  const gone = { id: 5, workspace_id: 1, redacted: true };
  assert.deepEqual(workspaceChange(event("channel.created", gone), viewer), { op: "ignore" });
  assert.deepEqual(workspaceChange(event("channel.updated", gone), viewer), { op: "ignore" });
  assert.deepEqual(workspaceChange(event("board.created", gone), viewer), { op: "ignore" });
});

test("a deleted channel or board goes; the one on screen says so", () => {
  assert.deepEqual(workspaceChange(event("channel.deleted", { id: 5 }), viewer), { op: "remove-channel", id: 5, withdrawn: null });
  assert.deepEqual(workspaceChange(event("channel.deleted", { id: 4 }), viewer), {
    op: "remove-channel",
    id: 4,
    withdrawn: "This channel was deleted by the workspace's owner.",
  });
  assert.deepEqual(workspaceChange(event("board.deleted", { id: 9 }), viewer), {
    op: "remove-board",
    id: 9,
    withdrawn: "This board was deleted by the workspace's owner.",
  });
});

test("members come and go; the viewer's own removal, by event or by the server, leaves the workspace", () => {
  const other = { id: 8, display_name: "Bo" };
  assert.deepEqual(workspaceChange(event("member.added", { user: other }), viewer), { op: "members", kind: "member.added", user: other });
  assert.deepEqual(workspaceChange(event("member.removed", { user: other }), viewer), { op: "members", kind: "member.removed", user: other });
  assert.deepEqual(workspaceChange(event("member.removed", { user: { id: 7 } }), viewer), { op: "removed" });
  assert.deepEqual(workspaceChange({ type: "unsubscribed", topic: "workspace:1", reason: "removed" }, viewer), { op: "removed" });
  assert.deepEqual(workspaceChange({ type: "unsubscribed", topic: "workspace:1", reason: "deleted" }, viewer), { op: "ignore" });
  assert.deepEqual(workspaceChange(event("something.new", {}), viewer), { op: "ignore" });
});

// The sidebar on a page: what templates/pages/_workspace_shell.html renders, with #general (4) on screen.
const SHELL = `<!doctype html><html><body><p id="withdrawn" hidden></p>
<aside class="sidebar" data-workspace-id="1" data-seq="3" data-user-id="7" data-current-channel="4">
  <ul id="channels">
    <li data-channel-id="4" data-unread="0" data-seq="10" data-name="general"><a href="/w/1/c/4"><span class="name"># general</span>
      <span class="unread" hidden>0<span class="visually-hidden"> unread</span></span></a></li>
    <li data-channel-id="5" data-unread="2" data-seq="20" data-name="random"><a href="/w/1/c/5"><span class="name"># random</span>
      <span class="unread">2<span class="visually-hidden"> unread</span></span></a></li>
  </ul>
  <ul id="boards"></ul>
</aside></body></html>`;

function sidebarPage(counts) {
  const { document } = parseHTML(SHELL);
  const { socket, sockets } = socketSetup();
  const clock = new FakeClock();
  const requests = [];
  let reloads = 0;
  const sidebar = new Sidebar({
    root: document.querySelector(".sidebar"),
    socket,
    http: { json: async (path) => { requests.push(path); return counts(); } },
    documentRef: document,
    goTo: () => {},
    reload: () => { reloads += 1; },
    setTimeout: clock.setTimeout,
  });
  socket.connect();
  sockets[0].open();
  const badge = (id) => document.querySelector(`[data-channel-id="${id}"] .unread`);
  return { sidebar, server: sockets[0], clock, requests, badge, document, reloads: () => reloads };
}

test("unread counts follow every other channel from its seq, and a burst of messages asks the server once", async () => {
  let random = 3;
  const { server, clock, requests, badge } = sidebarPage(() => [{ id: 4, name: "general", unread: 0 }, { id: 5, name: "random", unread: random }]);
  assert.deepEqual(server.sent.map((f) => [f.topic, f.since]), [["workspace:1", 3], ["chat:5", 20]]); // not the chat on screen
  server.receive({ type: "event", topic: "chat:5", seq: 21, event: "message.created", data: {} });
  server.receive({ type: "event", topic: "chat:5", seq: 22, event: "message.created", data: {} });
  await clock.advance(150);
  assert.deepEqual(requests, ["/api/workspaces/1/channels"]);
  assert.equal(badge(5).hidden, false);
  assert.equal(badge(5).textContent, "3 unread");
  assert.equal(badge(5).closest("li").dataset.unread, "3");
  random = 0; // read on another device
  server.receive({ type: "read", topic: "chat:5", seq: 22 });
  await clock.advance(150);
  assert.equal(requests.length, 2);
  assert.equal(badge(5).hidden, true);
});

test("a followed channel that cannot be replayed refetches the counts; the workspace's own topic reloads the page", async () => {
  const { server, clock, requests, reloads } = sidebarPage(() => []);
  server.receive({ type: "resync_required", topic: "chat:5" });
  await clock.advance(150);
  assert.deepEqual([requests.length, reloads()], [1, 0]);
  server.receive({ type: "resync_required", topic: "workspace:1" });
  assert.equal(reloads(), 1);
});

test("a channel created elsewhere appears in name order with no unread, and is followed from its start", async () => {
  const { server, document } = sidebarPage(() => []);
  server.receive({ type: "event", topic: "workspace:1", seq: 4, event: "channel.created", data: { id: 6, name: "ops" } });
  assert.deepEqual([...document.querySelectorAll("#channels > li")].map((li) => li.dataset.channelId), ["4", "6", "5"]);
  assert.equal(document.querySelector('[data-channel-id="6"] .unread').hidden, true);
  assert.deepEqual(server.sent.at(-1), { type: "subscribe", topic: "chat:6", since: 0, ref: "sub:chat:6" });
  server.receive({ type: "event", topic: "workspace:1", seq: 5, event: "channel.deleted", data: { id: 6 } });
  assert.equal(document.querySelector('[data-channel-id="6"]'), null);
  assert.deepEqual(server.sent.at(-1), { type: "unsubscribe", topic: "chat:6", ref: "unsub:chat:6" });
});
