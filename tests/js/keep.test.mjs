import assert from "node:assert/strict";
import test from "node:test";

import { ChannelKeep } from "../../static/js/keep.js";
import { MemoryStorage } from "./fakes.mjs";

test("a draft outlives the page and is separate per user and channel", () => {
  const storage = new MemoryStorage();
  new ChannelKeep({ userId: 1, channelId: 2, storage }).draft = "half a thought";
  assert.equal(new ChannelKeep({ userId: 1, channelId: 2, storage }).draft, "half a thought");
  assert.equal(new ChannelKeep({ userId: 1, channelId: 3, storage }).draft, "");
  assert.equal(new ChannelKeep({ userId: 9, channelId: 2, storage }).draft, "");
  new ChannelKeep({ userId: 1, channelId: 2, storage }).draft = "";
  assert.equal(storage.items.size, 0);
});

test("unsent messages are kept in order until acked or refused", () => {
  const storage = new MemoryStorage();
  const keep = new ChannelKeep({ userId: 1, channelId: 2, storage });
  keep.keepUnsent({ client_id: "a", body: "first" });
  keep.keepUnsent({ client_id: "b", body: "second" });
  keep.keepUnsent({ client_id: "a", body: "first" }); // kept again (a retry): not doubled
  const reopened = new ChannelKeep({ userId: 1, channelId: 2, storage });
  assert.deepEqual(reopened.unsent().map((m) => m.client_id), ["b", "a"]);
  reopened.forget("b");
  reopened.forget("a");
  assert.deepEqual(reopened.unsent(), []);
  assert.equal(storage.items.size, 0);
});

test("storage that is missing, full or holds junk leaves the chat working", () => {
  const full = { getItem: () => "{not json", setItem: () => { throw new Error("QuotaExceededError"); }, removeItem() {} };
  const keep = new ChannelKeep({ userId: 1, channelId: 2, storage: full });
  assert.deepEqual(keep.unsent(), []);
  keep.keepUnsent({ client_id: "a", body: "x" });
  keep.draft = "x";
  assert.equal(new ChannelKeep({ userId: 1, channelId: 2, storage: undefined }).draft, "");
});
