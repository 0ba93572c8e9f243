"""What a member opens: a workspace with its channels (and what is unread there) and boards, and with it the
workspace's members, one channel's latest messages or one board's cards, read after one membership check.

The workspace (and its topic's head) is read before the lists, so that a page resuming the workspace
topic from that head can only see a change twice, never miss one.
"""

from hearth.models import Board
from hearth.protocol import HISTORY_DEFAULT
from hearth.workspaces import boards, channels, members, messages, workspace_topics
from hearth.workspaces.access import board_in, channel_in, workspace_for


def _lists(user_id, workspace, **page):
    return {
        "workspace": workspace,
        "channels": channels.unread_in(user_id, workspace.id),
        "boards": workspace_topics.rows_in(Board, workspace.id),
        **page,
    }


def workspace_overview(user_id, workspace_id):
    """The workspace, its channels (each with its newest message), boards and members.

    `welcome` is true for a member who is not the owner and has read nothing here yet: someone just added.
    """
    workspace = workspace_for(user_id, workspace_id)
    page = _lists(user_id, workspace)
    latest = messages.latest_in([c["id"] for c in page["channels"]])
    welcome = workspace.owner_id != user_id and not any(c["read_seq"] for c in page["channels"])
    return {**page, "members": members.members_in(workspace_id), "latest": latest, "welcome": welcome}


CONTEXT_BEFORE_UNREAD = 10  # read messages shown above the first unread one


def workspace_lists(user_id, workspace_id):
    """The workspace with its sidebar's lists alone (the search page)."""
    return _lists(user_id, workspace_for(user_id, workspace_id))


def channel_overview(user_id, workspace_id, channel_id, limit=HISTORY_DEFAULT, around=None, at_newest=False):
    """The workspace around one of its channels: the channel, the user's `read_seq` there, and its messages.

    The messages are those around one message when `around` names it (a search result), else the newest
    ones, unless the first unread message (someone else's, after the read marker) is older than those: then a
    page that starts a little above it, and `more_after` says that newer messages follow (the page loads them
    as the reader scrolls down). `at_newest` asks for the newest.
    """
    workspace = workspace_for(user_id, workspace_id)
    channel = channel_in(user_id, workspace_id, channel_id)
    page = _lists(user_id, workspace, channel=channel)
    # the channel as the list shows it to this user: a direct message's name, its people, the user's level
    page["channel_seen"] = next(c for c in page["channels"] if c["id"] == channel.id)
    page["read_seq"] = page["channel_seen"]["read_seq"]
    if not channel.public:
        page["channel_members"] = channels.channel_members(user_id, channel.id)
    page["more_after"] = False
    if around is not None:
        page["messages"] = messages.page_of(channel.id, {"limit": limit // 2, "around": around})
        return page
    newest = messages.page_of(channel.id, {"limit": limit})
    page["messages"] = newest
    first = None if at_newest else messages.first_unread(channel.id, user_id, page["read_seq"])
    if first is not None and newest and first.id < newest[0].id:
        above = messages.page_of(channel.id, {"before": first.id, "limit": CONTEXT_BEFORE_UNREAD})
        below = messages.page_of(channel.id, {"after": first.id - 1, "limit": limit})
        page["messages"] = above + below
        page["more_after"] = below[-1].id < newest[-1].id
    return page


def board_overview(user_id, workspace_id, board_id):
    """The workspace around one of its boards, and the board with its columns and cards."""
    workspace = workspace_for(user_id, workspace_id)
    board = board_in(workspace_id, board_id)
    return _lists(user_id, workspace, board=boards.state_of(board))
