import { MAX_LENGTH } from "./composer.js";

/**
 * Editing and deleting one's own messages in place: an edit form replaces the
 * message's text until saved or cancelled (Enter saves, Escape cancels), and a
 * deletion, once confirmed, greys the message until the server answers.
 */
export class MessageEditor {
  constructor({ messages, channel, composer, documentRef = globalThis.document, ask = (question) => globalThis.confirm(question) }) {
    Object.assign(this, { messages, channel, composer, documentRef, ask });
  }

  start(item) {
    if (item.querySelector(".edit-form")) return;
    const doc = this.documentRef;
    const body = item.querySelector(".body");
    const form = doc.createElement("form");
    form.className = "edit-form";
    const field = doc.createElement("textarea");
    field.name = "body";
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
      item.querySelector(".body").hidden = false; // a live edit may have replaced the body meanwhile
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
      const problem = editProblem(field.value);
      if (problem) {
        note.textContent = problem;
        note.hidden = false;
        return;
      }
      const data = { op: "message.update", message_id: Number(item.dataset.messageId), body: field.value.trim() };
      this.channel
        .push(data, { busy: (on) => { save.disabled = on; } })
        .receive("ok", (ack) => {
          close();
          const shown = this.messages.find(ack.message.id);
          if (shown) this.messages.fill(shown, ack.message);
          item.querySelector("button[data-action=edit]")?.focus();
        })
        .receive("error", (error) => {
          note.textContent = `Not saved: ${error.message}`;
          note.hidden = false;
        });
    });
  }

  /** The viewer's newest message that the server has (Up in an empty composer edits it), or null. */
  lastOwn() {
    const own = this.messages.messages().filter((item) => item.dataset.messageId !== undefined && item.querySelector("[data-action=edit]"));
    return own.at(-1) ?? null;
  }

  async delete(item) {
    if (!(await this.ask("Delete this message for everyone?"))) return;
    const data = { op: "message.delete", message_id: Number(item.dataset.messageId) };
    this.channel
      .push(data, { pending: item })
      .receive("ok", () => {
        this.composer.focus();
        this.messages.remove(item);
      })
      .receive("error", (error) => {
        if (error.code === "not_found") this.messages.remove(item);
        else showFailure(item, error, this.documentRef);
      });
  }
}

/** Why an edit cannot be saved, or null. */
export function editProblem(text) {
  if (!text.trim()) return "A message cannot be empty: use Delete to remove it.";
  const length = [...text.trim()].length;
  if (length > MAX_LENGTH) return `Too long: ${length.toLocaleString("en")} of at most ${MAX_LENGTH.toLocaleString("en")} characters.`;
  return null;
}

function showFailure(item, error, documentRef) {
  item.classList.add("failed");
  const note = documentRef.createElement("div");
  note.className = "error-note";
  note.textContent = `Not sent: ${error.message}`;
  item.append(note);
}
