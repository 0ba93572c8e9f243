import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHTML } from "linkedom";

import { avatarElement, drawAvatar, initials } from "../../static/js/avatar.js";

const { document } = parseHTML("<!doctype html><html><body></body></html>");

test("initials are the first letters of the first two words, as templates/_avatar.html makes them", () => {
  assert.equal(initials("Ada Lovelace"), "AL");
  assert.equal(initials("grace"), "G");
  assert.equal(initials("  émile   zola  jr"), "ÉZ");
  assert.equal(initials(""), "?");
  assert.equal(initials(undefined), "?");
});

test("a person with a picture gets an img without alt text (the name is beside it), others their initials", () => {
  const withPicture = avatarElement({ display_name: "Ada", avatar_url: "/avatars/1/abc.png" }, document);
  assert.equal(withPicture.className, "avatar");
  assert.equal(withPicture.getAttribute("aria-hidden"), "true");
  assert.equal(withPicture.querySelector("img").getAttribute("src"), "/avatars/1/abc.png");
  assert.equal(withPicture.querySelector("img").getAttribute("alt"), "");
  const without = avatarElement({ display_name: "Bo Diddley", avatar_url: null }, document);
  assert.equal(without.textContent, "BD");
  assert.equal(without.querySelector("img"), null);
});

test("a name is text, never markup", () => {
  const element = avatarElement({ display_name: "<img src=x onerror=alert(1)>" }, document);
  assert.equal(element.querySelector("img"), null);
  assert.equal(element.textContent, "<S");
});

test("drawing again replaces what was there", () => {
  const element = avatarElement({ display_name: "Ada", avatar_url: "/avatars/1/abc.png" }, document);
  drawAvatar(element, { display_name: "Ada" }, document);
  assert.equal(element.textContent, "A");
  assert.equal(element.querySelector("img"), null);
});
