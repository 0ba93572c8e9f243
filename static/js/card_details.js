import { sizeText, xhrUpload } from "./chat/files.js";

/**
 * A card's details in a dialog on the board page: its title and description
 * are edited and the card deleted there. The same form works without
 * JavaScript as its own page; here it publishes over the socket. A change that
 * lost a race to someone else's shows the card as it now is, with a note and
 * the text that was not saved, never overwriting their change in silence.
 * Files are attached to the card at once from the dialog (`POST /api/cards/<id>/files`).
 */
export class CardDetails {
  constructor({ board, documentRef, ask }) {
    Object.assign(this, { board, documentRef, ask });
    this.cardId = null;
    this.dialog = this.build();
    documentRef.body.append(this.dialog);
    board.root.addEventListener("click", (event) => {
      const link = event.target.closest("a.title");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return; // a new tab gets the page
      event.preventDefault();
      this.open(link.closest("[data-card-id]"));
    });
  }

  build() {
    const doc = this.documentRef;
    const dialog = doc.createElement("dialog");
    dialog.className = "card-dialog";
    dialog.setAttribute("aria-labelledby", "card-dialog-heading");
    dialog.innerHTML = `
      <form method="dialog" class="card-form">
        <h2 id="card-dialog-heading">Card details</h2>
        <p class="error" role="alert" hidden></p>
        <label>Title <input name="title" required maxlength="200"></label>
        <label>Description <textarea name="description" maxlength="4000" rows="6"></textarea></label>
        <div class="card-files-box">
          <h3 id="card-files-heading">Files</h3>
          <ul class="card-files" aria-labelledby="card-files-heading"></ul>
          <label class="attach button secondary">Attach files<input type="file" multiple class="visually-hidden"></label>
          <p class="card-upload muted" role="status" hidden><progress max="100" value="0" aria-label="Uploading"></progress> <span></span></p>
        </div>
        <div class="yours" hidden><h3>Your unsaved text</h3><p class="yours-title"></p><p class="yours-description description-text"></p></div>
        <div class="form-actions">
          <button type="submit" value="save">Save</button>
          <button type="button" class="secondary" data-close>Close</button>
          <button type="button" class="danger" data-delete>Delete this card</button>
        </div>
      </form>`;
    this.form = dialog.querySelector("form");
    this.note = dialog.querySelector(".error");
    this.yours = dialog.querySelector(".yours");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    dialog.querySelector("[data-close]").addEventListener("click", () => this.close());
    dialog.querySelector("[data-delete]").addEventListener("click", () => this.delete());
    dialog.addEventListener("close", () => this.returnFocus());
    this.fileList = dialog.querySelector(".card-files");
    const picker = dialog.querySelector("input[type=file]");
    picker.addEventListener("change", () => {
      this.attach([...picker.files]);
      picker.value = "";
    });
    return dialog;
  }

  /** Show a card's current title and description, and the version they belong to. */
  open(element) {
    this.cardId = Number(element.dataset.cardId);
    this.version = Number(element.dataset.version);
    this.form.elements.title.value = element.querySelector(".title").textContent.trim();
    this.form.elements.description.value = element.querySelector(".description")?.textContent ?? "";
    this.tell(null);
    this.showFiles(null);
    this.loadFiles(this.cardId);
    if (!this.dialog.open) this.dialog.showModal();
    this.form.elements.title.focus();
  }

  close() {
    this.dialog.close();
  }

