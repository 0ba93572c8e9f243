/**
 * A board's own columns, on the page: any member adds one (at the end), renames it, moves it left or
 * right (buttons, or by dragging its header) and deletes it once it is empty. Each change goes over
 * HTTP; the `column.*` events of the board's topic draw everyone's changes, this person's included.
 */
export class ColumnControls {
  constructor({ board, ask }) {
    Object.assign(this, { board, ask });
    const root = board.root;
    this.dragged = null;
    root.addEventListener("click", (event) => {
      const action = event.target.closest("[data-column-action]");
      const move = event.target.closest("[data-column-move]");
      const column = (action ?? move)?.closest("[data-column-id]");
      if (!column) return;
      if (move) this.move(column, move.dataset.columnMove === "prev" ? -1 : 1);
      else if (action.dataset.columnAction === "rename") this.editName(column, true);
      else if (action.dataset.columnAction === "cancel") this.editName(column, false);
      else if (action.dataset.columnAction === "delete") this.delete(column);
    });
    root.addEventListener("submit", (event) => {
      const rename = event.target.closest("form.rename-column");
      const add = event.target.closest("form#add-column");
      if (!rename && !add) return;
      event.preventDefault();
      if (rename) this.rename(rename.closest("[data-column-id]"), rename.elements.name.value.trim());
      else this.add(add);
    });
    root.addEventListener("keydown", (event) => {
      const form = event.target.closest("form.rename-column");
      if (form && event.key === "Escape") {
        event.preventDefault();
        this.editName(form.closest("[data-column-id]"), false);
      }
    });
    for (const head of root.querySelectorAll(".column-head")) head.draggable = true;
    root.addEventListener("dragstart", (event) => this.dragStart(event));
    root.addEventListener("dragover", (event) => this.dragOver(event));
    root.addEventListener("drop", (event) => this.drop(event));
    root.addEventListener("dragend", () => this.dragEnd());
  }

  async call(path, method, body) {
    const response = await this.board.http.request(path, { method, body });
    const answer = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw Object.assign(new Error(answer?.message ?? `HTTP ${response.status}`), { code: answer?.error });
    return answer;
  }

  async add(form) {
    const field = form.elements.name;
    const name = field.value.trim();
    if (!name) return;
    try {
      const column = await this.call(`/api/boards/${this.board.boardId}/columns`, "POST", { name });
      field.value = "";
      this.created(column);
      this.board.say(`Column “${column.name}” added.`);
    } catch (error) {
      this.board.say(`Could not add the column: ${error.message}`);
    }
  }

  editName(column, on) {
    const form = column.querySelector("form.rename-column");
    const heading = column.querySelector("h2");
    form.hidden = !on;
    heading.hidden = on;
    column.querySelector(".column-actions").hidden = on;
    if (on) {
      form.elements.name.value = heading.textContent;
      form.elements.name.focus();
      form.elements.name.select();
    } else {
      column.querySelector("[data-column-action=rename]").focus();
    }
  }

  async rename(column, name) {
    if (!name) return;
    try {
      this.updated(await this.call(`/api/columns/${column.dataset.columnId}`, "PATCH", { name }));
      this.editName(column, false);
    } catch (error) {
      this.board.say(`Could not rename the column: ${error.message}`);
    }
  }

  async move(column, step, position = null) {
    const index = this.board.columns().indexOf(column);
    const target = position ?? index + step;
    if (target < 0 || target === index) return;
    const button = column.querySelector(`[data-column-move=${step < 0 ? "prev" : "next"}]`);
    try {
      this.updated(await this.call(`/api/columns/${column.dataset.columnId}`, "PATCH", { position: target }));
      if (position === null) {
        const other = column.querySelector(`[data-column-move=${step < 0 ? "next" : "prev"}]`);
        (button && !button.disabled ? button : other)?.focus(); // a keyboard user stays on the column moved
      }
    } catch (error) {
      this.board.say(`Could not move the column: ${error.message}`);
    }
  }

