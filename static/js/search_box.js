/**
 * The workspace's search box (`input#search`, on every workspace page): `/` anywhere but in a
 * field focuses it, as in most chat apps.
 */
export function wireSearchKey(documentRef = globalThis.document) {
  const box = documentRef.getElementById("search");
  if (!box) return;
  documentRef.addEventListener("keydown", (event) => {
    if (!focusesSearch(event)) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
}

/** Whether a key press is `/` typed outside any text field (there it is just a slash). */
export function focusesSearch({ key, ctrlKey, metaKey, altKey, target }) {
  if (key !== "/" || ctrlKey || metaKey || altKey) return false;
  const tag = target?.tagName?.toLowerCase();
  return !(tag === "input" || tag === "textarea" || tag === "select" || target?.isContentEditable);
}
