import { HISTORY_MAX } from "../protocol.js";
import { Composer } from "./composer.js";
import { MessageEditor } from "./message_editor.js";
import { MessageList } from "./message_list.js";

/**
 * The `#thread` panel: a top-level message and its replies, beside the channel
 * (the whole screen on a phone). Replies load from the server when it opens and
 * then arrive live on the channel's own topic (`message.created` with
 * `parent_id`); its composer publishes there with `parent_id`. Replies are
 * listed, edited and deleted with the same MessageList and MessageEditor as the
 * channel's messages. Close, or Escape, gives focus back to where it opened from.
 */
export class Thread {
  constructor({ panel, template, channel, http, userId, userName, onMessageClick, newId, ask, documentRef = globalThis.document }) {
    Object.assign(this, { panel, channel, http, userId, userName, documentRef });
    this.parentId = null;
    this.opener = null;
    this.loads = 0;
    this.list = panel.querySelector("#thread-messages");
    this.note = documentRef.createElement("p");
    this.note.className = "error-note";
    this.note.setAttribute("role", "alert");
    this.note.hidden = true;
    this.list.after(this.note);
    // ids of its own, so the parent shown here and in the channel's list are not two #message-N
    this.messages = new MessageList({ list: this.list, template, userId, documentRef, idPrefix: "thread-message-" });
    this.composer = new Composer({
      form: panel.querySelector("#thread-composer"),
      channel,
      keep: { draft: "" },
      newId,
      onSend: (message) => this.publish(message),
    });
    this.editor = new MessageEditor({ messages: this.messages, channel, composer: this.composer, documentRef, ask });
    this.list.addEventListener("click", (event) => onMessageClick(event, this.editor));
    panel.querySelector("[data-action=close-thread]").addEventListener("click", () => this.close());
    panel.addEventListener("keydown", (event) => {
      // Escape in an edit form cancels the edit; anywhere else in the panel it closes the thread
      if (event.key === "Escape" && !event.target.closest?.(".edit-form")) this.close();
    });
  }

  isOpen() {
    return !this.panel.hidden;
  }

  /** Show the thread of the channel's message `parentItem`; `opener` gets focus back when it closes. */
  open(parentItem, opener = null) {
    this.opener = opener;
    const parentId = Number(parentItem.dataset.messageId);
    if (this.parentId !== parentId) {
      this.parentId = parentId;
      this.note.hidden = true;
      const parent = parentItem.cloneNode(true);
      parent.querySelector(".edit-form")?.remove();
      for (const body of parent.querySelectorAll(".body")) body.hidden = false;
      this.messages.identify(parent, parentId, Number(parentItem.dataset.seq));
      parent.classList.add("thread-parent");
      this.list.replaceChildren(parent);
      this.load(parentId);
    }
    this.panel.hidden = false;
    this.panel.closest(".chat")?.classList.add("thread-open");
    this.composer.focus();
  }

  close() {
    if (!this.isOpen()) return;
    this.panel.hidden = true;
    this.panel.closest(".chat")?.classList.remove("thread-open");
    if (this.opener?.isConnected) this.opener.focus();
    else this.documentRef.querySelector(`#message-${this.parentId} [data-action=reply]`)?.focus();
  }

  /** Every reply so far, page by page; a reply that arrived live meanwhile is shown once. */
  async load(parentId) {
    const load = ++this.loads;
    let after = null;
    for (;;) {
      const query = `limit=${HISTORY_MAX}${after === null ? "" : `&after=${after}`}`;
      let replies;
      try {
        replies = await this.http.json(`/api/messages/${parentId}/replies?${query}`);
      } catch (error) {
        if (load === this.loads) this.showNote(`The replies did not load: ${error.message ?? error}`);
        return;
      }
      if (load !== this.loads) return; // another thread opened meanwhile
      for (const reply of replies) this.receive(reply, reply.seq);
      if (replies.length < HISTORY_MAX) return;
      after = replies[replies.length - 1].id;
    }
  }

  /** A reply from the channel's topic: shown when it is this thread's, our own pending copy confirmed. */
  onReply(message, seq) {
    if (message.parent_id === this.parentId) this.receive(message, seq);
  }

  receive(message, seq) {
    if (this.messages.find(message.id)) return;
    const stored = { seq, ...message };
    const pending = message.client_id && this.messages.findByClientId(message.client_id);
    if (pending) {
      this.messages.fill(pending, stored);
      delete pending.dataset.pending;
      return;
    }
    this.messages.add(this.messages.render(stored));
  }

  /** A message changed: the parent or a reply shown here follows it. */
  update(message) {
    const item = this.messages.find(message.id);
    if (item) this.messages.fill(item, message);
  }

  /** A message deleted: a reply goes from the list; the parent takes its thread with it. */
  remove(id) {
    if (Number(id) === this.parentId) {
      this.close();
      this.parentId = null;
      this.list.replaceChildren();
      return;
    }
    this.messages.remove(this.messages.find(id));
  }

  /** Send a reply: shown greyed until acked; refused, it goes back into the composer with the reason. */
  publish(message) {
    const me = { id: this.userId, display_name: this.userName };
    const item = this.messages.render({ ...message, author: me, parent_id: this.parentId }, { pending: true });
    this.messages.add(item);
    this.note.hidden = true;
    this.channel
      .push({ body: message.body, client_id: message.client_id, parent_id: this.parentId }, { pending: item })
      .receive("ok", (ack) => {
        const shown = this.messages.find(ack.id);
        if (shown && shown !== item) item.remove();
        else this.messages.identify(item, ack.id, ack.seq);
      })
      .receive("error", (error) => {
        this.messages.remove(item);
        this.composer.restore(message.body);
        this.showNote(`Not sent: ${error.message}`);
      });
  }

  showNote(text) {
    this.note.textContent = text;
    this.note.hidden = false;
  }
}
