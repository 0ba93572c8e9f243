// The client's entry point on every signed-in page: the session, the socket, and the live parts of this page.
import { Auth } from "./auth.js";
import { BoardView } from "./board.js";
import { Chat } from "./chat/chat.js";
import { highlightMine, MentionComplete } from "./chat/mention_complete.js";
import { Http } from "./http.js";
import { MemberList } from "./members.js";
import { Notifier } from "./notify.js";
import { PresenceList } from "./presence.js";
import { Sidebar } from "./sidebar.js";
import { wireCopyButtons } from "./invites.js";
import { wireSearchKey } from "./search_box.js";
import { HearthSocket } from "./socket/socket.js";
import { askInDialog } from "./confirm.js";
import { Drawer } from "./drawer.js";
import { ConnectionStatus } from "./status.js";
import { localizeTimes } from "./times.js";

const body = document.body;
localizeTimes(document);
wireCopyButtons(document);
wireSearchKey(document);
const auth = new Auth({ expiresAt: Number(body.dataset.accessExpiresAt || 0) });
const http = new Http({ auth });
auth.startProactive();
document.getElementById("logout-form")?.addEventListener("submit", () => auth.announceLogout());

const chatRoot = document.querySelector(".chat[data-channel-id]");
const boardRoot = document.querySelector(".board[data-board-id]");
const presenceRoot = document.getElementById("presence");
const sidebarRoot = document.querySelector(".sidebar[data-workspace-id]");
const membersRoot = document.getElementById("members");
const toggle = document.getElementById("sidebar-toggle");
if (toggle && sidebarRoot) new Drawer({ toggle, drawer: sidebarRoot, backdrop: document.querySelector(".drawer-backdrop") });
const confirmDialog = document.getElementById("confirm-dialog");

if (chatRoot || boardRoot || presenceRoot) {
  const status = new ConnectionStatus(document.getElementById("connection-status"), { noun: chatRoot ? "message" : "change" });
  const socket = new HearthSocket({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
    auth,
    onStatus: (state, details) => {
      status.show(state, details);
      // while this tab is not connected, who is online is what it was: say so rather than show it as now
      presenceRoot?.toggleAttribute("data-stale", state !== "open");
      const staleNote = document.getElementById("presence-stale");
      if (staleNote) staleNote.hidden = state === "open";
    },
  });
  if (chatRoot) new Chat({ root: chatRoot, socket, http, ...(confirmDialog ? { ask: askInDialog(confirmDialog) } : {}) });
  if (boardRoot) new BoardView({ root: boardRoot, socket, http });
  const members = membersRoot && sidebarRoot
    ? new MemberList({ root: membersRoot, userId: Number(sidebarRoot.dataset.userId), workspaceId: Number(sidebarRoot.dataset.workspaceId) })
    : null;
  if (presenceRoot) new PresenceList({ root: presenceRoot, socket, onChange: (ids) => members?.showOnline(ids) });
  if (sidebarRoot) new Sidebar({ root: sidebarRoot, socket, http, onMembers: (kind, user) => members?.changed(kind, user) });
  if (sidebarRoot) {
    const itemOf = (id) => sidebarRoot.querySelector(`[data-channel-id="${id}"]`);
    new Notifier({
      socket,
      userId: Number(sidebarRoot.dataset.userId),
      workspaceId: Number(sidebarRoot.dataset.workspaceId),
      currentChannel: Number(sidebarRoot.dataset.currentChannel || 0),
      levelOf: (id) => itemOf(id)?.dataset.notify ?? "mentions",
      nameOf: (id) => itemOf(id)?.querySelector(".name")?.textContent ?? "",
      button: document.getElementById("notifications-allow"),
    });
  }
  if (chatRoot) {
    const channelId = Number(chatRoot.dataset.channelId);
    const userId = Number(chatRoot.dataset.userId);
    new MentionComplete({
      field: document.getElementById("composer-body"),
      list: document.getElementById("mention-suggestions"),
      loadPeople: () => http.json(`/api/channels/${channelId}/members`),
      userId,
    });
    highlightMine(document.getElementById("messages"), userId);
  }
  socket.connect();
  globalThis.hearth = { auth, http, socket }; // for people's user scripts and the browser tests
}
