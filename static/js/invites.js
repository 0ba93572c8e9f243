/**
 * Copy buttons (`button[data-copy]`): invitation links on the workspace page, a new personal token and
 * recovery codes, each shown once. The button puts its text on the clipboard and says so (`data-copied`);
 * without a clipboard it selects what it would copy (`data-copy-target`, else the link's field).
 * Without scripts the buttons stay hidden and the text is there to select.
 * @param {ParentNode} root
 * @param {{writeText(text: string): Promise<void>} | undefined} clipboard navigator.clipboard
 */
export function wireCopyButtons(root, clipboard = globalThis.navigator?.clipboard) {
  for (const button of root.querySelectorAll("button[data-copy]")) {
    const said = button.closest("li, .notice, .copy-scope")?.querySelector(".copied");
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await clipboard.writeText(button.dataset.copy);
        if (said) said.textContent = button.dataset.copied ?? "Link copied.";
      } catch {
        // no clipboard (an insecure origin, a refused permission): select the text for the person to copy
        const target = button.dataset.copyTarget && root.getElementById?.(button.dataset.copyTarget);
        if (target) globalThis.getSelection?.().selectAllChildren(target);
        else button.closest("li")?.querySelector("input.invite-url")?.select();
        if (said) said.textContent = `Press Ctrl+C (⌘C) to copy the selected ${target ? "text" : "link"}.`;
      }
    });
  }
}
