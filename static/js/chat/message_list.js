import { drawAvatar } from "../avatar.js";
import { clockText, dateTimeText, markDays } from "../times.js";
import { fillFiles } from "./files.js";

/**
 * The `<ol id="messages">` of a chat page. A message built here is a clone of
 * the page's `<template id="message-template">`, the markup the server renders
 * stored messages with, so both look and read the same (`id="message-N"`,
 * `data-seq`). Stored messages go in seq order; ours, before the server has
 * them (no seq yet), go at the end and stay where they were written.
 */
export class MessageList {
  constructor({ list, template, userId, documentRef = globalThis.document, idPrefix = "message-" }) {
    Object.assign(this, { list, template, userId, documentRef, idPrefix });
    this.atEnd = false;
  }

  /** The server rendered the author's Edit and Delete hidden: they work once this script runs. Long ones fold. */
  enableActions() {
    for (const actions of this.list.querySelectorAll(".actions[hidden]")) actions.hidden = false;
    for (const item of this.messages()) collapseIfLong(item, this.documentRef);
  }

  find(id) {
    return this.list.querySelector(`[data-message-id="${id}"]`);
  }

  /** Our own message by its client_id: the copy shown before the server had it. */
  findByClientId(clientId) {
    return this.messages().find((item) => item.dataset.clientId === clientId) ?? null;
  }

  messages() {
    return [...this.list.querySelectorAll(":scope > li[data-author-id]")];
  }

  /** The oldest message shown, where older history continues. */
  oldestId() {
    return this.list.querySelector("[data-message-id]")?.dataset.messageId ?? null;
  }

  render(message, { pending = false } = {}) {
    const item = this.documentRef.createElement("li");
    if (pending) item.dataset.pending = "";
    this.fill(item, message);
    return item;
  }

  /** Show a message in an element, new or already shown (an edit); an edit form open in it stays. */
  fill(item, message) {
    const view = messageView(message, this.userId);
    const fresh = this.template.content.querySelector("li").cloneNode(true);
    drawAvatar(fresh.querySelector(".avatar"), message.author, this.documentRef);
    fresh.querySelector(".author").textContent = view.author;
    const via = fresh.querySelector(".via");
    if (view.via && via) {
      via.textContent = `via ${view.via}`;
      via.title = `Sent by a program with the personal access token “${view.via}”`;
    } else via?.remove();
    const time = fresh.querySelector("time");
    time.setAttribute("datetime", view.at.toISOString());
    time.textContent = clockText(view.at);
    time.title = dateTimeText(view.at);
    // the server's sanitized rendering; ours before it is stored is the text as typed, never read as HTML
    if (view.html === null) fresh.querySelector(".body").textContent = view.body;
    else fresh.querySelector(".body").innerHTML = view.html;
    const edited = fresh.querySelector(".edited");
    if (view.edited) edited.title = view.editedTitle;
    else edited.remove();
    fillFiles(fresh.querySelector(".files"), message.files);
    this.fillReactions(fresh.querySelector(".reactions"), view.reactions);
    const summary = fresh.querySelector(".thread-summary");
    if (view.replies > 0) {
      summary.querySelector(".reply-count").textContent = view.replies === 1 ? "1 reply" : `${view.replies} replies`;
      const last = summary.querySelector(".last-reply");
      last.setAttribute("datetime", view.lastReplyAt.toISOString());
      last.textContent = clockText(view.lastReplyAt);
    } else summary.remove();
    const actions = fresh.querySelector(".actions");
    actions.hidden = false;
    if (!view.own) for (const button of actions.querySelectorAll("[data-action=edit], [data-action=delete]")) button.remove();
    if (view.parentId !== null) actions.querySelector("[data-action=reply]")?.remove(); // a reply has no thread of its own
    if (view.parentId !== null) item.dataset.parentId = view.parentId;
    const editing = item.querySelector(".edit-form");
    if (editing) {
      fresh.querySelector(".body").hidden = true;
      fresh.querySelector(".body").after(editing);
    }
    collapseIfLong(fresh, this.documentRef);
    if (view.id) this.identify(item, view.id, view.seq);
    if (view.clientId) item.dataset.clientId = view.clientId;
    item.dataset.authorId = view.authorId;
    item.replaceChildren(...fresh.childNodes);
  }

