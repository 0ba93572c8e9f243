/**
 * The read marker of the channel on screen: it follows the reader down. While the tab is visible the
 * channel is marked read up to the last message in view (`readUpTo`; the newest event once the reader
 * is at the end), so the sidebar's count falls as they read, in every tab and on every device. Messages
 * that arrive while the tab is hidden get a "New messages" line above the first of them.
 */
const MARK_EVERY_MS = 500; // a read marker per message would spend the user's share of the API's rate limit

export class ReadTracker {
  constructor({
    channelId,
    http,
    list,
    headSeq,
    readSeq,
    documentRef = globalThis.document,
    setTimeout = globalThis.setTimeout.bind(globalThis),
    readUpTo = () => Infinity,
  }) {
    Object.assign(this, { channelId, http, list, documentRef, setTimeout, readUpTo });
    this.head = headSeq; // the newest seq of the channel this page has seen
    this.marked = readSeq; // what the server holds, or what we asked it for
    this.pending = null; // a busy channel marks once per MARK_EVERY_MS, not once per message
    documentRef.addEventListener("visibilitychange", () => this.markIfVisible());
    this.markIfVisible();
  }

  visible() {
    return this.documentRef.visibilityState === "visible";
  }

  /** An event of the channel reached the page. */
  seen(seq) {
    if (typeof seq === "number" && seq > this.head) this.head = seq;
    this.markIfVisible();
  }

  /** Someone else's new message is on the page: while nobody looks, it is where the unread begin. */
  arrived(item) {
    if (this.visible() || this.documentRef.getElementById("new-messages")) return;
    const line = this.documentRef.createElement("li");
    line.id = "new-messages";
    line.className = "new-line";
    const label = this.documentRef.createElement("span");
    label.textContent = "New messages";
    line.append(label);
    item.before(line);
  }

  /** The viewer wrote: what came before is read, and the line has done its job. */
  replied() {
    this.documentRef.getElementById("new-messages")?.remove();
  }

  /** How far the reader has read: the newest event, or less while later messages are below the view. */
  target() {
    return Math.min(this.head, this.readUpTo());
  }

  markIfVisible() {
    if (!this.visible() || this.target() <= this.marked || this.pending !== null) return;
    this.pending = this.setTimeout(() => {
      this.pending = null;
      this.mark();
    }, MARK_EVERY_MS);
  }

  mark() {
    const seq = this.target();
    if (!this.visible() || seq <= this.marked) return;
    const previous = this.marked;
    this.marked = seq;
    this.http.json(`/api/channels/${this.channelId}/read`, { method: "POST", body: { seq } }).then(
      // this page's own sidebar hears it here: the read frame reaches only sockets already open
      () => this.documentRef.dispatchEvent(new CustomEvent("hearth:read", { detail: { channelId: this.channelId, seq } })),
      () => {
        if (this.marked === seq) this.marked = previous; // try again with the next event or look
      },
    );
  }
}
