import { messageChange } from "../changes.js";
import { ChannelKeep } from "../keep.js";
import { HISTORY_DEFAULT, HISTORY_MAX } from "../protocol.js";
import { ReadTracker } from "../reading.js";
import { TypingIndicator } from "../typing.js";
import { Composer } from "./composer.js";
import { Uploads } from "./files.js";
import { MessageEditor } from "./message_editor.js";
import { MessageList } from "./message_list.js";
import { pressedReactions, ReactionPicker } from "./reaction_picker.js";
import { Thread } from "./thread.js";

/**
 * A chat channel page: messages arrive live, a sent message shows greyed
 * (data-pending) until acked, and scrolling to the top loads older history.
 * Authors edit and delete their own messages; others see both live. A message
 * typed here is kept until acked, so one sent from a tab that closed first is
 * sent again by the next.
 */
export class Chat {
  constructor({
    root,
    socket,
    http,
    documentRef = globalThis.document,
    newId = () => globalThis.crypto.randomUUID(),
    ask = (question) => globalThis.confirm(question), // a promise of the answer will do too
    storage = globalThis.localStorage,
  }) {
    Object.assign(this, { root, http, documentRef });
    this.userId = Number(root.dataset.userId);
    this.channelId = Number(root.dataset.channelId);
    this.keep = new ChannelKeep({ userId: this.userId, channelId: this.channelId, storage });
    this.list = root.querySelector("#messages");
    this.loadingOlder = false;
    this.noOlder = false;
    this.loadingNewer = null;
    // the page opened at the first unread message, and newer ones are still to load below it
    this.moreAfter = root.dataset.moreAfter !== undefined;
    this.messages = new MessageList({
      list: this.list,
      template: documentRef.getElementById("message-template"),
      userId: this.userId,
      documentRef,
    });
    this.messages.keepEndInView();
    this.channel = socket
      .channel(`chat:${this.channelId}`, { since: Number(root.dataset.seq) })
      .on("event", (frame) => this.onEvent(frame))
      .on("typing", (frame) => this.typists?.show(frame.user))
      .on("unsubscribed", () => this.composer.close());
    const composerForm = root.querySelector("#composer");
    this.composer = new Composer({
      form: composerForm,
      channel: this.channel,
      keep: this.keep,
      uploads: composerForm.querySelector("input[type=file]") ? new Uploads({ form: composerForm, channelId: this.channelId, documentRef }) : null,
      newId,
      onSend: (message) => {
        this.keep.keepUnsent(message);
        this.reading.replied();
        if (this.moreAfter) this.jumpToNewest(); // what is sent goes at the end: load what lies between
        this.publish(message);
      },
      onEditLast: () => {
        const last = this.editor.lastOwn();
        if (!last) return false;
        last.scrollIntoView({ block: "nearest" });
        this.editor.start(last);
        return true;
      },
    });
    this.editor = new MessageEditor({ messages: this.messages, channel: this.channel, composer: this.composer, documentRef, ask });
    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop === 0) this.loadOlder();
      if (this.moreAfter && this.distanceFromEnd() < 200) this.loadNewer();
      this.showJumps();
      this.reading?.markIfVisible();
    });
    this.jumpBar = root.querySelector("#jump-bar");
    this.jumpBar?.addEventListener("click", (event) => {
      const link = event.target.closest("a.jump");
      if (!link) return;
      event.preventDefault();
      if (link.id === "jump-newest") this.jumpToNewest();
      else this.scrollToUnread();
    });
    this.watchLongPress();
    this.picker = new ReactionPicker({
      menu: root.querySelector("#reaction-picker"),
      onPick: (item, emoji) => this.toggleReaction(item, emoji, pressedReactions(item).includes(emoji)),
      documentRef,
    });
    this.list.addEventListener("click", (event) => this.onMessageClick(event, this.editor));
    this.thread = new Thread({
      panel: root.querySelector("#thread"),
      template: documentRef.getElementById("message-template"),
      channel: this.channel,
      http,
      userId: this.userId,
      userName: root.dataset.userName || "You",
      onMessageClick: (event, editor) => this.onMessageClick(event, editor),
      newId,
      ask,
      documentRef,
    });
    this.messages.enableActions();
    const typingRoot = root.querySelector("#typing");
    this.typists = typingRoot ? new TypingIndicator({ root: typingRoot }) : null;
    this.reading = new ReadTracker({
      channelId: this.channelId,
      http,
      list: this.list,
      headSeq: Number(root.dataset.seq),
      readSeq: Number(root.dataset.readSeq ?? root.dataset.seq),
      readUpTo: () => this.readUpTo(),
      documentRef,
    });
    this.channel.join();
    this.messages.arrange();
    this.resendUnsent();
    this.openAtFirstUnread();
  }

  /** Open where the reader left off: the "New messages" line near the top, else the newest message; a search
   * result (`?around=`) or a link to one message opens at that message instead. */
  openAtFirstUnread() {
    const linked = /^#message-\d+$/.test(globalThis.location?.hash ?? "") && this.documentRef.querySelector(globalThis.location.hash);
    const target = (this.root.dataset.around && this.messages.find(this.root.dataset.around)) || linked;
    if (target && this.list.contains(target)) target.scrollIntoView({ block: "center" });
    else if (this.documentRef.getElementById("new-messages")) this.scrollToUnread();
    else this.messages.scrollToEnd();
    this.showJumps();
    this.reading.markIfVisible();
  }

  scrollToUnread() {
    const line = this.documentRef.getElementById("new-messages");
    if (!line || !this.list.getBoundingClientRect) return;
    this.list.scrollTop += line.getBoundingClientRect().top - this.list.getBoundingClientRect().top - 8;
    this.showJumps();
  }

  distanceFromEnd() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight;
  }

  /** The seq of the last message in view: the read marker goes no further until the reader scrolls on. */
  readUpTo() {
    if (!this.moreAfter && this.distanceFromEnd() < 40) return Infinity;
    if (!this.list.getBoundingClientRect) return Infinity;
    const bottom = this.list.getBoundingClientRect().bottom;
    let seq = 0;
    for (const item of this.messages.messages()) {
      const box = item.getBoundingClientRect();
      if (box.top + Math.min(box.height, 48) > bottom) break;
      if (item.dataset.seq !== undefined) seq = Math.max(seq, Number(item.dataset.seq));
    }
    return seq;
  }

  /** "Jump to newest" while the end is out of view or not loaded; "Jump to unread" once the line is above the view. */
  showJumps() {
    if (!this.jumpBar || !this.list.getBoundingClientRect) return;
    const line = this.documentRef.getElementById("new-messages");
    const above = Boolean(line) && line.getBoundingClientRect().bottom < this.list.getBoundingClientRect().top;
    const newest = this.moreAfter || this.distanceFromEnd() > this.list.clientHeight;
    this.jumpBar.querySelector("#jump-unread").hidden = !above;
    this.jumpBar.querySelector("#jump-newest").hidden = !newest;
    this.jumpBar.hidden = !(above || newest);
  }

  /** Load newer history below (the page opened at the first unread); once at the end, the live events show. */
  loadNewer() {
    if (!this.loadingNewer && this.moreAfter) {
      this.loadingNewer = this.fetchNewer().finally(() => {
        this.loadingNewer = null;
        this.showJumps();
      });
    }
    return this.loadingNewer ?? Promise.resolve();
  }

  async fetchNewer() {
    const after = this.messages.newestId();
    const newer = await this.http.json(`/api/channels/${this.channelId}/messages?after=${after}&limit=${HISTORY_MAX}`);
    this.messages.addNewer(newer);
    if (newer.length < HISTORY_MAX) {
      this.moreAfter = false; // live events show from now on; one more look catches any that raced this one
      this.messages.addNewer(await this.http.json(`/api/channels/${this.channelId}/messages?after=${this.messages.newestId()}&limit=${HISTORY_MAX}`));
    }
  }

  async jumpToNewest() {
    while (this.moreAfter) await this.loadNewer();
    this.messages.scrollToEnd();
    this.showJumps();
    this.reading.markIfVisible();
  }

  /** On a touch screen, a long press on a message shows its actions (a hover does it with a mouse). */
  watchLongPress() {
    let timer = null;
    const cancel = () => clearTimeout(timer);
    this.list.addEventListener("pointerdown", (event) => {
      if (event.pointerType !== "touch") return;
      const item = event.target.closest("li[data-message-id]");
      cancel();
      if (!item) return;
      timer = setTimeout(() => {
        for (const other of this.list.querySelectorAll("li.show-actions")) other.classList.remove("show-actions");
        item.classList.add("show-actions");
      }, 450);
    });
    for (const type of ["pointerup", "pointercancel", "pointermove"]) this.list.addEventListener(type, cancel);
    this.documentRef.addEventListener("pointerdown", (event) => {
      if (!event.target.closest?.("li.show-actions")) for (const item of this.list.querySelectorAll("li.show-actions")) item.classList.remove("show-actions");
    });
  }

  /** Show a message of ours as pending and send it until it is acked or refused. */
  publish(message, item = null) {
    if (!item) {
      const me = {
        id: this.userId,
        display_name: this.root.dataset.userName || "You",
        avatar_url: this.root.dataset.userAvatar || null,
      };
      item = this.messages.render({ ...message, author: me }, { pending: true });
      this.messages.add(item);
    }
    this.channel
      .push(
        { body: message.body, client_id: message.client_id, ...(message.file_ids ? { file_ids: message.file_ids } : {}) },
        { pending: item },
      )
      .receive("ok", (ack) => {
        this.keep.forget(message.client_id);
        this.confirm(item, ack.id, ack.seq);
      })
      .receive("error", (error) => {
        this.keep.forget(message.client_id);
        this.refused(item, message, error);
      });
  }

  /** Messages this channel sent from a tab that closed or reloaded before they were acked. */
  resendUnsent() {
    for (const message of this.keep.unsent()) {
      const shown = this.messages.findByClientId(message.client_id);
      if (shown?.dataset.messageId !== undefined) {
        this.keep.forget(message.client_id); // it arrived after all
      } else {
        this.publish(message);
      }
    }
  }

  /** A click in a list of messages: a reaction chip, or one of a message's actions. */
  onMessageClick(event, editor) {
    const chip = event.target.closest("button[data-reaction]");
    const reacted = chip?.closest("[data-message-id]");
    if (chip && reacted && reacted.dataset.pending === undefined) {
      this.toggleReaction(reacted, chip.dataset.reaction, chip.getAttribute("aria-pressed") === "true");
      return;
    }
    const button = event.target.closest("button[data-action]");
    const item = button?.closest("[data-message-id]");
    if (!item || item.dataset.pending !== undefined) return;
    const action = button.dataset.action;
    if (action === "edit") editor.start(item);
    else if (action === "delete") editor.delete(item);
    else if (action === "react") this.picker.toggle(button, item);
    else if (action === "reply" || action === "thread") this.thread?.open(item, button);
  }

  /** A reaction chip pressed: ours is taken back, another's is joined; the event that follows redraws it. */
  toggleReaction(item, emoji, mine) {
    const op = mine ? "message.unreact" : "message.react";
    this.channel.push({ op, message_id: Number(item.dataset.messageId), emoji });
  }

  onEvent(frame) {
    const change = messageChange(frame);
    if (change.op === "add" && change.message.parent_id) {
      this.onReply(change.message, frame.seq); // a reply belongs in its thread, not the channel's list
    } else if (change.op === "add") {
      this.receive(change.message, frame.seq);
      if (change.message.author?.id !== this.userId) {
        this.typists?.stop(change.message.author?.id);
        const item = this.messages.find(change.message.id);
        if (item) this.reading.arrived(item);
      }
    } else if (change.op === "update") {
      const item = this.messages.find(change.message.id);
      if (item) this.messages.fill(item, change.message);
      this.thread.update(change.message);
    } else if (change.op === "remove") {
      this.messages.remove(this.messages.find(change.id));
      this.thread.remove(change.id);
    }
    this.reading.seen(frame.seq);
  }

  /** A reply, from anyone: the open thread shows it when it is that thread's. */
  onReply(message, seq) {
    this.thread.onReply(message, seq);
  }

  /** A stored message: confirm our own pending copy, or show someone else's once. */
  receive(message, seq) {
    if (this.messages.find(message.id)) return;
    const stored = { seq, ...message };
    const pending = message.client_id && this.messages.findByClientId(message.client_id);
    if (pending) {
      this.keep.forget(message.client_id);
      this.messages.fill(pending, stored);
      this.confirm(pending, message.id, stored.seq);
      return;
    }
    if (this.moreAfter) return; // it comes with the newer history, in its place, as the reader gets there
    this.messages.add(this.messages.render(stored));
  }

  confirm(item, id, seq) {
    const shown = this.messages.find(id);
    if (shown && shown !== item) {
      this.messages.remove(item); // a resent message that the page already had from the server
      return;
    }
    this.messages.identify(item, id, seq);
    delete item.dataset.pending;
    item.classList.remove("failed");
  }

  /** A message the server refused: it stays in view with its text, the reason, a retry, and an edit. */
  refused(item, message, error) {
    item.classList.add("failed");
    item.querySelector(".refusal")?.remove();
    const doc = this.documentRef;
    const note = doc.createElement("div");
    note.className = "refusal";
    note.setAttribute("role", "alert");
    const reason = doc.createElement("span");
    reason.className = "error-note";
    reason.textContent = `Not sent: ${error.message}`;
    const retry = doc.createElement("button");
    retry.type = "button";
    retry.className = "secondary";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => {
      note.remove();
      item.classList.remove("failed");
      this.keep.keepUnsent(message);
      this.publish(message, item);
    });
    const edit = doc.createElement("button");
    edit.type = "button";
    edit.className = "secondary";
    edit.textContent = "Edit before sending";
    edit.addEventListener("click", () => {
      this.messages.remove(item);
      this.composer.restore(message.body);
    });
    note.append(reason, " ", retry, " ", edit);
    item.append(note);
    note.scrollIntoView({ block: "nearest" });
  }

  async loadOlder() {
    const oldest = this.messages.oldestId();
    if (this.loadingOlder || this.noOlder || oldest === null) return;
    this.loadingOlder = true;
    try {
      const older = await this.http.json(`/api/channels/${this.channelId}/messages?before=${oldest}&limit=${HISTORY_DEFAULT}`);
      if (older.length === 0) this.noOlder = true;
      this.messages.addOlder(older);
    } finally {
      this.loadingOlder = false;
    }
  }
}
