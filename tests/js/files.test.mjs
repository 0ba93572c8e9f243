import assert from "node:assert/strict";
import test from "node:test";

import { parseHTML } from "linkedom";

import { fillFiles, pastedFiles, sizeText } from "../../static/js/chat/files.js";
import { newMessage } from "../../static/js/chat/composer.js";
import { focusesSearch } from "../../static/js/search_box.js";

test("a message with files may say nothing, and carries their ids", () => {
  const now = new Date("2026-12-07T10:00:00Z");
  const file = { id: 7, name: "a.png", size: 10, url: "/files/7/a.png", thumbnail_url: "/files/7/thumbnail/a.png" };
  assert.equal(newMessage("  ", { clientId: "c", now }), null);
  assert.deepEqual(newMessage("  ", { clientId: "c", now, files: [file] }), {
    client_id: "c",
    body: "",
    created_at: now.toISOString(),
    files: [file],
    file_ids: [7],
  });
  assert.equal(newMessage("hi", { clientId: "c", now }).file_ids, undefined);
});

test("sizes read as the server writes them", () => {
  assert.equal(sizeText(25), "25 B");
  assert.equal(sizeText(2048), "2 KB");
  assert.equal(sizeText(5 * 1024 * 1024 + 100 * 1024), "5.1 MB");
});

test("a paste's files: copied files, else file items (a screenshot)", () => {
  const image = { name: "image.png" };
  assert.deepEqual(pastedFiles({ files: [image], items: [] }), [image]);
  const item = { kind: "file", getAsFile: () => image };
  assert.deepEqual(pastedFiles({ files: [], items: [{ kind: "string" }, item] }), [image]);
  assert.deepEqual(pastedFiles({ files: [], items: [{ kind: "string" }] }), []);
  assert.deepEqual(pastedFiles(null), []);
});

test("/ focuses search outside text fields only", () => {
  const div = { tagName: "DIV" };
  assert.equal(focusesSearch({ key: "/", target: div }), true);
  assert.equal(focusesSearch({ key: "/", target: { tagName: "TEXTAREA" } }), false);
  assert.equal(focusesSearch({ key: "/", target: { tagName: "INPUT" } }), false);
  assert.equal(focusesSearch({ key: "/", target: { tagName: "DIV", isContentEditable: true } }), false);
  assert.equal(focusesSearch({ key: "/", ctrlKey: true, target: div }), false);
  assert.equal(focusesSearch({ key: "a", target: div }), false);
});

test("files are drawn from the template's items: images inline, others as downloads, names as text", () => {
  const { document } = parseHTML(`<ul class="files">
    <li class="file" data-file-id="0"><a class="file-image" href=""><img src="/" alt=""></a></li>
    <li class="file" data-file-id="0"><a class="file-download" href="" download=""><span class="file-name"></span> <span class="file-size"></span></a></li>
  </ul>`);
  const box = document.querySelector(".files");
  fillFiles(box, [
    { id: 1, name: "shot.png", size: 100, url: "/files/1/shot.png", thumbnail_url: "/files/1/thumbnail/shot.png" },
    { id: 2, name: "<b>notes</b>.html", size: 3000, url: "/files/2/x", thumbnail_url: null },
  ]);
  const items = box.querySelectorAll("[data-file-id]");
  assert.equal(items.length, 2);
  assert.equal(items[0].dataset.fileId, "1");
  assert.equal(items[0].querySelector("img").getAttribute("src"), "/files/1/thumbnail/shot.png");
  assert.equal(items[0].querySelector("img").getAttribute("alt"), "shot.png");
  assert.equal(items[1].querySelector(".file-name").textContent, "<b>notes</b>.html");
  assert.equal(items[1].querySelector("b"), null);
  assert.equal(items[1].querySelector("a").getAttribute("download"), "<b>notes</b>.html");
  assert.equal(items[1].querySelector(".file-size").textContent, "3 KB");

  const { document: other } = parseHTML(`<div><ul class="files"><li data-file-id="0"></li><li data-file-id="0"></li></ul></div>`);
  fillFiles(other.querySelector(".files"), []);
  assert.equal(other.querySelector(".files"), null); // no files: no list
});
