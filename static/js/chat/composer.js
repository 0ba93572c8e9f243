import { TypingSender } from "../typing.js";

/**
 * The chat's `#composer`: Enter sends (Shift+Enter is a new line), the draft
 * survives a reload, and typing is announced to the others. `onSend(message)`
 * gets each message to send, with the client_id that makes a resend harmless.
 */
export class Composer {
  constructor({ form, channel, keep, onSend, uploads = null, newId = () => globalThis.crypto.randomUUID(), now = () => new Date() }) {
    Object.assign(this, { form, keep, onSend, uploads, newId, now });
    this.field = form.querySelector("[name=body]");
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
    });
    this.field.addEventListener("keydown", (event) => {
      if (sendsOnKey(event)) {
        event.preventDefault();
        this.send();
      }
    });
  }

  async send() {
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

/** The message a composer's text (and uploaded files) make, or null when there is nothing to send. */
export function newMessage(text, { clientId, now, files = [] }) {
  const body = text.trim();
  if (!body && files.length === 0) return null;
  const message = { client_id: clientId, body, created_at: now.toISOString() };
  if (files.length) Object.assign(message, { files, file_ids: files.map((file) => file.id) });
  return message;
}
