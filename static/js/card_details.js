import { drawAvatar } from "./avatar.js";
import { sizeText, xhrUpload } from "./chat/files.js";
import { dateTimeText } from "./times.js";

/** What one activity entry says, after who did it: "moved this from To do to Doing". */
export function activityText(step) {
  const d = step.detail ?? {};
  const names = (list) => (list ?? []).map((name) => name ?? "someone").join(", ");
  switch (step.kind) {
    case "created":
      return d.column ? `created this in ${d.column}` : "created this";
    case "moved":
      return `moved this from ${d.from ?? "a deleted column"} to ${d.to ?? "a deleted column"}`;
    case "renamed":
      return `renamed this from “${d.from}” to “${d.to}”`;
    case "assigned": {
      const parts = [];
      if (d.added?.length) parts.push(`assigned ${names(d.added)}`);
      if (d.removed?.length) parts.push(`unassigned ${names(d.removed)}`);
      return parts.join(" and ") || "changed who is assigned";
    }
    case "dated":
      return d.due_on ? `set the due date to ${d.due_on}` : "removed the due date";
    case "labelled":
      return d.labels?.length ? `set the labels to ${d.labels.join(", ")}` : "removed the labels";
    default:
      return step.kind;
  }
}

/** Labels as typed in the dialog ("bug, ux") → ["bug", "ux"]. */
export function parseLabels(text) {
  return [...new Set(String(text).split(",").map((label) => label.trim()).filter(Boolean))];
}

