/** Who is online in a workspace: `#presence`, one element per user with data-user-id. */
export class PresenceList {
  constructor({ root, socket, documentRef = globalThis.document }) {
    Object.assign(this, { root, socket, documentRef });
    this.topic = `presence:${root.dataset.workspaceId}`;
    socket.subscribe(this.topic, { handler: (frame) => this.onFrame(frame) });
  }

  onFrame(frame) {
    if (frame.type === "presence_state") {
      this.root.replaceChildren(...frame.users.map((user) => this.render(user)));
    } else if (frame.type === "presence_diff") {
      for (const user of frame.leaves) this.root.querySelector(`[data-user-id="${user.id}"]`)?.remove();
      for (const user of frame.joins) {
        if (!this.root.querySelector(`[data-user-id="${user.id}"]`)) this.root.append(this.render(user));
      }
    }
  }

  render(user) {
    const item = this.documentRef.createElement("li");
    item.dataset.userId = user.id;
    item.textContent = user.display_name;
    return item;
  }
}
