/**
 * System notifications and the tab's title while the tab is hidden.
 *
 * Nothing asks for permission on its own: `#notifications-allow` shows while the browser has not been
 * told yet, and asks when it is pressed. While the tab is hidden, each new message by someone else
 * that matches the channel's level (all, mentions, none: the sidebar's `data-notify`) is a
 * notification, and the title starts with how many, e.g. `(3) `. A click brings the tab forward at
 * that message.
 *
 * One notification per message with several tabs open: a tab that shows the message (visible)
 * claims it at once; a hidden one waits a moment, then claims it, and only the tab whose claim took
 * shows it. A claim is a Web Lock of the message's own, held a while: the browser grants it to one
 * tab at once, where localStorage reaches another tab's process late. The claim is kept in
 * localStorage too (and is all there is without Web Locks).
 */
const CLAIMS_KEY = "hearth:notified";
const CLAIMS_KEPT = 200;
const HIDDEN_WAIT_MS = 300; // a visible tab's claim comes first
const CLAIM_HOLD_MS = 10_000; // the lock outlasts the other tabs' claims, and the localStorage claim reaches them

export class Notifier {
  constructor({
    socket,
    userId,
    workspaceId,
    levelOf,
    nameOf,
    currentChannel = 0,
    button = null,
    documentRef = globalThis.document,
    storage = globalThis.localStorage,
    NotificationApi = globalThis.Notification,
    locks = globalThis.navigator?.locks,
    setTimeout = globalThis.setTimeout.bind(globalThis),
    focusWindow = () => globalThis.focus(),
    goTo = (path) => globalThis.location.assign(path),
  }) {
    Object.assign(this, { userId, workspaceId, levelOf, nameOf, currentChannel, documentRef, storage, NotificationApi, locks, setTimeout, focusWindow, goTo });
    this.seen = new Set(); // message ids this tab has handled
    this.count = 0;
    this.baseTitle = documentRef.title;
    socket.on("event", (frame) => {
      if (frame.event === "message.created" && frame.topic.startsWith("chat:")) this.onMessage(frame.data, false);
    });
    socket.on("mention", (frame) => {
      if (frame.message) this.onMessage(frame.message, true);
    });
    documentRef.addEventListener("visibilitychange", () => {
      if (!documentRef.hidden) this.resetTitle();
    });
    if (button && NotificationApi && NotificationApi.permission === "default") {
      button.hidden = false;
      button.addEventListener("click", async () => {
        const answer = await NotificationApi.requestPermission();
        button.hidden = answer !== "default";
      });
    }
  }

  onMessage(message, mentioned) {
    if (!message || message.redacted || message.author?.id === this.userId || this.seen.has(message.id)) return;
    const level = this.levelOf(message.channel_id);
    const mentionsMe = mentioned || (message.mentions ?? []).includes(this.userId);
    if (!shouldNotify(level, mentionsMe)) return;
    this.seen.add(message.id);
    if (!this.documentRef.hidden) {
      this.takeClaim(message.id); // shown here: no other tab tells of it
      return;
    }
    this.setTimeout(() => this.claimAndShow(message), HIDDEN_WAIT_MS);
  }

  async claimAndShow(message) {
    const won = await this.takeClaim(message.id);
    if (!won || !this.documentRef.hidden) return;
    this.count += 1;
    this.documentRef.title = titleWithCount(this.baseTitle, this.count);
    this.show(message);
  }

  /** Claim the message for this tab: false when another tab has. */
  takeClaim(id) {
    if (!this.locks) return Promise.resolve(this.claim(id));
    return new Promise((decided) => {
      this.locks.request(`${CLAIMS_KEY}:${id}`, { ifAvailable: true }, (lock) => {
        const won = lock !== null && this.claim(id);
        decided(won);
        return won ? new Promise((resolve) => this.setTimeout(resolve, CLAIM_HOLD_MS)) : undefined;
      });
    });
  }

  /** Mark the message told of in localStorage; false when a tab had already. */
  claim(id) {
    let claimed;
    try {
      claimed = JSON.parse(this.storage.getItem(CLAIMS_KEY) || "[]");
    } catch {
      claimed = [];
    }
    if (claimed.includes(id)) return false;
    this.storage.setItem(CLAIMS_KEY, JSON.stringify(remember(claimed, id)));
    return true;
  }

  show(message) {
    const Api = this.NotificationApi;
    if (!Api || Api.permission !== "granted") return;
    const where = this.nameOf(message.channel_id);
    const notification = new Api(`${message.author?.display_name ?? "Someone"}${where ? ` in ${where}` : ""}`, {
      body: plainText(message.body ?? ""),
      tag: `hearth-message-${message.id}`,
    });
    notification.onclick = () => {
      this.focusWindow();
      notification.close?.();
      this.goTo(messagePath(this.workspaceId, message, this.currentChannel));
    };
  }

  resetTitle() {
    this.count = 0;
    this.documentRef.title = this.baseTitle;
  }
}

// The decisions, on plain data.

/** Whether a message is told of at this level: every one (all), those that mention the person, or none. */
export function shouldNotify(level, mentionsMe) {
  if (level === "all") return true;
  if (level === "none") return false;
  return mentionsMe; // "mentions", the default
}

/** The title with the count of what arrived while hidden in front: `(3) title`. */
export function titleWithCount(title, count) {
  const bare = title.replace(/^\(\d+\) /, "");
  return count > 0 ? `(${count}) ${bare}` : bare;
}

/** The claimed ids with this one, the oldest forgotten past CLAIMS_KEPT. */
export function remember(claimed, id) {
  return [...claimed, id].slice(-CLAIMS_KEPT);
}

/** Where a click on a message's notification goes: the message in its channel (a hash on the same page). */
export function messagePath(workspaceId, message, currentChannel) {
  const hash = `#message-${message.id}`;
  return message.channel_id === currentChannel ? hash : `/w/${workspaceId}/c/${message.channel_id}${hash}`;
}

/** A body short enough for a notification, its Markdown marks left as they are. */
export function plainText(body, max = 180) {
  const text = body.replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