  /** One `[data-reaction]` chip per emoji, cloned from the template's chip: count, and pressed when one is ours. */
  fillReactions(box, reactions) {
    const chip = this.template.content.querySelector("[data-reaction]");
    box.replaceChildren(
      ...reactions.map((reaction) => {
        const button = chip.cloneNode(true);
        button.dataset.reaction = reaction.emoji;
        button.setAttribute("aria-pressed", String(reaction.me));
        button.setAttribute("aria-label", `${reaction.emoji} ${reaction.count}${reaction.me ? ", yours" : ""}`);
        button.querySelector(".emoji").textContent = reaction.emoji;
        button.querySelector(".count").textContent = String(reaction.count);
        return button;
      }),
    );
  }

  /** A message the server stored: its id and its place in the channel's log, as server-rendered ones have. */
  identify(item, id, seq) {
    item.id = `${this.idPrefix}${id}`;
    item.dataset.messageId = id;
    if (typeof seq === "number") item.dataset.seq = seq;
  }

  /** Put a message in its place by seq; the view follows it if the reader was at the end, or if it is ours. */
  add(item) {
    const stick = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 40;
    this.insert(item);
    this.arrange();
    if (stick || item.dataset.pending !== undefined) this.scrollToEnd();
  }

  /** Older history above what is shown, the reader's view kept where it was. */
  addOlder(messages) {
    const height = this.list.scrollHeight;
    for (const message of messages) {
      if (!this.find(message.id)) this.insert(this.render(message));
    }
    this.arrange();
    this.list.scrollTop = this.list.scrollHeight - height;
  }

  /** Newer history below what is shown (the page opened at the first unread); the view stays put. */
  addNewer(messages) {
    for (const message of messages) {
      if (!this.find(message.id)) this.insert(this.render(message));
    }
    this.arrange();
  }

  /** The newest stored message shown, where newer history continues. */
  newestId() {
    const ids = this.messages().map((item) => Number(item.dataset.messageId)).filter((id) => id > 0);
    return ids.length ? Math.max(...ids) : null;
  }

  /** Day separators in local time, and consecutive messages of one person grouped under one name. */
  arrange() {
    markDays(this.list, { documentRef: this.documentRef });
    markGroups(this.list);
  }

  insert(item) {
    this.list.querySelector(".empty")?.remove();
    const shown = this.messages();
    const seq = item.dataset.seq === undefined ? null : Number(item.dataset.seq);
    const next = shown[insertionIndex(shown.map((other) => (other.dataset.seq === undefined ? null : Number(other.dataset.seq))), seq)];
    if (!next) {
      this.list.append(item);
      return;
    }
    // a day separator or the "New messages" line above the next message stays with it
    let anchor = next;
    while (anchor.previousElementSibling && anchor.previousElementSibling.dataset.authorId === undefined) anchor = anchor.previousElementSibling;
    anchor.before(item);
  }

  /** Take a message out, and the day separator it leaves alone. */
  remove(item) {
    if (!item) return;
    item.remove();
    this.arrange();
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    this.atEnd = true;
  }

  /** Once the list is at its newest message it stays there while what is shown grows (times written in the
   * reader's own zone, a long message folded) or its box shrinks (a bar or a button appearing below it, a
   * phone's keyboard), until the reader scrolls away. */
  keepEndInView() {
    const follow = () => this.atEnd && this.scrollToEnd();
    this.list.addEventListener("scroll", () => {
      this.atEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 4;
    });
    if (globalThis.ResizeObserver) new globalThis.ResizeObserver(follow).observe(this.list);
    if (globalThis.MutationObserver) {
      new globalThis.MutationObserver(follow).observe(this.list, { childList: true, subtree: true, characterData: true });
    }
  }
}

