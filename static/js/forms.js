// Each token refresh brings new CSRF values, so a form rendered earlier takes the
// current one from its cookie at the moment it is submitted.
import { readCookie } from "./cookies.js";

// Styles for pages without JavaScript (the chat opening at its newest message) stop applying.
document.documentElement.classList.remove("no-js");

document.addEventListener("submit", (event) => {
  for (const input of event.target.querySelectorAll("input[data-csrf-cookie]")) {
    const value = readCookie(input.dataset.csrfCookie);
    if (value) input.value = value;
  }
}, true);

// A form that does something hard to undo (remove a member, leave, delete a channel) asks first.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset?.confirm;
  if (question && !globalThis.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
