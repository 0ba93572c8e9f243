"""Server-rendered pages for signed-in people, and the form posts that make them work without JavaScript."""

import functools
import uuid
from datetime import UTC

from flask import Blueprint, abort, flash, g, redirect, render_template, request

from hearth import workspace
from hearth.accounts.guards import page_login_required
from hearth.errors import DomainError
from hearth.models import isoformat
from hearth.protocol import HISTORY_DEFAULT

bp = Blueprint("pages", __name__)

# Times as pages render them: ISO 8601 for `<time datetime>`, and UTC text for a browser without
# JavaScript (with it, static/js/times.js rewrites them in the viewer's own time zone).
bp.add_app_template_filter(isoformat, "iso")
bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%d"), "utc_day")
bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%A, %d %B %Y (UTC)"), "utc_date_text")
bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%H:%M UTC"), "utc_clock_text")
bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"), "utc_datetime_text")


def form_action(page):
    """A form post: do it and go where the view says; a refused one goes back to `page` with the reason shown."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            try:
                return redirect(view(**kwargs), 303)
            except DomainError as e:
                if e.code == "not_found":
                    raise
                flash(e.message, "error")
                return redirect(page.format(**kwargs), 303)

        return wrapped

    return decorate


@bp.get("/")
@page_login_required
def index():
    return render_template("pages/index.html", workspaces=workspace.workspaces_of(g.user.id))


@bp.post("/w")
@page_login_required
@form_action("/")
def create_workspace():
    return f"/w/{workspace.create_workspace(g.user.id, request.form).id}"


def shell(workspace_id, **page):
    """What every workspace page shows around its own content: the workspace and the sidebar's lists.

    The workspace (and its topic's head) is read before the lists, so that the sidebar, resuming
    the workspace topic from that head, can only see a change twice, never miss one.
    """
    uid = g.user.id
    return {
        "workspace": workspace.workspace_for(uid, workspace_id),
        "sidebar_channels": workspace.channel_list(uid, workspace_id),
        "sidebar_boards": workspace.boards_of(uid, workspace_id),
        **page,
    }


@bp.get("/w/<int:workspace_id>")
@page_login_required
def workspace_page(workspace_id):
    page = shell(workspace_id)
    return render_template("pages/workspace.html", members=workspace.members_of(g.user.id, workspace_id), **page)


@bp.post("/w/<int:workspace_id>/channels")
@page_login_required
@form_action("/w/{workspace_id}")
def create_channel(workspace_id):
    channel = workspace.create_channel(g.user.id, workspace_id, request.form)
    return f"/w/{workspace_id}/c/{channel.id}"


@bp.post("/w/<int:workspace_id>/boards")
@page_login_required
@form_action("/w/{workspace_id}")
def create_board(workspace_id):
    board = workspace.create_board(g.user.id, workspace_id, request.form)
    return f"/w/{workspace_id}/b/{board.id}"


@bp.post("/w/<int:workspace_id>/members")
@page_login_required
@form_action("/w/{workspace_id}")
def add_member(workspace_id):
    user = workspace.add_member(g.user.id, workspace_id, request.form)
    flash(f"{user.display_name} can now see this workspace.", "info")
    return f"/w/{workspace_id}"


@bp.post("/w/<int:workspace_id>/members/<int:user_id>/remove")
@page_login_required
@form_action("/w/{workspace_id}")
def remove_member(workspace_id, user_id):
    """The owner's Remove beside a member, and everyone's Leave beside themself."""
    name = workspace.workspace_for(g.user.id, workspace_id).name
    workspace.remove_member(g.user.id, workspace_id, user_id)
    if user_id == g.user.id:
        flash(f"You left {name}.", "info")
        return "/"
    flash("The member was removed; their open pages of this workspace closed.", "info")
    return f"/w/{workspace_id}"


@bp.post("/w/<int:workspace_id>/<any(c, b):kind>/<int:row_id>/rename")
@page_login_required
@form_action("/w/{workspace_id}")
def rename(workspace_id, kind, row_id):
    """The owner's Rename beside a channel or board on the workspace page."""
    if kind == "c":
        workspace.channel_for(g.user.id, row_id, workspace_id)
        workspace.rename_channel(g.user.id, row_id, request.form)
    else:
        workspace.board_for(g.user.id, row_id, workspace_id)
        workspace.rename_board(g.user.id, row_id, request.form)
    return f"/w/{workspace_id}"


@bp.post("/w/<int:workspace_id>/<any(c, b):kind>/<int:row_id>/delete")
@page_login_required
@form_action("/w/{workspace_id}")
def delete(workspace_id, kind, row_id):
    """The owner's Delete beside a channel or board: everything in it goes, for everyone."""
    if kind == "c":
        name = workspace.channel_for(g.user.id, row_id, workspace_id).name
        workspace.delete_channel(g.user.id, row_id)
    else:
        name = workspace.board_for(g.user.id, row_id, workspace_id).name
        workspace.delete_board(g.user.id, row_id)
    flash(f"{name} was deleted.", "info")
    return f"/w/{workspace_id}"


@bp.get("/w/<int:workspace_id>/c/<int:channel_id>")
@page_login_required
def chat(workspace_id, channel_id):
    uid = g.user.id
    channel = workspace.channel_for(uid, channel_id, workspace_id)
    page = shell(workspace_id, current_channel=channel.id)
    read_seq = next(c["read_seq"] for c in page["sidebar_channels"] if c["id"] == channel.id)
    return render_template(
        "pages/chat.html",
        channel=channel,
        read_seq=read_seq,
        messages=workspace.history(uid, channel.id, {"limit": HISTORY_DEFAULT}),
        **page,
        client_id=uuid.uuid4(),
    )


@bp.post("/w/<int:workspace_id>/c/<int:channel_id>")
@page_login_required
@form_action("/w/{workspace_id}/c/{channel_id}")
def send_message(workspace_id, channel_id):
    """The composer without JavaScript: its client_id, drawn when the page was rendered, makes a resend harmless."""
    workspace.channel_for(g.user.id, channel_id, workspace_id)
    message, _created = workspace.post_message(g.user.id, channel_id, request.form)
    return f"{request.path}#message-{message.id}"  # the page opens scrolled to what was just sent


@bp.get("/w/<int:workspace_id>/b/<int:board_id>")
@page_login_required
def board(workspace_id, board_id):
    board = workspace.board_state(g.user.id, board_id, workspace_id)
    return render_template("pages/board.html", board=board, **shell(workspace_id, current_board=board["id"]))


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards")
@page_login_required
@form_action("/w/{workspace_id}/b/{board_id}")
def create_card(workspace_id, board_id):
    workspace.board_for(g.user.id, board_id, workspace_id)
    workspace.create_card(g.user.id, board_id, {**request.form, "column_id": form_int("column_id")})
    return f"/w/{workspace_id}/b/{board_id}"


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>/move")
@page_login_required
@form_action("/w/{workspace_id}/b/{board_id}")
def move_card(workspace_id, board_id, card_id):
    """The buttons of a card: one column to the left or to the right."""
    column_ids = [column.id for column in workspace.board_for(g.user.id, board_id, workspace_id).columns]
    card = workspace.card_for(g.user.id, card_id)
    if card.board_id != board_id:
        abort(404)
    step = {"prev": -1, "next": 1}.get(request.form.get("direction"))
    index = column_ids.index(card.column_id) + (step or 0)
    if step is None or not 0 <= index < len(column_ids):
        raise DomainError("invalid_input", "The card cannot move that way.")
    workspace.update_card(g.user.id, card_id, {"version": form_int("version"), "column_id": column_ids[index]})
    return f"/w/{workspace_id}/b/{board_id}"


def _card_on_board(workspace_id, board_id, card_id):
    """A card of this board of this workspace, or 404: the URL names all three."""
    workspace.board_for(g.user.id, board_id, workspace_id)
    card = workspace.card_for(g.user.id, card_id)
    if card.board_id != board_id:
        abort(404)
    return card


def _card_details(workspace_id, board_id, card, status=200, note=None, yours=None):
    return (
        render_template(
            "pages/card.html",
            workspace=workspace.workspace_for(g.user.id, workspace_id),
            board=workspace.board_for(g.user.id, board_id, workspace_id),
            card=card,
            note=note,
            yours=yours,
        ),
        status,
    )


@bp.get("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>")
@page_login_required
def card_details(workspace_id, board_id, card_id):
    return _card_details(workspace_id, board_id, _card_on_board(workspace_id, board_id, card_id).to_dict())


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>")
@page_login_required
def edit_card(workspace_id, board_id, card_id):
    """The details form: a stale version shows the card as it now is, with what the person typed kept beside it."""
    _card_on_board(workspace_id, board_id, card_id)
    typed = {"title": request.form.get("title", ""), "description": request.form.get("description", "")}
    try:
        workspace.update_card(g.user.id, card_id, {**typed, "version": form_int("version")})
    except DomainError as e:
        if e.code == "conflict":
            note = (
                "Someone else changed this card while you were editing it. "
                "This is the card as it is now; your text was not saved and is shown below."
            )
            return _card_details(workspace_id, board_id, e.extra["current"], 409, note, typed)
        if e.code == "invalid_input":
            current = workspace.card_for(g.user.id, card_id).to_dict()
            return _card_details(workspace_id, board_id, {**current, **typed}, 400, e.message)
        raise
    return redirect(f"/w/{workspace_id}/b/{board_id}", 303)


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>/delete")
@page_login_required
def delete_card(workspace_id, board_id, card_id):
    _card_on_board(workspace_id, board_id, card_id)
    try:
        workspace.delete_card(g.user.id, card_id, {"version": form_int("version")})
    except DomainError as e:
        if e.code != "conflict":
            raise
        note = (
            "Someone else changed this card before you deleted it. "
            "This is the card as it is now: delete it again if you still want it gone."
        )
        return _card_details(workspace_id, board_id, e.extra["current"], 409, note)
    flash("The card was deleted.", "info")
    return redirect(f"/w/{workspace_id}/b/{board_id}", 303)


def form_int(field):
    try:
        return int(request.form.get(field, ""))
    except ValueError:
        raise DomainError("invalid_input", f"{field} must be a number.", fields=[field]) from None
