import { TypingSender } from "../typing.js";

/**
 * The chat's `#composer`: Enter sends (Shift+Enter is a new line), the draft
 * survives a reload, and typing is announced to the others. `onSend(message)`
 * gets each message to send, with the client_id that makes a resend harmless.
 */
export const MAX_LENGTH = 4000; // characters of a message, as the server counts them
const COUNT_FROM = 3500; // the counter shows once this few are left

export class Composer {
  constructor({ form, channel, keep, onSend, uploads = null, onEditLast = () => false, newId = () => globalThis.crypto.randomUUID(), now = () => new Date() }) {
    Object.assign(this, { form, keep, onSend, uploads, onEditLast, newId, now });
    this.field = form.querySelector("[name=body]");
    this.counter = form.querySelector(".char-count");
    if (uploads) uploads.onChange = () => (this.field.required = uploads.entries.length === 0);
    this.typingSender = new TypingSender({ socket: channel.socket, topic: channel.topic });
    if (!this.field.value) this.field.value = keep.draft;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.field.addEventListener("input", () => {
      keep.draft = this.field.value;
      if (this.field.value.trim()) this.typingSender.typed();
      this.showCount();
    });
    this.field.addEventListener("keydown", (event) => {
      if (sendsOnKey(event)) {
        event.preventDefault();
        this.send();
      } else if (editsLastOnKey(event, this.field.value) && this.onEditLast()) {
        event.preventDefault();
      }
    });
    this.showCount();
  }

  /** Near the limit, how many characters are left; past it, how many too many (nothing is cut). */
  showCount() {
    if (!this.counter) return;
    const text = countText(this.field.value, this.limit());
    this.counter.hidden = text === null;
    this.counter.textContent = text ?? "";
    this.counter.classList.toggle("over", tooLong(this.field.value, this.limit()));
  }

  /** The field's `data-max-length`, else the server's limit. */
  limit() {
    return Number(this.field.dataset?.maxLength) || MAX_LENGTH;
  }

  async send() {
    if (tooLong(this.field.value, this.limit())) {
      this.showCount();
      this.counter?.setAttribute("role", "alert");
      this.field.focus();
      return;
    }
    if (this.uploads?.busy()) {
      this.form.setAttribute("aria-busy", "true");
      await this.uploads.settled(); // a message goes once its files are up
      this.form.removeAttribute("aria-busy");
    }
    const files = this.uploads && !this.uploads.busy() ? this.uploads.entries.filter((e) => e.done).map((e) => e.file) : [];
    const message = newMessage(this.field.value, { clientId: this.newId(), now: this.now(), files });
    if (!message) return;
    this.uploads?.take();
    this.field.value = "";
    this.keep.draft = "";
    this.typingSender.reset();
    this.showCount();
    this.onSend(message);
  }

  /** Put a refused message's text back to be changed and sent again. */
  restore(body) {
    this.field.value = body;
    this.keep.draft = body;
    this.field.focus();
  }

  focus() {
    this.field.focus();
  }

  /** The channel was deleted (or the viewer removed): nothing more can be said here. */
  close() {
    for (const control of this.form.elements) control.disabled = true;
    this.field.placeholder = "This channel is gone.";
  }
}

// The composer's decisions, on plain data.

/** Enter sends; Shift+Enter starts a new line. */
export function sendsOnKey({ key, shiftKey }) {
  return key === "Enter" && !shiftKey;
}

/** Up in an empty composer edits one's last message. */
export function editsLastOnKey({ key, shiftKey, altKey, ctrlKey, metaKey }, text) {
  return key === "ArrowUp" && !shiftKey && !altKey && !ctrlKey && !metaKey && text === "";
}

/** Characters as the server counts them (code points, not UTF-16 units). */
export function characters(text) {
  return [...text.trim()].length;
}

export function tooLong(text, limit = MAX_LENGTH) {
  return characters(text) > limit;
}

/** What the counter says: nothing far from the limit, what is left near it, how far over past it. */
export function countText(text, limit = MAX_LENGTH) {
  const used = characters(text);
  if (used > limit) return `Too long: ${used.toLocaleString("en")} of at most ${limit.toLocaleString("en")} characters. Shorten it to send.`;
  if (used >= limit - (MAX_LENGTH - COUNT_FROM)) return `${(limit - used).toLocaleString("en")} characters left`;
  return null;
}

/** The message a composer's text (and uploaded files) make, or null when there is nothing to send. */
export function newMessage(text, { clientId, now, files = [] }) {
  const body = text.trim();
  if (!body && files.length === 0) return null;
  const message = { client_id: clientId, body, created_at: now.toISOString() };
  if (files.length) Object.assign(message, { files, file_ids: files.map((file) => file.id) });
  return message;
}
