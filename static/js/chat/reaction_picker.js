/**
 * The popup behind a message's "Add a reaction" button: the server's fixed set
 * of emoji as a menu. It opens focused on its first emoji; arrow keys move
 * (up and down by a row), Home and End go to the ends, Enter or a click picks,
 * and Escape, Tab or a click elsewhere closes it and gives focus back to the
 * button that opened it. `onPick(item, emoji)` gets the message and the emoji.
 */
export class ReactionPicker {
  constructor({ menu, onPick, documentRef = globalThis.document }) {
    Object.assign(this, { menu, onPick, documentRef });
    this.opener = null;
    this.item = null;
    menu.addEventListener("click", (event) => {
      const choice = event.target.closest("[data-emoji]");
      if (!choice) return;
      const item = this.item;
      this.close();
      if (item) this.onPick(item, choice.dataset.emoji);
    });
    menu.addEventListener("keydown", (event) => this.onKey(event));
    documentRef.addEventListener("pointerdown", (event) => {
      if (this.isOpen() && !menu.contains(event.target) && event.target !== this.opener) this.close({ refocus: false });
    });
  }

  choices() {
    return [...this.menu.querySelectorAll("[data-emoji]")];
  }

  isOpen() {
    return !this.menu.hidden;
  }

  /** Open beside `opener`, the react button of message `item`; a second press of the same button closes it. */
  toggle(opener, item) {
    if (this.isOpen() && this.opener === opener) {
      this.close();
      return;
    }
    if (this.isOpen()) this.close({ refocus: false });
    this.opener = opener;
    this.item = item;
    opener.setAttribute("aria-expanded", "true");
    this.menu.hidden = false;
    this.place(opener);
    this.focusAt(0);
  }

  close({ refocus = true } = {}) {
    if (!this.isOpen()) return;
    this.menu.hidden = true;
    const opener = this.opener;
    opener?.setAttribute("aria-expanded", "false");
    this.opener = null;
    this.item = null;
    if (refocus && opener?.isConnected) opener.focus();
  }

  /** Below the button where it fits, else above it; never past the window's edges. */
  place(opener) {
    const view = this.documentRef.defaultView;
    if (!opener.getBoundingClientRect || !view) return;
    const button = opener.getBoundingClientRect();
    const box = this.menu.getBoundingClientRect();
    const margin = 8;
    const below = button.bottom + 4;
    const top = below + box.height <= view.innerHeight - margin ? below : Math.max(margin, button.top - 4 - box.height);
    const left = Math.min(Math.max(margin, button.left), Math.max(margin, view.innerWidth - box.width - margin));
    this.menu.style.top = `${top}px`;
    this.menu.style.left = `${left}px`;
  }

  focusAt(index) {
    const choices = this.choices();
    choices.forEach((choice, at) => choice.setAttribute("tabindex", at === index ? "0" : "-1"));
    choices[index]?.focus();
  }

  onKey(event) {
    if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      this.close();
      return;
    }
    const choices = this.choices();
    const at = choices.indexOf(this.documentRef.activeElement);
    const next = movedIndex(event.key, at, choices.length, this.columns());
    if (next === null) return;
    event.preventDefault();
    this.focusAt(next);
  }

  /** How many emoji a row holds as laid out now (the grid wraps on a narrow screen). */
  columns() {
    const choices = this.choices();
    if (!choices[0]?.getBoundingClientRect) return choices.length;
    const top = choices[0].getBoundingClientRect().top;
    const inRow = choices.filter((choice) => choice.getBoundingClientRect().top === top).length;
    return Math.max(1, inRow);
  }
}

// The picker's decisions, on plain data.

/** Where focus goes in a grid of `count` choices, `columns` a row, on a key; null for a key that does not move it. */
export function movedIndex(key, at, count, columns) {
  if (count === 0) return null;
  const from = Math.max(0, at);
  switch (key) {
    case "ArrowRight":
      return (from + 1) % count;
    case "ArrowLeft":
      return (from - 1 + count) % count;
    case "ArrowDown":
      return from + columns < count ? from + columns : from % columns;
    case "ArrowUp": {
      if (from - columns >= 0) return from - columns;
      const lastRowStart = Math.floor((count - 1) / columns) * columns;
      return Math.min(lastRowStart + (from % columns), count - 1);
    }
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/** The emoji of a message's chips that are the viewer's own: picking one of them again takes it back. */
export function pressedReactions(item) {
  return [...item.querySelectorAll(".reactions [data-reaction][aria-pressed=true]")].map((chip) => chip.dataset.reaction);
}
