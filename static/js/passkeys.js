// Passkeys in the browser: signing in with one on the login page (a button, and the browser's autofill by
// conditional mediation), and adding one on the security page. The options and answers travel as WebAuthn's
// JSON, converted by the browser itself (parse…FromJSON, credential.toJSON()); the few lines below stand in
// only where a browser lacks those.
import { Auth } from "./auth.js";
import { Http, HttpError } from "./http.js";

export const supported = () => typeof globalThis.PublicKeyCredential === "function" && !!navigator.credentials;

export function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

const withIds = (list) => (list ?? []).map((c) => ({ ...c, id: fromBase64url(c.id) }));

/** PublicKeyCredentialCreationOptions from the server's JSON. */
export function creationOptions(json, PKC = globalThis.PublicKeyCredential) {
  if (typeof PKC?.parseCreationOptionsFromJSON === "function") return PKC.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: withIds(json.excludeCredentials),
  };
}

/** PublicKeyCredentialRequestOptions from the server's JSON. */
export function requestOptions(json, PKC = globalThis.PublicKeyCredential) {
  if (typeof PKC?.parseRequestOptionsFromJSON === "function") return PKC.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: fromBase64url(json.challenge), allowCredentials: withIds(json.allowCredentials) };
}

/** The credential as WebAuthn's JSON, the shape the server verifies. */
export function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const r = credential.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toBase64url(r.attestationObject);
    response.transports = r.getTransports?.() ?? [];
  } else {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
  }
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
    response,
  };
}

async function postJSON(path, body) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, answer);
  return answer;
}

// The person dismissed the browser's dialog, or it was replaced by another request: nothing to report.
const dismissed = (error) => error?.name === "NotAllowedError" || error?.name === "AbortError";

/** The login page: the button, and passkeys offered in the username field's autofill. */
export class PasskeyLogin {
  constructor({ button, message, next }) {
    Object.assign(this, { button, message, next });
    this.conditional = null; // the AbortController of the autofill request waiting in the background
    button.hidden = false;
    button.addEventListener("click", () => this.signIn());
  }

  async offerInAutofill() {
    if (!(await PublicKeyCredential.isConditionalMediationAvailable?.())) return;
    const controller = (this.conditional = new AbortController());
    try {
      const options = await postJSON("/auth/passkeys/login/options");
      if (controller.signal.aborted) return;
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(options),
        mediation: "conditional",
        signal: controller.signal,
      });
      await this.finish(credential);
    } catch (error) {
      if (!controller.signal.aborted) this.failed(error);
    }
  }

  async signIn() {
    this.conditional?.abort(); // one WebAuthn request at a time: the button's replaces the autofill's
    this.show("");
    this.button.disabled = true;
    try {
      const options = await postJSON("/auth/passkeys/login/options");
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      await this.finish(credential);
    } catch (error) {
      this.failed(error);
    } finally {
      this.button.disabled = false;
    }
  }

  async finish(credential) {
    await postJSON("/auth/passkeys/login", { credential: credentialJSON(credential) });
    location.assign(this.next);
  }

  failed(error) {
    if (dismissed(error)) return;
    this.show(error instanceof HttpError ? error.message : "This browser could not use a passkey here.");
  }

  show(text) {
    this.message.textContent = text;
    this.message.hidden = !text;
  }
}

/** The security page: add a passkey (asking for the password in place when the sign-in is not recent). */
export class PasskeyRegistration {
  constructor({ form, reauth, message, http }) {
    Object.assign(this, { form, reauth, message, http });
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    reauth.addEventListener("submit", (event) => {
      event.preventDefault();
      this.confirmPassword();
    });
  }

  async add() {
    const button = this.form.querySelector("button");
    button.disabled = true;
    this.show("");
    try {
      const options = await this.http.json("/auth/passkeys/register/options", { method: "POST" });
      const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
      const name = this.form.elements.name.value.trim();
      await this.http.json("/auth/passkeys", { method: "POST", body: { credential: credentialJSON(credential), name } });
      location.assign("/settings/security");
    } catch (error) {
      if (error?.code === "reauth_required") this.askPassword();
      else if (!dismissed(error)) this.show(error?.message || "The passkey could not be added.");
    } finally {
      button.disabled = false;
    }
  }

  askPassword() {
    this.reauth.hidden = false;
    this.reauth.querySelector("[role=alert]").hidden = true;
    this.reauth.elements.password.focus();
  }

  async confirmPassword() {
    const field = this.reauth.elements.password;
    try {
      await this.http.json("/auth/reauthenticate", { method: "POST", body: { password: field.value } });
    } catch (error) {
      const alert = this.reauth.querySelector("[role=alert]");
      alert.textContent = error?.code === "invalid_credentials" ? "That is not your password." : error.message;
      alert.hidden = false;
      field.select();
      return;
    }
    field.value = "";
    this.reauth.hidden = true;
    this.add();
  }

  show(text) {
    this.message.textContent = text;
    this.message.hidden = !text;
  }
}

function start() {
  const loginButton = document.getElementById("passkey-login");
  const addForm = document.getElementById("add-passkey-form");
  if (!supported()) return; // the pages say so: the no-passkey text stays
  for (const note of document.querySelectorAll("[data-passkeys-unsupported]")) note.hidden = true;
  if (loginButton) {
    const next = document.querySelector("#login-form input[name=next]")?.value || "/";
    const login = new PasskeyLogin({ button: loginButton, message: document.getElementById("passkey-error"), next });
    login.offerInAutofill();
  }
  if (addForm) {
    // app.js keeps this page's session and follows the other tabs; this one only refreshes when a call needs it
    const auth = new Auth({ expiresAt: Number(document.body.dataset.accessExpiresAt || 0), channel: null });
    new PasskeyRegistration({
      form: addForm,
      reauth: document.getElementById("passkey-reauth-form"),
      message: document.getElementById("passkey-message"),
      http: new Http({ auth }),
    });
  }
}

if (typeof document !== "undefined") start();
