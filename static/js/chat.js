import { messageChange } from "./changes.js";
import { ChannelKeep } from "./keep.js";
import { HISTORY_DEFAULT } from "./protocol.js";
import { ReadTracker } from "./reading.js";
import { clockText, dateTimeText, markDays } from "./times.js";
import { TypingIndicator, TypingSender } from "./typing.js";

/**
 * A chat channel page: messages arrive live, a sent message shows greyed
 * (data-pending) until acked, and scrolling to the top loads older history.
 * Authors edit and delete their own messages; others see both live.
 */
export class Chat {
  constructor({
    root,
    socket,
    http,
    documentRef = globalThis.document,
    newId = () => globalThis.crypto.randomUUID(),
    ask = (question) => globalThis.confirm(question),
    storage = globalThis.localStorage,
  }) {
    Object.assign(this, { root, socket, http, documentRef, newId, ask });
    this.userId = Number(root.dataset.userId);
    this.channelId = Number(root.dataset.channelId);
    this.keep = new ChannelKeep({ userId: this.userId, channelId: this.channelId, storage });
    this.topic = `chat:${this.channelId}`;
    this.list = root.querySelector("#messages");
    this.form = root.querySelector("#composer");
    this.field = this.form.querySelector("[name=body]");
    this.loadingOlder = false;
    this.noOlder = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    if (!this.field.value) this.field.value = this.keep.draft;
    this.field.addEventListener("input", () => {
      this.keep.draft = this.field.value;
    });
    this.field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.send();
      }
    });
    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop === 0) this.loadOlder();
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      const item = button?.closest("[data-message-id]");
      if (!item || item.dataset.pending !== undefined) return;
      if (button.dataset.action === "edit") this.startEdit(item);
      else if (button.dataset.action === "delete") this.delete(item);
    });
    for (const actions of this.list.querySelectorAll(".actions[hidden]")) actions.hidden = false;
    const typingRoot = root.querySelector("#typing");
    this.typists = typingRoot ? new TypingIndicator({ root: typingRoot }) : null;
    this.typingSender = new TypingSender({ socket, topic: this.topic });
    this.field.addEventListener("input", () => this.field.value.trim() && this.typingSender.typed());
    this.reading = new ReadTracker({
      channelId: this.channelId,
      http,
      list: this.list,
      headSeq: Number(root.dataset.seq),
      readSeq: Number(root.dataset.readSeq ?? root.dataset.seq),
      documentRef,
    });
    socket.subscribe(this.topic, { since: Number(root.dataset.seq), handler: (frame) => this.onFrame(frame) });
    markDays(this.list, { documentRef });
    this.resendUnsent();
    this.scrollToEnd();
  }

  send() {
    const body = this.field.value.trim();
    if (!body) return;
    const message = { client_id: this.newId(), body, created_at: new Date().toISOString() };
    this.keep.keepUnsent(message);
    this.field.value = "";
    this.typingSender.reset();
    this.reading.replied();
    this.keep.draft = "";
    this.publish(message);
  }

  /** Show a message of ours as pending and send it until it is acked or refused. */
  publish(message, item = null) {
    const me = { id: this.userId, display_name: this.root.dataset.userName || "You" };
    if (!item) {
      item = this.renderMessage({ ...message, author: me }, { pending: true });
      this.append(item);
    }
    this.socket.publish(this.topic, { body: message.body, client_id: message.client_id }).then(
      (ack) => {
        this.keep.forget(message.client_id);
        this.confirm(item, ack.id);
      },
      (error) => {
        this.keep.forget(message.client_id);
        this.refused(item, message, error);
      },
    );
  }

  /** Messages this channel sent from a tab that closed or reloaded before they were acked. */
  resendUnsent() {
    for (const message of this.keep.unsent()) {
      if (this.list.querySelector(`[data-client-id="${CSS.escape(message.client_id)}"][data-message-id]`)) {
        this.keep.forget(message.client_id); // it arrived after all
      } else {
        this.publish(message);
      }
    }
  }

  onFrame(frame) {
    if (frame.type === "resync_required") {
      this.documentRef.defaultView?.location.reload();
      return;
    }
    if (frame.type === "typing") {
      this.typists?.show(frame.user);
      return;
    }
    if (frame.type === "unsubscribed") {
      this.closeComposer();
      return;
    }
    const change = messageChange(frame);
    if (change.op === "add") {
      this.receive(change.message);
      if (change.message.author?.id !== this.userId) {
        this.typists?.stop(change.message.author?.id);
        const item = this.find(change.message.id);
        if (item) this.reading.arrived(item);
      }
    } else if (change.op === "update") this.show(change.message);
    else if (change.op === "remove") this.removeMessage(this.find(change.id));
    if (frame.type === "event") this.reading.seen(frame.seq);
  }

  /** The channel was deleted (or the viewer removed): nothing more can be said here. */
  closeComposer() {
    for (const control of this.form.elements) control.disabled = true;
    this.field.placeholder = "This channel is gone.";
  }

  /** Take a message out, and the day separator it leaves alone. */
  removeMessage(item) {
    if (!item) return;
    item.remove();
    markDays(this.list, { documentRef: this.documentRef });
  }

  find(id) {
    return this.list.querySelector(`[data-message-id="${id}"]`);
  }

  /** An edited message, from its event or the ack of our own edit. */
  show(message) {
    const item = this.find(message.id);
    if (item) this.fill(item, message);
  }

  startEdit(item) {
    if (item.querySelector(".edit-form")) return;
    const doc = this.documentRef;
    const body = item.querySelector(".body");
    const form = doc.createElement("form");
    form.className = "edit-form";
    const field = doc.createElement("textarea");
    field.name = "body";
    field.maxLength = 4000;
    field.rows = 2;
    field.value = body.textContent;
    field.setAttribute("aria-label", "Edit your message");
    const save = doc.createElement("button");
    save.type = "submit";
    save.textContent = "Save";
    const cancel = doc.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    const note = doc.createElement("p");
    note.className = "error-note";
    note.setAttribute("role", "alert");
    note.hidden = true;
    form.append(field, save, cancel, note);
    body.hidden = true;
    body.after(form);
    field.focus();
    const close = () => {
      form.remove();
      item.querySelector(".body").hidden = false; // fill() may have replaced the body meanwhile
      item.querySelector("button[data-action=edit]")?.focus();
    };
    cancel.addEventListener("click", close);
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
      else if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = field.value.trim();
      if (!text) {
        note.textContent = "A message cannot be empty: use Delete to remove it.";
        note.hidden = false;
        return;
      }
      save.disabled = true;
      const data = { op: "message.update", message_id: Number(item.dataset.messageId), body: text };
      this.socket.publish(this.topic, data).then(
        (ack) => {
          close();
          this.show(ack.message);
          item.querySelector("button[data-action=edit]")?.focus();
        },
        (error) => {
          save.disabled = false;
          note.textContent = `Not saved: ${error.message}`;
          note.hidden = false;
        },
      );
    });
  }

  delete(item) {
    if (!this.ask("Delete this message for everyone?")) return;
    item.dataset.pending = "";
    const data = { op: "message.delete", message_id: Number(item.dataset.messageId) };
    this.socket.publish(this.topic, data).then(
      () => {
        this.field.focus();
        this.removeMessage(item);
      },
      (error) => {
        delete item.dataset.pending;
        if (error.code === "not_found") this.removeMessage(item);
        else this.fail(item, error);
      },
    );
  }

  /** A stored message: confirm our own pending copy, or show someone else's once. */
  receive(message) {
    if (this.list.querySelector(`[data-message-id="${message.id}"]`)) return;
    const pending = message.client_id && this.list.querySelector(`[data-client-id="${CSS.escape(message.client_id)}"]`);
    if (pending) {
      this.keep.forget(message.client_id);
      this.fill(pending, message);
      this.confirm(pending, message.id);
      return;
    }
    this.append(this.renderMessage(message));
  }

  confirm(item, id) {
    const shown = this.find(id);
    if (shown && shown !== item) {
      this.removeMessage(item); // a resent message that the page already had from the server
      return;
    }
    item.dataset.messageId = id;
    delete item.dataset.pending;
    item.classList.remove("failed");
  }

  /** A message the server refused: it stays in view with its text, the reason, a retry, and an edit. */
  refused(item, message, error) {
    delete item.dataset.pending;
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
      item.dataset.pending = "";
      this.keep.keepUnsent(message);
      this.publish(message, item);
    });
    const edit = doc.createElement("button");
    edit.type = "button";
    edit.className = "secondary";
    edit.textContent = "Edit before sending";
    edit.addEventListener("click", () => {
      this.field.value = message.body;
      this.keep.draft = message.body;
      this.removeMessage(item);
      this.field.focus();
    });
    note.append(reason, " ", retry, " ", edit);
    item.append(note);
    note.scrollIntoView({ block: "nearest" });
  }

  fail(item, error) {
    delete item.dataset.pending;
    item.classList.add("failed");
    const note = this.documentRef.createElement("div");
    note.className = "error-note";
    note.textContent = `Not sent: ${error.message}`;
    item.append(note);
  }

  async loadOlder() {
    const first = this.list.querySelector("[data-message-id]");
    if (this.loadingOlder || this.noOlder || !first) return;
    this.loadingOlder = true;
    try {
      const older = await this.http.json(`/api/channels/${this.channelId}/messages?before=${first.dataset.messageId}&limit=${HISTORY_DEFAULT}`);
      if (older.length === 0) this.noOlder = true;
      const height = this.list.scrollHeight;
      for (const message of older.reverse()) {
        if (!this.list.querySelector(`[data-message-id="${message.id}"]`)) this.list.prepend(this.renderMessage(message));
      }
      markDays(this.list, { documentRef: this.documentRef });
      this.list.scrollTop = this.list.scrollHeight - height;
    } finally {
      this.loadingOlder = false;
    }
  }

  renderMessage(message, { pending = false } = {}) {
    const item = this.documentRef.createElement("li");
    if (message.id) item.dataset.messageId = message.id;
    if (message.client_id) item.dataset.clientId = message.client_id;
    if (pending) item.dataset.pending = "";
    this.fill(item, message);
    return item;
  }

  fill(item, message) {
    const doc = this.documentRef;
    const author = doc.createElement("span");
    author.className = "author";
    author.textContent = message.author.display_name;
    const time = doc.createElement("time");
    time.className = "muted";
    const at = message.created_at ? new Date(message.created_at) : new Date();
    time.dateTime = at.toISOString();
    time.dataset.format = "clock";
    time.textContent = clockText(at);
    time.title = dateTimeText(at);
    const body = doc.createElement("div");
    body.className = "body";
    body.textContent = message.body;
    const parts = [author, doc.createTextNode(" "), time];
    if (message.edited_at) {
      const edited = doc.createElement("span");
      edited.className = "edited muted";
      edited.title = `Edited ${new Date(message.edited_at).toLocaleString()}`;
      edited.textContent = " (edited)";
      parts.push(edited);
    }
    parts.push(body);
    const editing = item.querySelector(".edit-form");
    if (editing) {
      body.hidden = true;
      parts.push(editing);
    }
    if (message.author?.id === this.userId) parts.push(this.actions());
    item.dataset.authorId = message.author?.id ?? "";
    item.replaceChildren(...parts);
  }

  /** The Edit and Delete buttons of one of the viewer's own messages. */
  actions() {
    const doc = this.documentRef;
    const actions = doc.createElement("div");
    actions.className = "actions";
    for (const [action, label] of [["edit", "Edit"], ["delete", "Delete"]]) {
      const button = doc.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      button.textContent = label;
      actions.append(button);
    }
    return actions;
  }

  append(item) {
    const stick = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 40;
    this.list.querySelector(".empty")?.remove();
    this.list.append(item);
    markDays(this.list, { documentRef: this.documentRef });
    if (stick || item.dataset.pending !== undefined) this.scrollToEnd();
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
