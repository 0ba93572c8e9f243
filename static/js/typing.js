import { TYPING_EVERY } from "./protocol.js";

const SHOWN_FOR_MS = TYPING_EVERY * 1000 + 2500; // a name stays while frames keep coming (one per 2 s at most)

/** `#typing`: who else is typing in this channel, said in words; each name fades when their frames stop. */
export class TypingIndicator {
  constructor({ root, setTimeout = globalThis.setTimeout.bind(globalThis), clearTimeout = globalThis.clearTimeout.bind(globalThis) }) {
    Object.assign(this, { root, setTimeout, clearTimeout });
    this.typists = new Map(); // user id -> { name, timer }
  }

  show(user) {
    const known = this.typists.get(user.id);
    if (known) this.clearTimeout(known.timer);
    const timer = this.setTimeout(() => this.stop(user.id), SHOWN_FOR_MS);
    this.typists.set(user.id, { name: user.display_name, timer });
    this.render();
  }

  /** Their message arrived, or their frames stopped. */
  stop(userId) {
    const known = this.typists.get(userId);
    if (!known) return;
    this.clearTimeout(known.timer);
    this.typists.delete(userId);
    this.render();
  }

  render() {
    const names = [...this.typists.values()].map((t) => t.name);
    this.root.textContent = sentence(names);
  }
}

export function sentence(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

/** The sending side: at most one typing frame per TYPING_EVERY seconds while the person types. */
export class TypingSender {
  constructor({ socket, topic, now = () => Date.now() }) {
    Object.assign(this, { socket, topic, now });
    this.lastSent = -Infinity;
  }

  typed() {
    if (this.now() - this.lastSent < TYPING_EVERY * 1000) return;
    if (this.socket.typing(this.topic)) this.lastSent = this.now();
  }

  /** After sending a message the next keystroke announces typing again. */
  reset() {
    this.lastSent = -Infinity;
  }
}
