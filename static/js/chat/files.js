import { readCookie } from "../cookies.js";

/**
 * Files in the chat. `Uploads` is the composer's tray: files chosen with the picker
 * (`form#composer input[type=file]`), dropped on the composer or pasted into it are
 * uploaded at once to `POST /api/channels/<id>/files`, each with its progress shown;
 * the next message sent carries their ids (`file_ids`). `fillFiles` draws a message's
 * files from the `[data-file-id]` items of the page's message template, as the
 * server renders them (templates/pages/_message.html): images inline, the rest as downloads.
 */
export class Uploads {
  constructor({ form, channelId, documentRef = globalThis.document, send = xhrUpload, onChange = () => {} }) {
    Object.assign(this, { form, channelId, documentRef, send, onChange });
    this.input = form.querySelector("input[type=file]");
    this.tray = form.querySelector(".uploads");
    this.entries = [];
    this.input?.addEventListener("change", () => {
      this.add([...this.input.files]);
      this.input.value = "";
    });
    form.addEventListener("dragover", (event) => {
      if (!hasFiles(event.dataTransfer)) return;
      event.preventDefault();
      form.classList.add("dropping");
    });
    form.addEventListener("dragleave", () => form.classList.remove("dropping"));
    form.addEventListener("drop", (event) => {
      form.classList.remove("dropping");
      if (!hasFiles(event.dataTransfer)) return;
      event.preventDefault();
      this.add([...event.dataTransfer.files]);
    });
    form.addEventListener("paste", (event) => {
      const pasted = pastedFiles(event.clipboardData);
      if (pasted.length === 0) return;
      event.preventDefault();
      this.add(pasted);
    });
  }

  /** Start uploading each file, showing it in the tray with a progress bar and a way to take it out. */
  add(files) {
    for (const file of files) {
      const doc = this.documentRef;
      const item = doc.createElement("li");
      item.className = "upload";
      const name = doc.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name || "pasted image";
      const progress = doc.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", `Uploading ${name.textContent}`);
      const remove = doc.createElement("button");
      remove.type = "button";
      remove.className = "link-button";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${name.textContent}`);
      item.append(name, " ", progress, " ", remove);
      this.tray.append(item);
      this.tray.hidden = false;
      const entry = { item, file: null, done: false, failed: false };
      this.entries.push(entry);
      remove.addEventListener("click", () => this.drop(entry));
      const form = new FormData();
      form.append("file", file, file.name || "pasted.png");
      entry.promise = this.send(`/api/channels/${this.channelId}/files`, form, (fraction) => {
        progress.value = Math.round(fraction * 100);
      })
        .then((stored) => {
          entry.file = stored;
          entry.done = true;
          progress.value = 100;
          item.dataset.fileId = stored.id;
          progress.setAttribute("aria-label", `${name.textContent} uploaded`);
        })
        .catch((error) => {
          entry.failed = true;
          progress.remove();
          const note = doc.createElement("span");
          note.className = "error-note";
          note.setAttribute("role", "alert");
          note.textContent = `Not uploaded: ${error.message}`;
          remove.before(note, " ");
        })
        .finally(() => this.onChange());
    }
    this.onChange();
  }

  drop(entry) {
    entry.item.remove();
    this.entries = this.entries.filter((other) => other !== entry);
    if (this.entries.length === 0) this.tray.hidden = true;
    this.onChange();
  }

  /** Whether an upload is still on its way (sending waits for it). */
  busy() {
    return this.entries.some((entry) => !entry.done && !entry.failed);
  }

  /** The uploaded files to send with the next message; the tray empties. */
  take() {
    const files = this.entries.filter((entry) => entry.done).map((entry) => entry.file);
    for (const entry of this.entries) entry.item.remove();
    this.entries = [];
    this.tray.hidden = true;
    return files;
  }

  /** Everything still uploading, then what is ready. */
  async settled() {
    await Promise.allSettled(this.entries.map((entry) => entry.promise));
  }
}

function hasFiles(transfer) {
  return Boolean(transfer && [...(transfer.types ?? [])].includes("Files"));
}

/** The files of a paste: images copied (a screenshot) or files copied in a file manager. */
export function pastedFiles(clipboard) {
  if (!clipboard) return [];
  const files = [...(clipboard.files ?? [])];
  if (files.length) return files;
  return [...(clipboard.items ?? [])].filter((item) => item.kind === "file").map((item) => item.getAsFile()).filter(Boolean);
}

/** POST a FormData with XMLHttpRequest, whose upload reports progress; resolves with the JSON answer. */
export function xhrUpload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRF-TOKEN", readCookie("csrf_access_token") ?? "");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null;
      }
      if (request.status === 201 && body) resolve(body);
      else reject(new Error(body?.message ?? `HTTP ${request.status}`));
    });
    request.addEventListener("error", () => reject(new Error("the connection failed")));
    request.send(form);
  });
}

/** A file's size as people read it (blueprints/pages.py's `filesize` writes the same). */
export function sizeText(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Draw a message's files into `box` (the template's `ul.files`, holding an image item and a
 * download item to clone); the box goes when there are none.
 */
export function fillFiles(box, files) {
  if (!box) return;
  const [imageItem, downloadItem] = box.querySelectorAll("[data-file-id]");
  if (!files || files.length === 0) {
    box.remove();
    return;
  }
  box.replaceChildren(
    ...files.map((file) => {
      const item = (file.thumbnail_url ? imageItem : downloadItem).cloneNode(true);
      item.dataset.fileId = file.id;
      const link = item.querySelector("a");
      link.href = file.url;
      if (file.thumbnail_url) {
        const image = item.querySelector("img");
        image.src = file.thumbnail_url;
        image.alt = file.name;
      } else {
        link.setAttribute("download", file.name);
        item.querySelector(".file-name").textContent = file.name;
        item.querySelector(".file-size").textContent = sizeText(file.size);
      }
      return item;
    }),
  );
}
