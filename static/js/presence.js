import { avatarElement } from "./avatar.js";

/**
 * Who is online in a workspace: `#presence`, one element per user with data-user-id.
 * `onChange(ids)` hears the set of online user ids after every change (the member list's dots).
 */
export class PresenceList {
  constructor({ root, socket, documentRef = globalThis.document, onChange = () => {} }) {
    Object.assign(this, { root, socket, documentRef, onChange });
    this.topic = `presence:${root.dataset.workspaceId}`;
    const onFrame = (frame) => this.onFrame(frame);
    socket
      .channel(this.topic)
      .on("presence_state", onFrame)
      .on("presence_diff", onFrame)
      .on("unsubscribed", onFrame)
      .onResync(() => {}) // presence has no log to replay: every join is answered with the whole state
      .join();
  }

  onFrame(frame) {
    if (frame.type === "presence_state") {
      this.root.replaceChildren(...frame.users.map((user) => this.render(user)));
    } else if (frame.type === "presence_diff") {
      for (const user of frame.leaves) this.root.querySelector(`[data-user-id="${user.id}"]`)?.remove();
      for (const user of frame.joins) {
        if (!this.root.querySelector(`[data-user-id="${user.id}"]`)) this.root.append(this.render(user));
      }
    } else if (frame.type === "unsubscribed") {
      this.root.replaceChildren(); // removed from the workspace: its presence is no longer ours to see
    } else {
      return;
    }
    this.onChange(new Set([...this.root.querySelectorAll("[data-user-id]")].map((item) => Number(item.dataset.userId))));
  }

  render(user) {
    const item = this.documentRef.createElement("li");
    item.dataset.userId = user.id;
    item.title = user.display_name; // the whole name, where the sidebar cuts it short
    const dot = this.documentRef.createElement("span");
    dot.className = "dot";
    dot.setAttribute("aria-hidden", "true");
    const name = this.documentRef.createElement("span");
    name.className = "name";
    name.textContent = user.display_name;
    item.append(dot, avatarElement(user, this.documentRef), name);
    return item;
  }
}
