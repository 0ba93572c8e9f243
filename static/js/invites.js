/**
 * The workspace page's invitation links: each "Copy link" button puts its link on the clipboard and says so.
 * Without scripts the buttons stay hidden and the link is there to select in its read-only field.
 * @param {ParentNode} root
 * @param {{writeText(text: string): Promise<void>} | undefined} clipboard navigator.clipboard
 */
export function wireCopyButtons(root, clipboard = globalThis.navigator?.clipboard) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    const said = button.closest("li")?.querySelector(".copied");
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await clipboard.writeText(button.dataset.copy);
        if (said) said.textContent = "Link copied.";
      } catch {
        // no clipboard (an insecure origin, a refused permission): select the link for the person to copy
        button.closest("li")?.querySelector("input.invite-url")?.select();
        if (said) said.textContent = "Press Ctrl+C (⌘C) to copy the selected link.";
      }
    });
  }
}
