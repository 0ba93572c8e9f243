// The register form, sent without leaving the page: a refusal (a taken username, registration closed)
// is shown above the form and nothing typed is lost, the password included. Without JavaScript the
// form posts as usual and the page that comes back keeps every field but the password.
const form = document.getElementById("register-form");

function showError(text) {
  let box = form.parentElement.querySelector(":scope > p.error");
  if (!box) {
    box = document.createElement("p");
    box.className = "error";
    box.setAttribute("role", "alert");
    form.before(box);
  }
  box.textContent = text;
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    if (response.ok) {
      globalThis.location.assign(response.url);
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    showError(page.querySelector("p.error")?.textContent?.trim() || `Could not create the account (${response.status}).`);
    form.querySelector("input[name=username]").focus();
  } catch {
    showError("Could not reach Hearth: check the connection and try again.");
  } finally {
    button.disabled = false;
  }
});
