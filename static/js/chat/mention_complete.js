/**
 * `@` in the composer: a list of the people who may read the channel (and `@channel`), narrowed as
 * the name is typed. ArrowUp/ArrowDown choose, Enter or Tab put the choice in, Escape closes; a click
 * does the same as Enter. The list is `#mention-suggestions`, a listbox the textarea controls.
 *
 * Its keys are heard before the composer's own (capture), so Enter picks a name instead of sending.
 */
const MAX_SHOWN = 8;

export class MentionComplete {
  constructor({ field, list, loadPeople, userId, documentRef = globalThis.document }) {
    Object.assign(this, { field, list, loadPeople, userId, documentRef });
    this.loading = null; // the people, asked for at the first `@`
    this.shown = [];
    this.active = 0;
    this.query = null;
    field.addEventListener("input", () => this.update());
    field.addEventListener("keydown", (event) => this.onKey(event), { capture: true });
    field.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    list.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the textarea
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[data-username]");
      if (option) this.pick(option.dataset.username);
    });
  }

  async update() {
    const query = mentionQuery(this.field.value, this.field.selectionStart);
    this.query = query;
    if (!query) return this.close();
    this.loading ??= this.loadPeople().catch(() => {
      this.loading = null; // tried again at the next `@`
      return [];
    });
    const people = await this.loading;
    if (this.query !== query) return undefined; // typed on meanwhile: that input draws
    this.shown = suggestions(people, query.text, this.userId);
    this.active = 0;
    return this.draw();
  }

  draw() {
    if (!this.shown.length) return this.close();
    const doc = this.documentRef;
    const options = this.shown.map((person, index) => {
      const option = doc.createElement("li");
      option.id = `mention-option-${index}`;
      option.setAttribute("role", "option");
      option.dataset.username = person.username;
      option.setAttribute("aria-selected", String(index === this.active));
      const name = doc.createElement("span");
      name.textContent = person.display_name;
      const handle = doc.createElement("span");
      handle.className = "muted";
      handle.textContent = ` @${person.username}`;
      option.append(name, handle);
      return option;
    });
    this.list.replaceChildren(...options);
    this.list.hidden = false;
    this.field.setAttribute("aria-activedescendant", `mention-option-${this.active}`);
    return undefined;
  }

  get open() {
    return !this.list.hidden && this.shown.length > 0;
  }

  onKey(event) {
    if (!this.open) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      this.active = (this.active + moves[event.key] + this.shown.length) % this.shown.length;
      this.draw();
    } else if (event.key === "Enter" || event.key === "Tab") {
      this.pick(this.shown[this.active].username);
    } else if (event.key === "Escape") {
      this.close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  pick(username) {
    const query = mentionQuery(this.field.value, this.field.selectionStart);
    if (!query) return this.close();
    const { text, caret } = insertMention(this.field.value, query, username);
    this.field.value = text;
    this.field.setSelectionRange(caret, caret);
    const InputEvent = this.documentRef.defaultView?.Event ?? globalThis.Event;
    this.field.dispatchEvent(new InputEvent("input", { bubbles: true })); // the draft is kept, typing announced
    this.close();
    this.field.focus();
    return undefined;
  }

  close() {
    this.shown = [];
    this.list.hidden = true;
    this.list.replaceChildren();
    this.field.removeAttribute("aria-activedescendant");
  }
}

// The decisions, on plain data.

/**
 * The `@name` being typed at the caret: {start (the `@`'s index), text (what follows it)}, or null
 * when the caret is not in one (an address like a@b.c is not a mention).
 */
export function mentionQuery(value, caret) {
  const before = value.slice(0, caret);
  const match = /(^|[^\w@.-])@([a-z0-9_.-]{0,32})$/i.exec(before);
  if (!match) return null;
  return { start: caret - match[2].length - 1, text: match[2].toLowerCase(), end: caret };
}

/** Who matches the typed text: usernames or display names starting with it (then containing it), not oneself. */
export function suggestions(people, text, selfId = null) {
  const candidates = [...people.filter((p) => p.id !== selfId), { id: 0, username: "channel", display_name: "Everyone here" }];
  const starts = [];
  const contains = [];
  for (const person of candidates) {
    const names = [person.username.toLowerCase(), person.display_name.toLowerCase()];
    if (names.some((name) => name.startsWith(text) || name.split(/\s+/).some((word) => word.startsWith(text)))) starts.push(person);
    else if (names.some((name) => name.includes(text))) contains.push(person);
  }
  return [...starts, ...contains].slice(0, MAX_SHOWN);
}

/** The value with `@username ` in place of the typed query, and where the caret goes after it. */
export function insertMention(value, query, username) {
  const inserted = `@${username} `;
  const rest = value.slice(query.end).replace(/^[a-z0-9_.-]*/i, "").replace(/^ /, "");
  return { text: value.slice(0, query.start) + inserted + rest, caret: query.start + inserted.length };
}

/** Mentions of the viewer stand out (`.mention.me`): those on the page, and those that arrive later. */
export function highlightMine(list, userId, Observer = globalThis.MutationObserver) {
  if (!list) return;
  const mark = () => {
    for (const span of list.querySelectorAll(`.mention[data-user-id="${userId}"]:not(.me)`)) span.classList.add("me");
  };
  mark();
  if (Observer) new Observer(mark).observe(list, { childList: true, subtree: true });
}
