/**
 * A question asked in the page's own `<dialog>` instead of the browser's confirm box: `askInDialog(dialog)`
 * is a function of the question that resolves true for the confirming button, false for Cancel or Escape.
 * The dialog is modal (the page behind is inert) and focus returns to where it was.
 */
export function askInDialog(dialog) {
  return (question, { confirmLabel = "Delete" } = {}) =>
    new Promise((resolve) => {
      const back = dialog.ownerDocument.activeElement;
      dialog.querySelector("#confirm-question").textContent = question;
      const ok = dialog.querySelector("[data-confirm-ok]");
      if (ok) ok.textContent = confirmLabel;
      dialog.returnValue = "";
      dialog.addEventListener(
        "close",
        () => {
          if (back?.isConnected) back.focus();
          resolve(dialog.returnValue === "ok");
        },
        { once: true },
      );
      dialog.showModal();
    });
}
