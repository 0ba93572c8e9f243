import { CardDetails } from "./card_details.js";
import { CardDrag } from "./card_drag.js";
import { cardChange } from "./changes.js";

/**
 * A board page: cards move live for everyone, by drag and drop or by the move
 * buttons (which keep keyboard focus on the moved card), and open in a details
 * dialog to be edited or deleted. Every change publishes over the socket; one
 * that lost a race shows the card as it really is now, with a note.
 */
export class BoardView {
  constructor({ root, socket, documentRef = globalThis.document, ask = (question) => globalThis.confirm(question) }) {
    Object.assign(this, { root, socket, documentRef });
    this.boardId = Number(root.dataset.boardId);
    this.workspaceId = Number(root.dataset.workspaceId);
    this.topic = `board:${this.boardId}`;
    this.notice = documentRef.createElement("p");
    this.notice.className = "notice";
    this.notice.setAttribute("role", "status");
    this.notice.hidden = true;
    root.before(this.notice);
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-move]");
      if (!button) return;
      event.preventDefault();
      this.move(button.closest("[data-card-id]"), button.dataset.move);
    });
    root.addEventListener("submit", (event) => {
      const form = event.target.closest("form.add-card");
      if (!form) return;
      event.preventDefault();
      this.create(form);
    });
    this.details = new CardDetails({ board: this, documentRef, ask });
    this.drag = new CardDrag({ board: this });
    this.channel = socket.channel(this.topic, { since: Number(root.dataset.seq) }).on("event", (frame) => this.onEvent(frame)).join();
  }

  cardPath(id) {
    return `/w/${this.workspaceId}/b/${this.boardId}/cards/${id}`;
  }

  columns() {
    return [...this.root.querySelectorAll("[data-column-id]")];
  }

  move(card, direction) {
    const columns = this.columns();
    const to = columns[moveTarget(columns.indexOf(card.closest("[data-column-id]")), direction, columns.length)];
    if (!to) return;
    const position = to.querySelectorAll("[data-card-id]").length; // a moved card goes to the end
    this.publishMove(card, Number(to.dataset.columnId), position).settled.then(() => this.keepFocus(card, direction));
  }

  /** Move a card to a 0-based position among the other cards of a column; the card is pending until answered. */
  publishMove(card, columnId, position) {
    const data = {
      op: "card.move",
      card_id: Number(card.dataset.cardId),
      version: Number(card.dataset.version),
      column_id: columnId,
      position,
    };
    return this.channel
      .push(data, { pending: card })
      .receive("ok", (ack) => this.place(ack.card))
      .receive("error", (error) => this.refused(card, error));
  }

  /** After a keyboard move, focus stays on the card: on the button pressed, or its other one at the board's edge. */
  keepFocus(card, direction) {
    if (!card.isConnected) return;
    const pressed = card.querySelector(`button[data-move=${direction}]`);
    const other = card.querySelector(`button[data-move=${direction === "prev" ? "next" : "prev"}]`);
    (pressed && !pressed.disabled ? pressed : other && !other.disabled ? other : card.querySelector(".title"))?.focus();
  }

  create(form) {
    const field = form.querySelector("[name=title]");
    const title = field.value.trim();
    if (!title) return;
    field.value = "";
    const data = { op: "card.create", column_id: Number(form.closest("[data-column-id]").dataset.columnId), title };
    this.channel
      .push(data)
      .receive("ok", (ack) => this.place(ack.card))
      .receive("error", (error) => this.say(error.message));
  }

  refused(card, error) {
    const outcome = moveRefused(error);
    if (outcome.place) this.place(outcome.place);
    if (outcome.remove) card.remove();
    this.say(outcome.say);
  }

  say(text) {
    this.notice.textContent = text;
    this.notice.hidden = false;
  }

  onEvent(frame) {
    const change = cardChange(frame, (id) => {
      const shown = this.find(id);
      return shown ? Number(shown.dataset.version) : undefined;
    });
    if (change.op === "place") this.place(change.card);
    else if (change.op === "remove") this.remove(change.id);
    this.details.changed(change);
    this.refreshButtons();
  }

  remove(id) {
    this.find(id)?.remove();
  }

  find(id) {
    return this.root.querySelector(`[data-card-id="${id}"]`);
  }

  /** Put a card where the server says it is (an event, an ack or a conflict's current card). */
  place(card) {
    const existing = this.find(card.id);
    if (existing && !replacesShown(card, Number(existing.dataset.version))) return;
    const element = existing ?? this.renderCard(card);
    element.dataset.version = card.version;
    delete element.dataset.pending;
    element.querySelector(".title").textContent = card.title;
    const description = element.querySelector(".description");
    if (description && card.description !== undefined) {
      description.textContent = card.description;
      description.hidden = !card.description;
    }
    element.querySelector("input[name=version]")?.setAttribute("value", card.version);
    const column = this.root.querySelector(`[data-column-id="${card.column_id}"] .cards`);
    if (!column) return;
    const focused = element.contains(this.documentRef.activeElement) ? this.documentRef.activeElement : null;
    const siblings = [...column.querySelectorAll("[data-card-id]")].filter((other) => other !== element);
    const before = siblings[slotIndex(card.position, siblings.length)] ?? null;
    if (element.parentNode !== column || element.nextElementSibling !== before) column.insertBefore(element, before);
    focused?.focus(); // moving an element drops its focus: a keyboard user keeps their place
    this.refreshButtons();
  }

  renderCard(card) {
    const doc = this.documentRef;
    const item = doc.createElement("li");
    item.className = "kcard";
    item.dataset.cardId = card.id;
    item.draggable = true;
    const title = doc.createElement("a");
    title.className = "title";
    title.href = this.cardPath(card.id);
    const description = doc.createElement("p");
    description.className = "description";
    description.hidden = true;
    const moves = doc.createElement("div");
    moves.className = "moves";
    for (const [direction, arrow] of [["prev", "←"], ["next", "→"]]) {
      const button = doc.createElement("button");
      button.type = "button";
      button.dataset.move = direction;
      button.textContent = arrow; // labelled by refreshButtons once placed
      moves.append(button);
    }
    item.append(title, description, moves);
    return item;
  }

  /** Enable the moves a card can make, each labelled with the card and where it goes ("Move “Fix login” to Done"). */
  refreshButtons() {
    const columns = this.columns();
    const names = columns.map((column) => column.querySelector("h2")?.textContent.trim() ?? "");
    columns.forEach((column, index) => {
      for (const button of column.querySelectorAll("button[data-move]")) {
        const title = button.closest("[data-card-id]")?.querySelector(".title")?.textContent ?? "";
        const { disabled, label } = moveButton(names, index, button.dataset.move, title);
        button.disabled = disabled;
        button.setAttribute("aria-label", label);
      }
    });
  }
}

