/**
 * The sidebar of every workspace page: `#channels` and `#dms` (direct messages), each with `data-unread`
 * and `data-mentions` (the viewer's unread mentions there), and `#boards`, kept live.
 *
 * Channels and boards come, go and are renamed through the `workspace:<id>` topic, resumed from
 * the head the page was rendered at. Unread counts come from the server: any message event of a
 * channel other than the one on screen, a `read` frame (this user read somewhere else) or a
 * reconnect asks for the channel list again, so counts are never worked out twice in two places.
 */
import { avatarElement } from "./avatar.js";

const REFRESH_AFTER_MS = 150; // a burst of events makes one request

export class Sidebar {
  constructor({
    root,
    socket,
    http,
    documentRef = globalThis.document,
    goTo = (path) => globalThis.location.assign(path),
    reload = () => globalThis.location.reload(),
    setTimeout = globalThis.setTimeout.bind(globalThis),
    onMembers = () => {},
  }) {
    Object.assign(this, { root, socket, http, documentRef, goTo, reload, setTimeout, onMembers });
    this.workspaceId = Number(root.dataset.workspaceId);
    this.userId = Number(root.dataset.userId);
    this.currentChannel = Number(root.dataset.currentChannel || 0);
    this.currentBoard = Number(root.dataset.currentBoard || 0);
    this.channels = root.querySelector("#channels");
    this.dms = root.querySelector("#dms"); // absent on a page rendered before direct messages
    this.boards = root.querySelector("#boards");
    this.refreshTimer = null;
    this.opened = false;
    socket
      .channel(`workspace:${this.workspaceId}`, { since: Number(root.dataset.seq), reload })
      .on("event", (frame) => this.onWorkspaceFrame(frame))
      .on("unsubscribed", (frame) => this.onWorkspaceFrame(frame))
      .join();
    for (const item of root.querySelectorAll("#channels [data-channel-id], #dms [data-channel-id]")) {
      this.follow(Number(item.dataset.channelId), Number(item.dataset.seq));
    }
    socket.on("mention", () => this.refreshSoon());
    socket.on("read", (frame) => {
      if (this.channelItem(Number(frame.topic.split(":")[1]))) this.refreshSoon();
    });
    documentRef.addEventListener("hearth:read", () => this.refreshSoon());
    this.leaving = false; // this page's own Leave form is on its way: its answer says where to go
    documentRef.addEventListener("submit", (event) => {
      if (!event.defaultPrevented && event.target.closest?.(".member-action")) this.leaving = true;
    });
    socket.on("open", () => {
      if (this.opened) this.refreshSoon(); // a marker may have moved on another device meanwhile
      this.opened = true;
    });
  }

  /** Count a channel's new messages (the one on screen is the chat's own, and read as it is seen). */
  follow(channelId, since) {
    if (channelId === this.currentChannel) return;
    this.socket
      .channel(`chat:${channelId}`, { since })
      .on("event", () => this.refreshSoon())
      .onResync(() => this.refreshSoon()) // the counts are refetched, not the page reloaded
      .join();
  }

  channelItem(id) {
    return this.channels.querySelector(`[data-channel-id="${id}"]`) ?? this.dms?.querySelector(`[data-channel-id="${id}"]`) ?? null;
  }

  boardItem(id) {
    return this.boards.querySelector(`[data-board-id="${id}"]`);
  }

  onWorkspaceFrame(frame) {
    const change = workspaceChange(frame, this);
    switch (change.op) {
      case "removed":
        if (!this.leaving) this.goTo("/");
        break;
      case "place-channel":
        this.placeChannel(change.channel, change.isNew);
        break;
      case "remove-channel": {
        const item = this.channelItem(change.id);
        // a private channel's channel.deleted reaches one removed from it too, and it may still be there
        const note = item?.dataset.kind === "private" ? "You are no longer in this channel." : change.withdrawn;
        item?.remove();
        if (change.withdrawn) this.withdrawn(note);
        else this.socket.leave(`chat:${change.id}`); // the chat on screen hears the server's own unsubscribed
        break;
      }
      case "place-board":
        this.placeBoard(change.board);
        break;
      case "remove-board":
        this.boardItem(change.id)?.remove();
        if (change.withdrawn) this.withdrawn(change.withdrawn);
        break;
      case "members":
        this.onMembers(change.kind, change.user);
        break;
      default:
    }
  }

  placeChannel(channel, isNew) {
    const dm = channel.kind === "dm";
    const list = dm && this.dms ? this.dms : this.channels;
    const label = channelLabel(channel, this.userId);
    let item = this.channelItem(channel.id);
    if (!item) {
      item = this.item("channel", channel, `/w/${this.workspaceId}/c/${channel.id}`, label);
      const doc = this.documentRef;
      const mentions = doc.createElement("span");
      mentions.className = "mentions";
      mentions.hidden = true;
      const unread = doc.createElement("span");
      unread.className = "unread";
      unread.hidden = true;
      item.firstElementChild.append(" ", mentions, " ", unread);
      item.dataset.unread = "0";
      item.dataset.mentions = "0";
      item.dataset.kind = channel.kind ?? "public";
      if (channel.notify) item.dataset.notify = channel.notify;
      if (dm) item.firstElementChild.prepend(this.avatars(channel));
      if (channel.kind === "private") {
        const mark = doc.createElement("span");
        mark.className = "private-mark";
        mark.textContent = " private";
        item.querySelector(".name").after(mark);
      }
      if (isNew) this.follow(channel.id, 0);
    }
    if (channel.notify) item.dataset.notify = channel.notify;
    item.querySelector(".name").textContent = label;
    item.firstElementChild.title = label; // the whole name, where the list cuts it short
    this.insertSorted(list, item, dm ? label : channel.name);
  }

