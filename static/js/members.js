import { avatarElement } from "./avatar.js";

/**
 * The member list of the workspace page: an online dot per member, members added or removed by
 * others appear and go live.
 */
export class MemberList {
  constructor({ root, userId, workspaceId, documentRef = globalThis.document }) {
    Object.assign(this, { root, userId, workspaceId, documentRef });
    this.ownerId = Number(root.dataset.ownerId);
    this.online = new Set(); // Remove and Leave ask first: forms.js asks every form[data-confirm]
  }

  showOnline(ids) {
    this.online = ids;
    for (const item of this.root.querySelectorAll("[data-user-id]")) this.mark(item);
  }

  mark(item) {
    const online = this.online.has(Number(item.dataset.userId));
    item.dataset.online = String(online);
    const note = item.querySelector(".online-note");
    if (note) note.textContent = online ? " (online)" : " (offline)";
  }

  /** A member.added or member.removed event of the workspace topic. */
  changed(kind, user) {
    const existing = this.root.querySelector(`[data-user-id="${user.id}"]`);
    if (kind === "member.removed") {
      existing?.remove();
      return;
    }
    if (existing) return;
    const doc = this.documentRef;
    const item = doc.createElement("li");
    item.dataset.userId = user.id;
    const dot = doc.createElement("span");
    dot.className = "dot";
    dot.setAttribute("aria-hidden", "true");
    const name = doc.createElement("span");
    name.className = "member-name";
    const handle = doc.createElement("span");
    handle.className = "muted";
    handle.textContent = `@${user.username}`;
    const note = doc.createElement("span");
    note.className = "online-note visually-hidden";
    name.append(`${user.display_name} `, handle, note);
    item.append(dot, avatarElement(user, doc), name);
    if (this.ownerId === this.userId) item.append(this.removeForm(user));
    this.root.append(item);
    this.mark(item);
  }

  removeForm(user) {
    const doc = this.documentRef;
    const form = doc.createElement("form");
    form.method = "post";
    form.action = `/w/${this.workspaceId}/members/${user.id}/remove`;
    form.className = "member-action";
    form.dataset.confirm = `Remove ${user.display_name}?`;
    const csrf = doc.createElement("input");
    csrf.type = "hidden";
    csrf.name = "csrf_token";
    csrf.dataset.csrfCookie = "csrf_access_token";
    const button = doc.createElement("button");
    button.type = "submit";
    button.className = "secondary";
    button.dataset.action = "remove";
    button.textContent = "Remove";
    button.setAttribute("aria-label", `Remove ${user.display_name}`);
    form.append(csrf, button);
    return form;
  }
}
