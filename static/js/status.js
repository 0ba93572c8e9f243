/**
 * The connection status a person reads: `#connection-status` with data-state
 * connecting | open | reconnecting | offline, counting down to the next attempt.
 */
export class ConnectionStatus {
  constructor(element, { now = () => Date.now(), setInterval = globalThis.setInterval.bind(globalThis),
    clearInterval = globalThis.clearInterval.bind(globalThis) } = {}) {
    Object.assign(this, { element, now, setInterval, clearInterval });
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
      this.element.textContent = statusText(state, reconnectAt && Math.max(0, reconnectAt - this.now()), pending);
    };
    render();
    if (state === "reconnecting" && reconnectAt) this.ticker = this.setInterval(render, 1000);
  }
}

export function statusText(state, waitMs, pending) {
  if (state === "open") return "Live";
  if (state === "connecting") return "Connecting…";
  if (state === "offline") {
    return pending ? "Offline — messages will be sent when you're back" : "Offline — changes will appear when you're back";
  }
  if (waitMs === null || waitMs === undefined) return "Reconnecting…";
  return `Reconnecting in ${Math.ceil(waitMs / 1000)} s…`;
}