// The list's decisions, on plain data.

const GROUP_WITHIN_MS = 5 * 60 * 1000; // a message this soon after the same person's last one joins its group
const LONG_TEXT = 1200; // characters of a body shown folded, with "Show more"
const LONG_BLOCKS = 14; // or paragraphs, list items and lines

/**
 * Mark each message that continues its author's group (`.continued`: no avatar or name again): the
 * same person, within five minutes, with nothing between (a day separator or the "New messages"
 * line starts a new group).
 */
export function markGroups(list) {
  let previous = null;
  for (const item of list.querySelectorAll(":scope > li")) {
    if (item.dataset.authorId === undefined) {
      previous = null;
      continue;
    }
    item.classList.toggle("continued", continues(previous, item));
    previous = item;
  }
}

function continues(previous, item) {
  if (!previous || previous.dataset.authorId !== item.dataset.authorId || previous.classList.contains("failed")) return false;
  const at = (li) => new Date(li.querySelector("time[datetime]")?.getAttribute("datetime") || NaN).getTime();
  const gap = at(item) - at(previous);
  return Number.isFinite(gap) && gap >= 0 && gap < GROUP_WITHIN_MS;
}

/** Whether a body is long enough to be folded. */
export function isLong(text, blocks) {
  return text.length > LONG_TEXT || blocks > LONG_BLOCKS;
}

/** Fold a long message's body with a "Show more" button under it (once; a redraw folds it again). */
export function collapseIfLong(item, documentRef) {
  const body = item.querySelector(":scope > .body");
  if (!body || item.querySelector(":scope > .show-more")) return;
  if (!isLong(body.textContent ?? "", body.querySelectorAll?.("p, li, pre, br").length ?? 0)) return;
  body.classList.add("collapsed");
  const button = documentRef.createElement("button");
  button.type = "button";
  button.className = "link-button show-more";
  button.textContent = "Show more";
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => {
    const open = body.classList.toggle("collapsed") === false;
    button.textContent = open ? "Show less" : "Show more";
    button.setAttribute("aria-expanded", String(open));
  });
  body.after(button);
}

/**
 * Where a message with `seq` goes among the messages shown, given their seqs
 * in page order (null for ours not yet stored): before the first stored one
 * with a higher seq, else at the end (after ours not yet stored, as they
 * arrived). One without a seq goes at the end.
 */
export function insertionIndex(seqs, seq) {
  if (seq === null || seq === undefined) return seqs.length;
  const index = seqs.findIndex((other) => other !== null && other > seq);
  return index === -1 ? seqs.length : index;
}

/** What a message shows, from the server's JSON (or ours before it is stored). */
export function messageView(message, userId) {
  const at = message.created_at ? new Date(message.created_at) : new Date();
  return {
    id: message.id ?? null,
    seq: message.seq ?? null,
    clientId: message.client_id ?? null,
    authorId: String(message.author?.id ?? ""),
    author: message.author?.display_name ?? "",
    via: message.via ?? null,
    at,
    body: message.body,
    html: typeof message.html === "string" ? message.html : null,
    reactions: reactionsView(message.reactions, userId),
    parentId: message.parent_id ?? null,
    replies: message.reply_count ?? 0,
    lastReplyAt: message.last_reply_at ? new Date(message.last_reply_at) : null,
    edited: Boolean(message.edited_at),
    editedTitle: message.edited_at ? `Edited ${new Date(message.edited_at).toLocaleString()}` : null,
    own: message.author?.id === userId,
  };
}

/**
 * A message's reactions as this viewer sees them. Events carry who reacted (`user_ids`, one
 * serialization for every subscriber); an HTTP answer may say `me` itself.
 */
export function reactionsView(reactions, userId) {
  return (reactions ?? []).map((reaction) => ({
    emoji: reaction.emoji,
    count: reaction.count,
    me: reaction.user_ids ? reaction.user_ids.includes(userId) : Boolean(reaction.me),
  }));
}
