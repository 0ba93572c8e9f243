/**
 * A person's picture, or their initials without one: the markup of templates/_avatar.html, for
 * people shown live (new messages, presence, new members).
 */
export function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "?";
  return (Array.from(words[0])[0] + (words.length > 1 ? Array.from(words[1])[0] : "")).toUpperCase();
}

/** Fill an `.avatar` element (already in the page or a template) for `user`. */
export function drawAvatar(element, user, documentRef = globalThis.document) {
  element.classList.add("avatar");
  element.setAttribute("aria-hidden", "true");
  if (user?.avatar_url) {
    const image = documentRef.createElement("img");
    image.src = user.avatar_url;
    image.alt = "";
    element.replaceChildren(image);
  } else {
    element.replaceChildren(documentRef.createTextNode(initials(user?.display_name)));
  }
  return element;
}

/** A new `.avatar` element for `user`. */
export function avatarElement(user, documentRef = globalThis.document) {
  return drawAvatar(documentRef.createElement("span"), user, documentRef);
}
