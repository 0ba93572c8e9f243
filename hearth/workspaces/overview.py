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
    """The workspace, its channels, boards and members."""
    page = _lists(user_id, workspace_for(user_id, workspace_id))
    return {**page, "members": members.members_in(workspace_id)}


def workspace_lists(user_id, workspace_id):
    """The workspace with its sidebar's lists alone (the search page)."""
    return _lists(user_id, workspace_for(user_id, workspace_id))


def channel_overview(user_id, workspace_id, channel_id, limit=HISTORY_DEFAULT, around=None):
    """The workspace around one of its channels: the channel, the user's `read_seq` there, its newest messages
    (or, with `around`, those around one message)."""
    workspace = workspace_for(user_id, workspace_id)
    channel = channel_in(user_id, workspace_id, channel_id)
    page = _lists(user_id, workspace, channel=channel)
    # the channel as the list shows it to this user: a direct message's name, its people, the user's level
    page["channel_seen"] = next(c for c in page["channels"] if c["id"] == channel.id)
    page["read_seq"] = page["channel_seen"]["read_seq"]
    if not channel.public:
        page["channel_members"] = channels.channel_members(user_id, channel.id)
    paging = {"limit": limit} if around is None else {"limit": limit // 2, "around": around}
    page["messages"] = messages.page_of(channel.id, paging)
    return page


def board_overview(user_id, workspace_id, board_id):
    """The workspace around one of its boards, and the board with its columns and cards."""
    workspace = workspace_for(user_id, workspace_id)
    board = board_in(workspace_id, board_id)
    return _lists(user_id, workspace, board=boards.state_of(board))
