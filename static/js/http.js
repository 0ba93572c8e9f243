import { readCookie } from "./cookies.js";

const EXPIRED = new Set(["token_expired", "token_missing"]);
const OVER = new Set(["token_invalid", "token_revoked", "refresh_reused", "session_expired"]);
const NEVER_INTERCEPTED = ["/auth/login", "/auth/register", "/auth/refresh", "/auth/logout", "/auth/logout-all"];

/** An error answer of the API, with its documented code. */
export class HttpError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error ?? "http_error";
    this.body = body;
  }
}

async function errorCode(response) {
  try {
    return (await response.clone().json()).error;
  } catch {
    return undefined;
  }
}

/**
 * fetch for the API: same-origin cookies, the CSRF header read at send time,
 * and on `401 token_expired` one shared refresh and one retry — also for
 * requests that were already in flight when another one started the refresh.
 */
export class Http {
  constructor({ auth, fetch = globalThis.fetch?.bind(globalThis), cookies = (name) => readCookie(name) } = {}) {
    this.auth = auth;
    this.fetch = fetch;
    this.cookies = cookies;
  }

  async request(path, { method = "GET", body } = {}) {
    let sentWith;
    const send = () => {
      sentWith = this.cookies("csrf_access_token");
      const headers = { Accept: "application/json", "X-CSRF-TOKEN": sentWith ?? "" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return this.fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    };
    const response = await send();
    if (response.status !== 401 || NEVER_INTERCEPTED.some((p) => path.startsWith(p))) return response;
    const code = await errorCode(response);
    if (OVER.has(code)) {
      this.auth.sessionOver();
      return response;
    }
    if (!EXPIRED.has(code)) return response;
    // Tokens newer than the ones this request carried mean someone already refreshed: just retry.
    if (this.cookies("csrf_access_token") === sentWith) {
      const outcome = await this.auth.refresh();
      if (outcome === "over") {
        this.auth.sessionOver();
        return response;
      }
      if (outcome === "network") return response;
    }
    const retried = await send();
    if (retried.status === 401) this.auth.sessionOver();
    return retried;
  }

  /** The parsed JSON body, or an HttpError. */
  async json(path, options) {
    const response = await this.request(path, options);
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new HttpError(response.status, body);
    return body;
  }
}
