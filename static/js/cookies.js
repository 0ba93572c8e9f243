/** Reads a cookie by name; the CSRF cookies are the only ones JavaScript can see. */
export function readCookie(name, source = globalThis.document?.cookie ?? "") {
  for (const part of source.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}