  avatars(channel) {
    const doc = this.documentRef;
    const box = doc.createElement("span");
    box.className = "dm-avatars";
    for (const person of (channel.members ?? []).filter((p) => p.id !== this.userId)) {
      const avatar = avatarElement(person, doc);
      avatar.classList.add("avatar-small");
      box.append(avatar);
    }
    return box;
  }

  placeBoard(board) {
    const item = this.boardItem(board.id) ?? this.item("board", board, `/w/${this.workspaceId}/b/${board.id}`, board.name);
    item.querySelector(".name").textContent = board.name;
    item.firstElementChild.title = board.name;
    this.insertSorted(this.boards, item, board.name);
  }

  item(kind, row, href, text) {
    const doc = this.documentRef;
    const item = doc.createElement("li");
    item.dataset[`${kind}Id`] = row.id;
    const link = doc.createElement("a");
    link.href = href;
    const name = doc.createElement("span");
    name.className = "name";
    name.textContent = text;
    link.append(name);
    item.append(link);
    return item;
  }

  /** Lists are in name order, as the server renders them. */
  insertSorted(list, item, name) {
    item.dataset.name = name;
    const others = [...list.children].filter((other) => other !== item);
    const next = others[sortedIndex(others.map((other) => other.dataset.name ?? ""), name)];
    if (next) list.insertBefore(item, next);
    else list.append(item);
  }

  refreshSoon() {
    if (this.refreshTimer !== null) return;
    this.refreshTimer = this.setTimeout(() => {
      this.refreshTimer = null;
      this.refresh().catch(() => {});
    }, REFRESH_AFTER_MS);
  }

  /** Unread counts as the server has them now. */
  async refresh() {
    const listed = await this.http.json(`/api/workspaces/${this.workspaceId}/channels`);
    for (const channel of listed) {
      if (!this.channelItem(channel.id)) this.placeChannel(channel, false);
      const item = this.channelItem(channel.id);
      this.showUnread(item, channel.unread);
      this.showMentions(item, channel.mentions ?? 0);
      item.dataset.notify = channel.notify ?? item.dataset.notify ?? "mentions";
    }
  }

  showMentions(item, count) {
    item.dataset.mentions = String(count);
    const badge = item.querySelector(".mentions");
    if (!badge) return;
    badge.hidden = count === 0;
    badge.textContent = `@${count}`;
    const spoken = this.documentRef.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = " mentions";
    badge.append(spoken);
  }

  showUnread(item, count) {
    const shown = unreadBadge(count);
    item.dataset.unread = shown.text;
    const badge = item.querySelector(".unread");
    badge.hidden = shown.hidden;
    badge.textContent = shown.text;
    const spoken = this.documentRef.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = " unread";
    badge.append(spoken);
  }

  withdrawn(text) {
    const note = this.documentRef.getElementById("withdrawn");
    if (!note) return;
    note.textContent = text;
    note.hidden = false;
  }
}

// The sidebar's decisions, on plain data: the Sidebar above applies them to the page.

/**
 * A workspace frame → what the sidebar does: {op: "removed"} (this user is out of the workspace),
 * "place-channel"/"place-board" (created or renamed), "remove-channel"/"remove-board" (with the
 * note to show when it is the one on screen), "members" (someone joined or left), or "ignore".
 */
export function workspaceChange(frame, { userId, currentChannel = 0, currentBoard = 0 }) {
  if (frame.type === "unsubscribed") return frame.reason === "removed" ? { op: "removed" } : { op: "ignore" };
  if (frame.type !== "event") return { op: "ignore" };
  const data = frame.data;
  // the earlier events of a channel or board deleted since are replayed without their name: its
  // `.deleted` event follows, so there is nothing to show in between
  if (data.redacted) return { op: "ignore" };
  switch (frame.event) {
    case "channel.created":
    case "channel.updated":
      return { op: "place-channel", channel: data, isNew: frame.event === "channel.created" };
    case "channel.deleted":
      return { op: "remove-channel", id: data.id, withdrawn: data.id === currentChannel ? "This channel was deleted by the workspace's owner." : null };
    case "board.created":
    case "board.updated":
      return { op: "place-board", board: data };
    case "board.deleted":
      return { op: "remove-board", id: data.id, withdrawn: data.id === currentBoard ? "This board was deleted by the workspace's owner." : null };
    case "member.added":
    case "member.removed":
      if (frame.event === "member.removed" && data.user.id === userId) return { op: "removed" };
      return { op: "members", kind: frame.event, user: data.user };
    default:
      return { op: "ignore" };
  }
}

/** What the sidebar calls a channel: `# name`, or a direct message's other people. */
export function channelLabel(channel, userId) {
  if (channel.kind === "dm") {
    const others = (channel.members ?? []).filter((p) => p.id !== userId);
    return others.length ? others.map((p) => p.display_name).join(", ") : channel.name;
  }
  return `# ${channel.name}`;
}

/** A channel's unread badge: hidden at zero. */
export function unreadBadge(count) {
  return { hidden: count === 0, text: String(count) };
}

/** Where `name` goes in a list of names already in order: before the first that sorts after it. */
export function sortedIndex(names, name) {
  const index = names.findIndex((other) => compareNames(other, name) > 0);
  return index === -1 ? names.length : index;
}

function compareNames(a, b) {
  return a < b ? -1 : a > b ? 1 : 0; // the server's order: by code point, as SQL compares them
}
