import { drawAvatar } from "./avatar.js";
import { dueState, dueText, filterChoices, labelColour, matches, today } from "./board_filters.js";
import { CardDetails } from "./card_details.js";
import { CardDrag } from "./card_drag.js";
import { cardChange } from "./changes.js";
import { ColumnControls } from "./board_columns.js";

/**
 * A board page: cards move live for everyone, by drag and drop or by the move
 * buttons (which keep keyboard focus on the moved card: ← → between columns,
 * ↑ ↓ within one), and open in a details dialog to be edited, assigned, dated,
 * labelled, commented on or deleted. The team's own columns are added,
 * renamed, ordered and deleted (board_columns.js). Every card change publishes
 * over the socket; one that lost a race shows the card as it really is now,
 * with a note. Filters show the cards of one assignee, one label or this week.
 */
export class BoardView {
  constructor({ root, socket, http, documentRef = globalThis.document, ask = (question) => globalThis.confirm(question), timeZone }) {
    Object.assign(this, { root, socket, http, documentRef, timeZone });
    this.boardId = Number(root.dataset.boardId);
    this.workspaceId = Number(root.dataset.workspaceId);
    this.userId = Number(root.dataset.userId);
    this.cards = new Map(); // id → the card as last placed
    const state = documentRef.getElementById("board-state");
    if (state) {
      for (const column of JSON.parse(state.textContent).columns) for (const card of column.cards) this.cards.set(card.id, card);
    }
    this.filters = documentRef.getElementById("board-filters");
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
    this.columnControls = new ColumnControls({ board: this, ask });
    this.filters?.addEventListener("change", () => this.applyFilters());
    this.filters?.addEventListener("submit", (event) => event.preventDefault());
    for (const card of this.cards.values()) this.fill(this.find(card.id), card);
    this.refreshFilterChoices();
    this.channel = socket.channel(this.topic, { since: Number(root.dataset.seq) }).on("event", (frame) => this.onEvent(frame)).join();
  }

  today() {
    return today({ timeZone: this.timeZone });
  }

  cardPath(id) {
    return `/w/${this.workspaceId}/b/${this.boardId}/cards/${id}`;
  }

  columns() {
    return [...this.root.querySelectorAll("[data-column-id]")];
  }

  move(card, direction) {
    if (direction === "up" || direction === "down") {
      const list = card.closest(".cards");
      const index = [...list.querySelectorAll("[data-card-id]")].indexOf(card) + (direction === "up" ? -1 : 1);
      if (index < 0) return;
      this.publishMove(card, Number(card.closest("[data-column-id]").dataset.columnId), index).settled.then(() =>
        this.keepFocus(card, direction),
      );
      return;
    }
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
    const opposite = { prev: "next", next: "prev", up: "down", down: "up" }[direction];
    const pressed = card.querySelector(`button[data-move=${direction}]`);
    const other = card.querySelector(`button[data-move=${opposite}]`);
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
    if (frame.type === "event" && frame.event?.startsWith("column.")) {
      this.columnControls.onEvent(frame);
      this.refreshButtons();
      return;
    }
    if (frame.type === "event" && frame.event === "card.comment" && !frame.data?.redacted) {
      const card = this.cards.get(frame.data.card_id);
      if (card) {
        card.comment_count = (card.comment_count ?? 0) + 1;
        this.fill(this.find(card.id), card);
      }
      this.details.commented(frame.data);
      return;
    }
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
    this.cards.delete(id);
    this.refreshFilterChoices();
  }

  find(id) {
    return this.root.querySelector(`[data-card-id="${id}"]`);
  }

  /** Put a card where the server says it is (an event, an ack or a conflict's current card). */
  place(card) {
    const existing = this.find(card.id);
    if (existing && !replacesShown(card, Number(existing.dataset.version))) return;
    const element = existing ?? this.renderCard(card);
    delete element.dataset.pending;
    this.cards.set(card.id, { ...this.cards.get(card.id), ...card });
    this.fill(element, this.cards.get(card.id));
    const column = this.root.querySelector(`[data-column-id="${card.column_id}"] .cards`);
    if (!column) return;
    const focused = element.contains(this.documentRef.activeElement) ? this.documentRef.activeElement : null;
    const siblings = [...column.querySelectorAll("[data-card-id]")].filter((other) => other !== element);
    const before = siblings[slotIndex(card.position, siblings.length)] ?? null;
    if (element.parentNode !== column || element.nextElementSibling !== before) column.insertBefore(element, before);
    focused?.focus(); // moving an element drops its focus: a keyboard user keeps their place
    this.refreshButtons();
    this.refreshFilterChoices();
  }