// The board's decisions, on plain data: the view above applies them to the page.

/** The column index a move button sends a card to, or null at the board's edge. */
export function moveTarget(from, direction, columnCount) {
  const to = from + (direction === "prev" ? -1 : 1);
  return from >= 0 && to >= 0 && to < columnCount ? to : null;
}

/** A move button's state: disabled at the edge, and labelled with the card and where it goes ("Move “Fix login” to Done"). */
export function moveButton(columnNames, index, direction, title) {
  const target = moveTarget(index, direction, columnNames.length);
  const where = target === null ? (direction === "prev" ? "left" : "right") : `to ${columnNames[target]}`;
  return { disabled: target === null, label: `Move “${title}” ${where}` };
}

/** A card from the server replaces the one shown unless the one shown is already newer (an ack arriving after a later event). */
export function replacesShown(card, shownVersion) {
  return !(shownVersion > card.version);
}

/** The index among a column's other cards before which a card at `position` goes (the end when past it). */
export function slotIndex(position, otherCount) {
  return Math.min(position, otherCount);
}

/** What a refused move does: a conflict shows the card where it really is, a deleted card goes. */
export function moveRefused(error) {
  if (error.code === "conflict" && error.frame?.current) {
    return { place: error.frame.current, say: "Someone else changed that card first; it now shows where it really is." };
  }
  if (error.code === "not_found") return { remove: true, say: "That card no longer exists." };
  return { say: `Could not move the card: ${error.message}` };
}
