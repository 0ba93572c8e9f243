import { dropPosition } from "./changes.js";

/**
 * Drag and drop of cards, between columns and within one. The drop sends the
 * position among the other cards of the target column; a marker shows where
 * the card will land. Without a pointer, the move buttons do the same job.
 */
export class CardDrag {
  constructor({ board }) {
    this.board = board;
    this.dragged = null;
    this.marker = board.documentRef.createElement("li");
    this.marker.className = "drop-marker";
    this.marker.setAttribute("aria-hidden", "true");
    const root = board.root;
    for (const card of root.querySelectorAll("[data-card-id]")) card.draggable = true;
    root.addEventListener("dragstart", (event) => this.start(event));
    root.addEventListener("dragover", (event) => this.over(event));
    root.addEventListener("drop", (event) => this.drop(event));
    root.addEventListener("dragend", () => this.end());
  }

  start(event) {
    const card = event.target.closest?.("[data-card-id]");
    if (!card || card.dataset.pending !== undefined) return;
    this.dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.querySelector(".title")?.textContent ?? "");
    card.classList.add("dragging");
  }

  /** Where the card would land: the column's list and the 0-based position among its other cards. */
  target(event) {
    const list = event.target.closest?.("[data-column-id]")?.querySelector(".cards");
    if (!list) return null;
    const others = [...list.querySelectorAll("[data-card-id]")].filter((card) => card !== this.dragged);
    const middles = others.map((card) => {
      const box = card.getBoundingClientRect();
      return box.top + box.height / 2;
    });
    return { list, others, position: dropPosition(middles, event.clientY) };
  }

  over(event) {
    if (!this.dragged) return;
    const target = this.target(event);
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.list.insertBefore(this.marker, target.others[target.position] ?? null);
  }

  drop(event) {
    const card = this.dragged;
    const target = card && this.target(event);
    this.end();
    if (!target) return;
    event.preventDefault();
    const columnId = Number(target.list.closest("[data-column-id]").dataset.columnId);
    const from = card.closest("[data-column-id]");
    const unchanged =
      Number(from.dataset.columnId) === columnId &&
      [...target.list.querySelectorAll("[data-card-id]")].indexOf(card) === target.position;
    if (unchanged) return;
    target.list.insertBefore(card, target.others[target.position] ?? null); // shown at once, confirmed by the ack
    this.board.publishMove(card, columnId, target.position);
  }

  end() {
    this.dragged?.classList.remove("dragging");
    this.dragged = null;
    this.marker.remove();
  }
}
