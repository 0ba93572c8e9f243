/**
 * The connection status a person reads: `#connection-status` with data-state
 * connecting | open | reconnecting | offline, counting down to the next attempt.
 */
export class ConnectionStatus {
  constructor(element, { noun = "change", now = () => Date.now(), setInterval = globalThis.setInterval.bind(globalThis),
    clearInterval = globalThis.clearInterval.bind(globalThis) } = {}) {
    Object.assign(this, { element, noun, now, setInterval, clearInterval });
    this.ticker = null;
    if (element) element.hidden = false;
  }

  /** Matches HearthSocket's onStatus(state, { reconnectAt, pending }). */
  show(state, { reconnectAt = null, pending = 0 } = {}) {
    if (!this.element) return;
    this.clearInterval(this.ticker);
    this.ticker = null;
    this.element.dataset.state = state;
    const render = () => {
      const waitMs = reconnectAt && Math.max(0, reconnectAt - this.now());
      this.element.textContent = statusText(state, waitMs, pending, this.noun);
      this.element.title = this.element.textContent; // a phone shows only the pill's colour
    };
    render();
    if (state === "reconnecting" && reconnectAt) this.ticker = this.setInterval(render, 1000);
  }
}

/** What a person reads; `noun` names what waits to be sent ("message" on a chat, "change" on a board). */
export function statusText(state, waitMs, pending = 0, noun = "change") {
  const waiting = pending === 1 ? `1 ${noun}` : `${pending} ${noun}s`;
  if (state === "open") return "Live";
  if (state === "connecting") return "Connecting…";
  if (state === "offline") {
    if (!pending) return "Offline — changes by others will appear when you're back";
    return `Offline — ${waiting} will be sent when you're back`;
  }
  const retry = waitMs === null || waitMs === undefined ? "Reconnecting…" : `Reconnecting in ${Math.ceil(waitMs / 1000)} s…`;
  return pending ? `${retry} ${waiting} waiting to be sent` : retry;
}
