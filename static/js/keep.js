/**
 * What a chat keeps in localStorage so that a reload, a closed tab or a
 * sign-out loses nothing: the draft being typed, and the messages sent but not
 * yet acked, per user and channel. The next tab to open the channel sends the
 * unsent ones again; their client_id makes the server store each only once.
 * Storage that is missing or full leaves the chat working, in memory only.
 */
export class ChannelKeep {
  constructor({ userId, channelId, storage = globalThis.localStorage }) {
    this.prefix = `hearth:${userId}:chat:${channelId}:`;
    this.storage = storage;
  }

  get draft() {
    return this.read("draft", "");
  }

  set draft(text) {
    if (text) this.write("draft", text);
    else this.remove("draft");
  }

  /** Messages not yet acked: [{ client_id, body, created_at }], oldest first. */
  unsent() {
    const list = this.read("unsent", []);
    return Array.isArray(list) ? list : [];
  }

  keepUnsent(message) {
    this.writeUnsent([...this.unsent().filter((m) => m.client_id !== message.client_id), message]);
  }

  /** Acked, or refused for good: nothing more to send. */
  forget(clientId) {
    this.writeUnsent(this.unsent().filter((m) => m.client_id !== clientId));
  }

  writeUnsent(list) {
    if (list.length) this.write("unsent", list);
    else this.remove("unsent");
  }

  read(name, fallback) {
    try {
      const value = this.storage?.getItem(this.prefix + name);
      return value === null || value === undefined ? fallback : JSON.parse(value);
    } catch {
      return fallback;
    }
  }

  write(name, value) {
    try {
      this.storage?.setItem(this.prefix + name, JSON.stringify(value));
    } catch {
      // private browsing or a full quota: the page still works, it just forgets on reload
    }
  }

  remove(name) {
    try {
      this.storage?.removeItem(this.prefix + name);
    } catch {
      // as above
    }
  }
}