  /** The card's files, from the board as the server has it. */
  async loadFiles(cardId) {
    try {
      const response = await fetch(`/api/boards/${this.board.boardId}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || cardId !== this.cardId) return;
      const state = await response.json();
      const card = state.columns.flatMap((column) => column.cards).find((c) => c.id === cardId);
      if (card && cardId === this.cardId) this.showFiles(card.files ?? []);
    } catch {
      // the list stays empty; attaching still works
    }
  }

  showFiles(files) {
    const doc = this.documentRef;
    this.fileList.replaceChildren(
      ...(files ?? []).map((file) => {
        const item = doc.createElement("li");
        item.dataset.fileId = file.id;
        const link = doc.createElement("a");
        link.href = file.url;
        link.textContent = file.name;
        if (!file.thumbnail_url) link.setAttribute("download", file.name);
        item.append(link, " ", Object.assign(doc.createElement("span"), { className: "muted", textContent: sizeText(file.size) }));
        return item;
      }),
    );
  }

  /** Upload files to the card one after another, the progress shown; each belongs to the card at once. */
  async attach(files) {
    const status = this.dialog.querySelector(".card-upload");
    const bar = status.querySelector("progress");
    const cardId = this.cardId;
    status.hidden = false;
    for (const file of files) {
      status.querySelector("span").textContent = file.name;
      const form = new FormData();
      form.append("file", file, file.name);
      try {
        await xhrUpload(`/api/cards/${cardId}/files`, form, (fraction) => (bar.value = Math.round(fraction * 100)));
      } catch (error) {
        this.tell(`Not attached: ${error.message}`);
      }
    }
    status.hidden = true;
    if (cardId === this.cardId) await this.loadFiles(cardId);
  }

  returnFocus() {
    const element = this.cardId !== null && this.board.find(this.cardId);
    this.cardId = null;
    element?.querySelector(".title")?.focus();
  }

  save() {
    const title = this.form.elements.title.value.trim();
    const description = this.form.elements.description.value;
    if (!title) {
      this.tell("A card needs a title.");
      return;
    }
    const data = { op: "card.update", card_id: this.cardId, version: this.version, title, description };
    this.board.channel
      .push(data, { busy: (on) => this.busy(on) })
      .receive("ok", (ack) => {
        this.board.place(ack.card);
        this.close();
      })
      .receive("error", (error) => this.lost(error, { title, description }));
  }

  delete() {
    if (!this.ask("Delete this card for everyone?")) return;
    const data = { op: "card.delete", card_id: this.cardId, version: this.version };
    const id = this.cardId;
    this.board.channel
      .push(data, { busy: (on) => this.busy(on) })
      .receive("ok", () => {
        this.board.remove(id);
        this.board.refreshButtons();
        this.close();
        this.board.say("The card was deleted.");
      })
      .receive("error", (error) => this.lost(error, null));
  }

  /** A refused save or delete: on a conflict, the card as it now is, and what was typed kept beside it. */
  lost(error, typed) {
    const current = error.code === "conflict" ? error.frame?.current : null;
    if (current) {
      this.board.place(current);
      this.version = current.version;
      this.form.elements.title.value = current.title;
      this.form.elements.description.value = current.description ?? "";
      this.tell(
        typed
          ? "Someone else changed this card while you were editing it. This is the card as it is now; your text was not saved and is shown below."
          : "Someone else changed this card before you deleted it. This is the card as it is now: delete it again if you still want it gone.",
        typed,
      );
    } else if (error.code === "not_found") {
      this.tell("Someone else deleted this card meanwhile.", typed);
    } else {
      this.tell(`Not saved: ${error.message}`, typed);
    }
  }

  /** Someone else's change arrived while the dialog is open: a deletion is said at once; an edit waits for Save. */
  changed(change) {
    if (!this.dialog.open || this.cardId === null) return;
    if (change.op === "remove" && change.id === this.cardId) this.tell("Someone else deleted this card meanwhile.");
  }

  tell(text, typed = null) {
    this.note.textContent = text ?? "";
    this.note.hidden = !text;
    this.yours.hidden = !typed;
    if (typed) {
      this.yours.querySelector(".yours-title").textContent = `Title: ${typed.title}`;
      this.yours.querySelector(".yours-description").textContent = `Description: ${typed.description}`;
    }
  }

  busy(on) {
    for (const button of this.form.querySelectorAll("button")) button.disabled = on;
  }
}
