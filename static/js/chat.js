import { HISTORY_DEFAULT } from "./protocol.js";

/**
 * A chat channel page: messages arrive live, a sent message shows greyed
 * (data-pending) until acked, and scrolling to the top loads older history.
 */
export class Chat {
  constructor({ root, socket, http, documentRef = globalThis.document, newId = () => globalThis.crypto.randomUUID() }) {
    Object.assign(this, { root, socket, http, documentRef, newId });
    this.channelId = Number(root.dataset.channelId);
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
    this.field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.send();
      }
    });
    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop === 0) this.loadOlder();
    });
    socket.subscribe(this.topic, { since: Number(root.dataset.seq), handler: (frame) => this.onFrame(frame) });
    this.scrollToEnd();
  }

  send() {
    const body = this.field.value.trim();
    if (!body) return;
    const clientId = this.newId();
    const me = { display_name: this.root.dataset.userName || "You" };
    const item = this.renderMessage({ client_id: clientId, body, author: me }, { pending: true });
    this.append(item);
    this.field.value = "";
    this.socket.publish(this.topic, { body, client_id: clientId }).then(
      (ack) => this.confirm(item, ack.id),
      (error) => this.fail(item, error),
    );
  }

  onFrame(frame) {
    if (frame.type === "event" && frame.event === "message.created") this.receive(frame.data);
    else if (frame.type === "resync_required") this.documentRef.defaultView?.location.reload();
  }

  /** A stored message: confirm our own pending copy, or show someone else's once. */
  receive(message) {
    if (this.list.querySelector(`[data-message-id="${message.id}"]`)) return;
    const pending = message.client_id && this.list.querySelector(`[data-client-id="${CSS.escape(message.client_id)}"]`);
    if (pending) {
      this.fill(pending, message);
      this.confirm(pending, message.id);
      return;
    }
    this.append(this.renderMessage(message));
  }

  confirm(item, id) {
    item.dataset.messageId = id;
    delete item.dataset.pending;
    item.classList.remove("failed");
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
    time.textContent = at.toISOString().slice(11, 16);
    const body = doc.createElement("div");
    body.className = "body";
    body.textContent = message.body;
    item.replaceChildren(author, doc.createTextNode(" "), time, body);
  }

  append(item) {
    const stick = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 40;
    this.list.querySelector(".empty")?.remove();
    this.list.append(item);
    if (stick || item.dataset.pending !== undefined) this.scrollToEnd();
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