  async delete(column) {
    const name = column.querySelector("h2").textContent;
    if (!this.ask(`Delete the column “${name}”?`)) return;
    try {
      await this.call(`/api/columns/${column.dataset.columnId}`, "DELETE");
      this.deleted(Number(column.dataset.columnId));
      this.board.say(`Column “${name}” deleted.`);
    } catch (error) {
      this.board.say(
        error.code === "conflict" ? `“${name}” still holds cards: move or delete them first.` : `Could not delete the column: ${error.message}`,
      );
    }
  }

  onEvent(frame) {
    if (frame.event === "column.created") this.created(frame.data);
    else if (frame.event === "column.updated") this.updated(frame.data);
    else if (frame.event === "column.deleted") this.deleted(frame.data.id);
  }

  find(id) {
    return this.board.root.querySelector(`[data-column-id="${id}"]`);
  }

  created(column) {
    if (this.find(column.id)) return;
    const template = this.board.documentRef.getElementById("column-template");
    const section = template.content.firstElementChild.cloneNode(true);
    section.dataset.columnId = column.id;
    section.setAttribute("aria-labelledby", `column-${column.id}`);
    section.querySelector("h2").id = `column-${column.id}`;
    section.querySelector(".column-head").draggable = true;
    const rename = section.querySelector("form.rename-column");
    rename.querySelector("input").id = `rename-${column.id}`;
    rename.querySelector("label").htmlFor = `rename-${column.id}`;
    section.querySelector("input[name=column_id]").value = column.id;
    this.board.root.insertBefore(section, this.board.root.querySelector("#add-column"));
    this.updated(column);
  }

  /** A column's name and place as the server says (position among the board's columns). */
  updated(column) {
    const section = this.find(column.id);
    if (!section) return;
    section.querySelector("h2").textContent = column.name;
    const others = this.board.columns().filter((other) => other !== section);
    const before = others[column.position] ?? this.board.root.querySelector("#add-column");
    if (section.nextElementSibling !== before) {
      const focused = section.contains(this.board.documentRef.activeElement) ? this.board.documentRef.activeElement : null;
      this.board.root.insertBefore(section, before);
      focused?.focus();
    }
    this.board.refreshButtons();
  }

  deleted(id) {
    this.find(id)?.remove();
    this.board.refreshButtons();
  }

  /** Label a column's buttons with its name; the ends cannot move outwards; one holding cards cannot be deleted. */
  refresh(section, index, count, cardCount) {
    const name = section.querySelector("h2")?.textContent ?? "";
    const set = (selector, label, disabled) => {
      const button = section.querySelector(selector);
      if (!button) return;
      button.setAttribute("aria-label", label);
      button.disabled = disabled;
    };
    set("[data-column-action=rename]", `Rename column “${name}”`, false);
    set("[data-column-move=prev]", `Move column “${name}” left`, index === 0);
    set("[data-column-move=next]", `Move column “${name}” right`, index === count - 1);
    set("[data-column-action=delete]", cardCount ? `Delete column “${name}” (only once it is empty)` : `Delete column “${name}”`, cardCount > 0);
    const field = section.querySelector("form.add-card input[name=title]");
    field?.setAttribute("aria-label", `New card in ${name}`);
  }

  dragStart(event) {
    const head = event.target.closest?.(".column-head");
    if (!head || event.target.closest("[data-card-id]")) return;
    this.dragged = head.closest("[data-column-id]");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", this.dragged.querySelector("h2").textContent);
    this.dragged.classList.add("dragging");
    event.stopPropagation();
  }

  dragOver(event) {
    if (!this.dragged) return;
    if (event.target.closest?.("[data-column-id]")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  drop(event) {
    const column = this.dragged;
    if (!column) return;
    const over = event.target.closest?.("[data-column-id]");
    this.dragEnd();
    if (!over || over === column) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const index = this.board.columns().indexOf(over);
    this.move(column, 0, index);
  }

  dragEnd() {
    this.dragged?.classList.remove("dragging");
    this.dragged = null;
  }
}