  /** Draw a card's text, labels, due date, comment count and assignees on its element. */
  fill(element, card) {
    if (!element || !card) return;
    const doc = this.documentRef;
    element.dataset.version = card.version;
    element.querySelector("input[name=version]")?.setAttribute("value", card.version);
    element.querySelector(".title").textContent = card.title;
    const description = element.querySelector(".description");
    if (description && card.description !== undefined) {
      description.textContent = card.description;
      description.hidden = !card.description;
    }
    const labels = element.querySelector(".labels");
    if (labels && card.labels) {
      labels.replaceChildren(
        ...card.labels.map((label) => {
          const item = doc.createElement("li");
          item.className = "label";
          item.dataset.colour = labelColour(label);
          item.textContent = label;
          return item;
        }),
      );
      labels.hidden = !card.labels.length;
    }
    const due = element.querySelector(".due");
    if (due && card.due_on !== undefined) {
      const todayKey = this.today();
      const state = dueState(card.due_on, todayKey);
      due.hidden = !card.due_on;
      due.classList.toggle("overdue", state === "overdue");
      due.classList.toggle("soon", state === "soon");
      due.querySelector(".due-state").textContent = state === "overdue" ? "Overdue ·" : state === "soon" ? "Due soon ·" : "";
      due.querySelector(".due-text").textContent = card.due_on ? `Due ${dueText(card.due_on, todayKey)}` : "";
    }
    const count = element.querySelector(".comment-count");
    if (count && card.comment_count !== undefined) {
      count.hidden = !card.comment_count;
      count.querySelector(".count").textContent = card.comment_count;
    }
    const people = element.querySelector(".assignees");
    if (people && card.assignees) {
      people.replaceChildren(
        ...card.assignees.map((user) => {
          const item = doc.createElement("li");
          item.dataset.userId = user.id;
          item.title = user.display_name;
          const name = doc.createElement("span");
          name.className = "visually-hidden";
          name.textContent = user.display_name;
          item.append(drawAvatar(doc.createElement("span"), user, doc), name);
          return item;
        }),
      );
      people.hidden = !card.assignees.length;
    }
    element.hidden = !this.shows(card);
  }

  filterValues() {
    const form = this.filters;
    if (!form) return {};
    return {
      assignee: form.elements.assignee.value,
      label: form.elements.label.value,
      dueThisWeek: form.elements.due_week.checked,
    };
  }

  shows(card) {
    return matches(card, this.filterValues(), { userId: this.userId, todayKey: this.today() });
  }

  applyFilters() {
    for (const card of this.cards.values()) {
      const element = this.find(card.id);
      if (element) element.hidden = !this.shows(card);
    }
  }

  /** The filters' menus offer the labels and the people on the board's cards now (keeping what is chosen). */
  refreshFilterChoices() {
    const form = this.filters;
    if (!form) return;
    const { labels, people } = filterChoices(this.cards.values());
    const rebuild = (select, fixed, options) => {
      const chosen = select.value;
      select.replaceChildren(...fixed.map((option) => option.cloneNode(true)));
      for (const [value, text] of options) {
        const option = this.documentRef.createElement("option");
        option.value = value;
        option.textContent = text;
        select.append(option);
      }
      if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
    };
    const assignee = form.elements.assignee;
    this.fixedAssignee ??= [...assignee.options].slice(0, 3).map((option) => option.cloneNode(true));
    this.fixedLabel ??= [...form.elements.label.options].slice(0, 1).map((option) => option.cloneNode(true));
    rebuild(assignee, this.fixedAssignee, people.filter((user) => user.id !== this.userId).map((user) => [String(user.id), user.display_name]));
    rebuild(form.elements.label, this.fixedLabel, labels.map((label) => [label, label]));
    this.applyFilters();
  }

  renderCard(card) {
    const template = this.documentRef.getElementById("card-template");
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.cardId = card.id;
    item.draggable = true;
    item.querySelector(".title").href = this.cardPath(card.id);
    item.querySelector("form.moves")?.setAttribute("action", `${this.cardPath(card.id)}/move`);
    return item;
  }

  /** Enable the moves a card can make, each labelled with the card and where it goes ("Move “Fix login” to Done"). */
  refreshButtons() {
    const columns = this.columns();
    const names = columns.map((column) => column.querySelector("h2")?.textContent.trim() ?? "");
    columns.forEach((column, index) => {
      const cards = [...column.querySelectorAll("[data-card-id]")];
      for (const button of column.querySelectorAll("button[data-move]")) {
        const card = button.closest("[data-card-id]");
        const title = card?.querySelector(".title")?.textContent ?? "";
        const { disabled, label } = moveButton(names, index, button.dataset.move, title, cards.indexOf(card), cards.length);
        button.disabled = disabled;
        button.setAttribute("aria-label", label);
      }
      this.columnControls?.refresh(column, index, columns.length, cards.length);
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
export function moveButton(columnNames, index, direction, title, cardIndex = 0, cardCount = 1) {
  if (direction === "up") return { disabled: cardIndex <= 0, label: `Move “${title}” up` };
  if (direction === "down") return { disabled: cardIndex >= cardCount - 1, label: `Move “${title}” down` };
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
