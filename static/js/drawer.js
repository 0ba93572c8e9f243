/**
 * The workspace sidebar as a drawer on a narrow screen: `button#sidebar-toggle` in the top bar slides it in
 * (with `#channels` first), the rest of the page is inert while it is open, and Escape, the backdrop, the
 * toggle again or following one of its links closes it. Focus goes into the drawer and back to the toggle.
 * On a wide screen the sidebar stands beside the page and the toggle is not shown.
 */
export class Drawer {
  constructor({ toggle, drawer, backdrop, documentRef = globalThis.document }) {
    Object.assign(this, { toggle, drawer, backdrop, documentRef });
    toggle.addEventListener("click", () => (this.isOpen() ? this.close() : this.open()));
    backdrop?.addEventListener("click", () => this.close());
    documentRef.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isOpen()) {
        event.preventDefault();
        this.close();
      } else if (event.key === "Tab" && this.isOpen()) {
        this.keepFocusIn(event);
      }
    });
    drawer.addEventListener("click", (event) => {
      if (event.target.closest("[data-drawer-close]")) this.close();
      else if (event.target.closest("a[href]") && this.isOpen()) this.close({ focus: false });
    });
    globalThis.matchMedia?.("(min-width: 52.01rem)").addEventListener?.("change", (event) => {
      if (event.matches && this.isOpen()) this.close({ focus: false });
    });
  }

  /** Tab goes round the toggle and the drawer's links while it is open, never out to the page behind. */
  keepFocusIn(event) {
    const stops = [this.toggle, ...this.drawer.querySelectorAll("a[href], button:not([disabled]), input, [tabindex='0']")];
    const at = stops.indexOf(this.documentRef.activeElement);
    const next = at === -1 ? 0 : (at + (event.shiftKey ? -1 : 1) + stops.length) % stops.length;
    event.preventDefault();
    stops[next].focus();
  }

  isOpen() {
    return this.toggle.getAttribute("aria-expanded") === "true";
  }

  open() {
    this.toggle.setAttribute("aria-expanded", "true");
    this.documentRef.body.classList.add("drawer-open");
    if (this.backdrop) this.backdrop.hidden = false;
    for (const outside of this.outside()) outside.inert = true;
    const first =
      this.drawer.querySelector("#channels a[aria-current=page]") ?? this.drawer.querySelector("#channels a") ?? this.drawer.querySelector("a");
    first?.focus();
  }

  close({ focus = true } = {}) {
    this.toggle.setAttribute("aria-expanded", "false");
    this.documentRef.body.classList.remove("drawer-open");
    if (this.backdrop) this.backdrop.hidden = true;
    for (const outside of this.outside()) outside.inert = false;
    if (focus) this.toggle.focus();
  }

  /** What the drawer covers: the page beside it and the top bar but its toggle, the footer. */
  outside() {
    const doc = this.documentRef;
    const topbar = doc.querySelector(".topbar");
    const inTopbar = topbar ? [...topbar.children].filter((child) => child !== this.toggle) : [];
    return [...inTopbar, doc.querySelector(".shell-main"), doc.querySelector(".site-footer"), doc.querySelector(".skip-link")].filter(Boolean);
  }
}