/**
 * A card's details in a dialog on the board page: its title, description,
 * assignees, due date and labels are edited, comments read and written, its
 * activity read, and the card deleted there. The same form works without
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
        <p class="card-created"></p>
        <label>Title <input name="title" required maxlength="200"></label>
        <label>Description <textarea name="description" maxlength="4000" rows="4"></textarea></label>
        <fieldset class="assignee-choices"><legend>Assignees</legend><div class="choices"></div></fieldset>
        <label>Due date <input type="date" name="due_on"></label>
        <label>Labels <span class="muted">(up to 10, separated by commas)</span> <input name="labels" maxlength="300" autocomplete="off"></label>
        <div class="card-files-box">
          <h3 id="card-files-heading">Files</h3>
          <ul class="card-files" aria-labelledby="card-files-heading"></ul>
          <label class="attach button secondary">Attach files<input type="file" multiple class="visually-hidden"></label>
          <p class="card-upload muted" role="status" hidden><progress max="100" value="0" aria-label="Uploading"></progress> <span></span></p>
        </div>
        <div class="yours" hidden><h3>Your unsaved change</h3><p class="yours-title"></p><p class="yours-description description-text"></p><p class="yours-details"></p></div>
        <div class="form-actions">
          <button type="submit" value="save">Save</button>
          <button type="button" class="secondary" data-close>Close</button>
          <button type="button" class="danger" data-delete>Delete this card</button>
        </div>
      </form>
      <section class="card-discussion" aria-labelledby="card-comments-heading">
        <h3 id="card-comments-heading">Comments</h3>
        <ol class="card-comments"></ol>
        <form class="comment-form">
          <label>Add a comment <span class="muted">(Markdown)</span> <textarea name="body" required maxlength="4000" rows="3"></textarea></label>
          <button type="button" data-comment>Comment</button>
        </form>
        <h3 id="card-activity-heading">Activity</h3>
        <ol class="card-activity" aria-labelledby="card-activity-heading"></ol>
      </section>`;
    this.form = dialog.querySelector("form");
    this.note = dialog.querySelector(".error");
    this.yours = dialog.querySelector(".yours");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.commentForm = dialog.querySelector(".comment-form");
    this.commentForm.addEventListener("submit", (event) => event.preventDefault());
    this.commentForm.querySelector("[data-comment]").addEventListener("click", () => this.comment());
    this.commentList = dialog.querySelector(".card-comments");
    this.activityList = dialog.querySelector(".card-activity");
    this.fileList = dialog.querySelector(".card-files");
    const picker = dialog.querySelector("input[type=file]");
    picker.addEventListener("change", () => {
      this.attach([...picker.files]);
      picker.value = "";
    });
    dialog.querySelector("[data-close]").addEventListener("click", () => this.close());
    dialog.querySelector("[data-delete]").addEventListener("click", () => this.delete());
    dialog.addEventListener("close", () => this.returnFocus());
    return dialog;
  }

  /** Show a card as the board last placed it, and the version it belongs to; its comments and activity load. */
  open(element) {
    this.cardId = Number(element.dataset.cardId);
    const card = this.board.cards.get(this.cardId) ?? {
      id: this.cardId,
      version: Number(element.dataset.version),
      title: element.querySelector(".title").textContent.trim(),
      description: element.querySelector(".description")?.textContent ?? "",
    };
    this.show(card);
    this.tell(null);
    this.commentList.replaceChildren();
    this.activityList.replaceChildren();
    if (!this.dialog.open) this.dialog.showModal();
    this.form.elements.title.focus();
    this.loadMembers().then(() => this.showAssignees(this.board.cards.get(this.cardId) ?? card));
    this.loadComments();
    this.loadActivity();
    this.showFiles(null);
    this.loadFiles(this.cardId);
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

  /** Fill the form with a card's values. */
  show(card) {
    this.version = card.version;
    const fields = this.form.elements;
    fields.title.value = card.title;
    fields.description.value = card.description ?? "";
    fields.due_on.value = card.due_on ?? "";
    fields.labels.value = (card.labels ?? []).join(", ");
    const created = this.dialog.querySelector(".card-created");
    created.textContent = card.created_at
      ? `Created by ${card.created_by?.display_name ?? "someone"} on ${dateTimeText(new Date(card.created_at))}`
      : "";
    this.showAssignees(card);
  }

  async loadMembers() {
    if (this.members || !this.board.http) return;
    try {
      const response = await this.board.http.request(`/api/workspaces/${this.board.workspaceId}/members`);
      if (response.ok) this.members = await response.json();
    } catch {
      // the card's own assignees are still shown
    }
  }

  /** One checkbox per member of the workspace (and per assignee who may no longer be one), ticked for the assigned. */
  showAssignees(card) {
    const doc = this.documentRef;
    const assigned = new Set((card.assignees ?? []).map((user) => user.id));
    const people = new Map((this.members ?? []).map((user) => [user.id, user]));
    for (const user of card.assignees ?? []) if (!people.has(user.id)) people.set(user.id, user);
    const box = this.dialog.querySelector(".assignee-choices .choices");
    box.replaceChildren(
      ...[...people.values()].map((user) => {
        const label = doc.createElement("label");
        label.className = "assignee-choice";
        const input = doc.createElement("input");
        input.type = "checkbox";
        input.name = "assignees";
        input.value = user.id;
        input.checked = assigned.has(user.id);
        const name = doc.createElement("span");
        name.textContent = user.display_name;
        label.append(input, drawAvatar(doc.createElement("span"), user, doc), name);
        return label;
      }),
    );
  }

  async loadComments() {
    const id = this.cardId;
    try {
      const response = await this.board.http.request(`/api/cards/${id}/comments`);
      if (!response.ok || id !== this.cardId) return;
      for (const comment of await response.json()) this.addComment(comment);
    } catch {
      // shown as they arrive
    }
  }

  async loadActivity() {
    const id = this.cardId;
    try {
      const response = await this.board.http.request(`/api/cards/${id}/activity`);
      if (!response.ok || id !== this.cardId) return;
      const doc = this.documentRef;
      this.activityList.replaceChildren(
        ...(await response.json()).map((step) => {
          const item = doc.createElement("li");
          const when = doc.createElement("time");
          when.dateTime = step.created_at;
          when.textContent = dateTimeText(new Date(step.created_at));
          item.append(`${step.actor?.display_name ?? "Someone"} ${activityText(step)} · `, when);
          return item;
        }),
      );
    } catch {
      // the rest of the dialog works without it
    }
  }

  /** A comment in the list, once: its HTML was rendered and sanitized by the server, as a message's is. */
  addComment(comment) {
    if (this.commentList.querySelector(`[data-comment-id="${comment.id}"]`)) return;
    const doc = this.documentRef;
    const item = doc.createElement("li");
    item.dataset.commentId = comment.id;
    const head = doc.createElement("div");
    head.className = "comment-head";
    const when = doc.createElement("time");
    when.dateTime = comment.created_at;
    when.textContent = dateTimeText(new Date(comment.created_at));
    head.append(drawAvatar(doc.createElement("span"), comment.author, doc), `${comment.author.display_name} · `, when);
    const body = doc.createElement("div");
    body.className = "comment-body";
    body.innerHTML = comment.html;
    item.append(head, body);
    this.commentList.append(item);
  }

  /** A `card.comment` event: shown at once when its card is open. */
  commented(comment) {
    if (this.dialog.open && comment.card_id === this.cardId) this.addComment(comment);
  }

  async comment() {
    const field = this.commentForm.elements.body;
    const body = field.value.trim();
    if (!body) return;
    const button = this.commentForm.querySelector("button");
    button.disabled = true;
    try {
      const response = await this.board.http.request(`/api/cards/${this.cardId}/comments`, { method: "POST", body: { body } });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.message);
      field.value = "";
      this.addComment(answer);
    } catch (error) {
      this.tell(`Comment not sent: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  close() {
    this.dialog.close();
  }

  returnFocus() {
    const element = this.cardId !== null && this.board.find(this.cardId);
    this.cardId = null;
    element?.querySelector(".title")?.focus();
  }

  typed() {
    const fields = this.form.elements;
    const assignees = [...this.form.querySelectorAll("input[name=assignees]:checked")].map((input) => Number(input.value));
    return {
      title: fields.title.value.trim(),
      description: fields.description.value,
      assignees,
      due_on: fields.due_on.value || null,
      labels: parseLabels(fields.labels.value),
    };
  }

  save() {
    const typed = this.typed();
    if (!typed.title) {
      this.tell("A card needs a title.");
      return;
    }
    if (typed.labels.length > 10 || typed.labels.some((label) => label.length > 24)) {
      this.tell("Up to 10 labels, of at most 24 characters each.");
      return;
    }
    const data = { op: "card.update", card_id: this.cardId, version: this.version, ...typed };
    this.board.channel
      .push(data, { busy: (on) => this.busy(on) })
      .receive("ok", (ack) => {
        this.board.place(ack.card);
        this.close();
      })
      .receive("error", (error) => this.lost(error, typed));
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
      this.show(current);
      this.loadActivity();
      this.tell(
        typed
          ? "Someone else changed this card while you were editing it. This is the card as it is now; your change was not saved and is shown below: make it again here and save."
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
    if (change.op === "place" && change.card.id === this.cardId) this.loadActivity();
  }

  tell(text, typed = null) {
    this.note.textContent = text ?? "";
    this.note.hidden = !text;
    this.yours.hidden = !typed;
    if (typed) {
      this.yours.querySelector(".yours-title").textContent = `Title: ${typed.title}`;
      this.yours.querySelector(".yours-description").textContent = `Description: ${typed.description}`;
      const names = (typed.assignees ?? []).map((id) => (this.members ?? []).find((user) => user.id === id)?.display_name ?? `#${id}`);
      this.yours.querySelector(".yours-details").textContent = typed.labels
        ? `Assignees: ${names.join(", ") || "nobody"} · Due: ${typed.due_on ?? "none"} · Labels: ${typed.labels.join(", ") || "none"}`
        : "";
    }
  }

  busy(on) {
    for (const button of this.form.querySelectorAll("button")) button.disabled = on;
  }
}
