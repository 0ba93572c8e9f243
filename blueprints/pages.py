"""Server-rendered pages for signed-in people, and the form posts that make them work without JavaScript."""

import functools
import uuid
from datetime import UTC
from urllib.parse import quote

from flask import Blueprint, flash, g, redirect, render_template, request

from blueprints.errors import REFUSALS
from blueprints.guards import authenticate, page_login_required, site_origin
from hearth.accounts import admin
from hearth.errors import ApiError, DomainError
from hearth.models import isoformat
from hearth.validation import MAX_ID
from hearth.workspaces import (
    boards,
    cards,
    channels,
    invitations,
    members,
    mentions,
    messages,
    overview,
    reactions,
    search,
)
from hearth.workspaces.access import card_with_its_board, channel_for

bp = Blueprint("pages", __name__)

# Times as pages render them: ISO 8601 for `<time datetime>`, and UTC text for a browser without
# JavaScript (with it, static/js/times.js rewrites them in the viewer's own time zone).
bp.add_app_template_filter(isoformat, "iso")
bp.add_app_template_filter(boards.label_colour, "label_colour")
bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%d"), "utc_day")
bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%A, %d %B %Y (UTC)"), "utc_date_text")
bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%H:%M UTC"), "utc_clock_text")


@bp.app_template_filter("filesize")
def filesize(size):
    """A file's size as people read it (static/js/chat/files.js writes the same)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


bp.add_app_template_filter(lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"), "utc_datetime_text")


def form_action(page):
    """A form post: do it and go where the view says; a refused one goes back to `page` with the reason shown."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            try:
                return redirect(view(**kwargs), 303)
            except REFUSALS as e:
                if e.code == "not_found":
                    raise
                flash(e.message, "error")
                return redirect(page.format(**kwargs), 303)

        return wrapped

    return decorate


@bp.get("/")
@page_login_required
def index():
    return render_template("pages/index.html", workspaces=members.workspaces_of(g.user.id))


@bp.post("/w")
@page_login_required
@form_action("/")
def create_workspace():
    return f"/w/{members.create_workspace(g.user.id, request.form).id}"


def shell(page, **current):
    """What every workspace page shows around its own content: the workspace and the sidebar's lists
    (channels, public and private, apart from direct messages)."""
    page = dict(page)
    listed = page.pop("channels")
    return {
        "sidebar_channels": [c for c in listed if c["kind"] != "dm"],
        "sidebar_dms": [c for c in listed if c["kind"] == "dm"],
        "sidebar_boards": page.pop("boards"),
        **page,
        **current,
    }


@bp.get("/w/<int:workspace_id>")
@page_login_required
def workspace_page(workspace_id):
    page = shell(overview.workspace_overview(g.user.id, workspace_id))
    if page["workspace"].owner_id == g.user.id:
        origin = site_origin()
        live = invitations.invitations_of(g.user.id, workspace_id)
        page["invites"] = [(invitation, invitations.link_of(invitation, origin)) for invitation in live]
    return render_template("pages/workspace.html", **page)


@bp.post("/w/<int:workspace_id>/invites")
@page_login_required
@form_action("/w/{workspace_id}")
def create_invite(workspace_id):
    """The owner's "Make a link": its uses and lifetime from the form's choices."""

    def fields():
        data = {key: request.form[key].strip() for key in ("max_uses", "expires_in", "email") if request.form.get(key)}
        return {**data, **{key: form_int(key) for key in ("max_uses", "expires_in") if key in data}}

    invitations.create_invitation(g.user.id, workspace_id, fields, site_origin())
    flash("A new invitation link is ready: copy it below.", "info")
    return f"/w/{workspace_id}#invites"


@bp.post("/w/<int:workspace_id>/invites/<int:invitation_id>/withdraw")
@page_login_required
@form_action("/w/{workspace_id}")
def withdraw_invite(workspace_id, invitation_id):
    invitations.withdraw(g.user.id, invitation_id)
    flash("The link was withdrawn: it no longer lets anyone in.", "info")
    return f"/w/{workspace_id}#invites"


@bp.get("/invite/<token>")
def invite(token):
    """An invitation's page: the workspace's name, and a way in (join, or sign in or register first)."""
    try:
        authenticate()
    except ApiError as e:
        if e.code == "token_expired":  # signed in a while ago: renew, then back here
            return redirect("/auth/resume?next=" + quote(request.path, safe="/"), 303)
    workspace = invitations.workspace_invited_to(token)
    if workspace is None:
        raise DomainError("not_found", "This invitation has expired, was used up or was withdrawn.")
    return render_template("pages/invite.html", workspace=workspace, token=token)


@bp.post("/invite/<token>")
@page_login_required
def join(token):
    workspace = invitations.accept(g.user.id, token)
    return redirect(f"/w/{workspace.id}", 303)


@bp.get("/admin")
@page_login_required
def admin_page():
    return render_template("pages/admin.html", users=admin.users_for(g.user.id))


@bp.post("/admin/users")
@page_login_required
@form_action("/admin")
def admin_create_user():
    data = {key: value for key, value in request.form.items() if value and key != "csrf_token"}
    created = admin.create_account(g.user.id, {**data, "admin": data.get("admin") == "on"})
    flash(f"{created['display_name']} can now sign in as {created['username']}.", "info")
    return "/admin"


@bp.post("/admin/users/<int:user_id>/<any(deactivate, reactivate, 'reset-two-factor'):action>")
@page_login_required
@form_action("/admin")
def admin_act_on_user(user_id, action):
    admin.ACTIONS[action](g.user.id, user_id)
    done = {
        "deactivate": "was deactivated and signed out everywhere",
        "reactivate": "can sign in again",
        "reset-two-factor": "can sign in with the password alone",
    }
    flash(f"The account {done[action]}.", "info")
    return f"/admin#user-{user_id}"


@bp.post("/w/<int:workspace_id>/channels")
@page_login_required
@form_action("/w/{workspace_id}")
def create_channel(workspace_id):
    form = {"name": request.form.get("name"), "private": request.form.get("private") == "on"}
    channel = channels.create_channel(g.user.id, workspace_id, form)
    return f"/w/{workspace_id}/c/{channel.id}"


@bp.post("/w/<int:workspace_id>/dms")
@page_login_required
@form_action("/w/{workspace_id}")
def direct_message(workspace_id):
    """ "New message" and a member's "Message": the direct message of these people (names apart by commas or spaces)."""
    typed = request.form.get("usernames", "")
    names = [name.lstrip("@") for name in typed.replace(",", " ").split()]
    channel, _created = channels.direct_message(g.user.id, workspace_id, {"usernames": names})
    return f"/w/{workspace_id}/c/{channel['id']}"


@bp.post("/w/<int:workspace_id>/c/<int:channel_id>/members")
@page_login_required
@form_action("/w/{workspace_id}/c/{channel_id}")
def add_channel_member(workspace_id, channel_id):
    channel_for(g.user.id, channel_id, workspace_id)  # pinned to the workspace the URL names
    user = channels.add_channel_member(g.user.id, channel_id, request.form)
    flash(f"{user.display_name} is in this channel now.", "info")
    return f"/w/{workspace_id}/c/{channel_id}#channel-members"


@bp.post("/w/<int:workspace_id>/c/<int:channel_id>/members/<int:user_id>/remove")
@page_login_required
@form_action("/w/{workspace_id}/c/{channel_id}")
def remove_channel_member(workspace_id, channel_id, user_id):
    channel_for(g.user.id, channel_id, workspace_id)  # pinned to the workspace the URL names
    channels.remove_channel_member(g.user.id, channel_id, user_id)
    if user_id == g.user.id:
        flash("You left the channel.", "info")
        return f"/w/{workspace_id}"
    return f"/w/{workspace_id}/c/{channel_id}#channel-members"


@bp.post("/w/<int:workspace_id>/c/<int:channel_id>/notify")
@page_login_required
@form_action("/w/{workspace_id}/c/{channel_id}")
def set_notify(workspace_id, channel_id):
    channel_for(g.user.id, channel_id, workspace_id)  # pinned to the workspace the URL names
    channels.set_notify(g.user.id, channel_id, request.form)
    flash("Notification level saved.", "info")
    return f"/w/{workspace_id}/c/{channel_id}"


@bp.get("/w/<int:workspace_id>/mentions")
@page_login_required
def mentions_page(workspace_id):
    page = shell(overview.workspace_overview(g.user.id, workspace_id), current_page="mentions")
    names = {c["id"]: c["name"] if c["kind"] == "dm" else f"# {c['name']}" for c in page["sidebar_channels"]}
    names.update({c["id"]: c["name"] for c in page["sidebar_dms"]})
    found = mentions.recent_mentions(g.user.id, workspace_id)
    return render_template("pages/mentions.html", **page, mentions=found, channel_names=names)


@bp.post("/w/<int:workspace_id>/boards")
@page_login_required
@form_action("/w/{workspace_id}")
def create_board(workspace_id):
    board = boards.create_board(g.user.id, workspace_id, request.form)
    return f"/w/{workspace_id}/b/{board.id}"


@bp.post("/w/<int:workspace_id>/members")
@page_login_required
@form_action("/w/{workspace_id}")
def add_member(workspace_id):
    user = members.add_member(g.user.id, workspace_id, request.form)
    flash(f"{user.display_name} can now see this workspace.", "info")
    return f"/w/{workspace_id}"


@bp.post("/w/<int:workspace_id>/members/<int:user_id>/remove")
@page_login_required
@form_action("/w/{workspace_id}")
def remove_member(workspace_id, user_id):
    """The owner's Remove beside a member, and everyone's Leave beside themself."""
    left = members.remove_member(g.user.id, workspace_id, user_id)
    if user_id == g.user.id:
        flash(f"You left {left.name}.", "info")
        return "/"
    flash("The member was removed; their open pages of this workspace closed.", "info")
    return f"/w/{workspace_id}"


@bp.post("/w/<int:workspace_id>/<any(c, b):kind>/<int:row_id>/rename")
@page_login_required
@form_action("/w/{workspace_id}")
def rename(workspace_id, kind, row_id):
    """The owner's Rename beside a channel or board on the workspace page."""
    rename_one = channels.rename_channel if kind == "c" else boards.rename_board
    rename_one(g.user.id, row_id, request.form, workspace_id)
    return f"/w/{workspace_id}"


@bp.post("/w/<int:workspace_id>/<any(c, b):kind>/<int:row_id>/delete")
@page_login_required
@form_action("/w/{workspace_id}")
def delete(workspace_id, kind, row_id):
    """The owner's Delete beside a channel or board: everything in it goes, for everyone."""
    delete_one = channels.delete_channel if kind == "c" else boards.delete_board
    deleted = delete_one(g.user.id, row_id, workspace_id)
    flash(f"{deleted['name']} was deleted.", "info")
    return f"/w/{workspace_id}"


@bp.get("/w/<int:workspace_id>/c/<int:channel_id>")
@page_login_required
def chat(workspace_id, channel_id):
    around = request.args.get("around", type=int)
    around = around if around is not None and 0 < around <= MAX_ID else None
    at_newest = "newest" in request.args  # "Jump to newest" without JavaScript, and where a sent message lands
    page = overview.channel_overview(g.user.id, workspace_id, channel_id, around=around, at_newest=at_newest)
    return render_template(
        "pages/chat.html",
        **shell(page, current_channel=channel_id),
        around=around,
        client_id=uuid.uuid4(),
        reaction_emoji=reactions.EMOJI,
    )


@bp.post("/w/<int:workspace_id>/c/<int:channel_id>")
@page_login_required
@form_action("/w/{workspace_id}/c/{channel_id}")
def send_message(workspace_id, channel_id):
    """The composer without JavaScript: its client_id, drawn when the page was rendered, makes a resend harmless."""
    message, _created = messages.post_message(g.user.id, channel_id, request.form, workspace_id)
    return f"{request.path}?newest#message-{message.id}"  # the page opens scrolled to what was just sent


@bp.get("/w/<int:workspace_id>/search")
@page_login_required
def search_page(workspace_id):
    """Results of the search box: messages and cards, newest first, each linking to where it lives."""
    page = shell(overview.workspace_lists(g.user.id, workspace_id))
    q, before = request.args.get("q", ""), request.args.get("before") or None
    found, problem = None, None
    if q.strip():
        try:
            found = search.search(g.user.id, workspace_id, q, before=before)
        except DomainError as refusal:
            problem = refusal.message
    return render_template("pages/search.html", **page, q=q, found=found, problem=problem)


@bp.get("/w/<int:workspace_id>/b/<int:board_id>")
@page_login_required
def board(workspace_id, board_id):
    page = overview.board_overview(g.user.id, workspace_id, board_id)
    return render_template("pages/board.html", **shell(page, current_board=board_id))


@bp.get("/w/<int:workspace_id>/my-cards")
@page_login_required
def my_cards(workspace_id):
    """The cards the viewer is assigned to, across the workspace's boards."""
    page = overview.workspace_overview(g.user.id, workspace_id)
    found = boards.cards_of_person(g.user.id, workspace_id)
    return render_template("pages/my_cards.html", **shell(page), found=found)


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards")
@page_login_required
@form_action("/w/{workspace_id}/b/{board_id}")
def create_card(workspace_id, board_id):
    data = lambda: {**request.form, "column_id": form_int("column_id")}  # noqa: E731 (read after the 404)
    cards.create_card(g.user.id, board_id, data, workspace_id)
    return f"/w/{workspace_id}/b/{board_id}"


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>/move")
@page_login_required
@form_action("/w/{workspace_id}/b/{board_id}")
def move_card(workspace_id, board_id, card_id):
    """The buttons of a card: one column to the left or to the right, or one place up or down in its column."""
    direction = request.form.get("direction")
    version = lambda: {"version": form_int("version")}  # noqa: E731 (read after the 404)
    if direction in ("up", "down"):
        cards.move_card_within(g.user.id, card_id, -1 if direction == "up" else 1, version, board_id, workspace_id)
    else:
        step = {"prev": -1, "next": 1}.get(direction)
        cards.move_card_beside(g.user.id, card_id, step, version, board_id, workspace_id)
    return f"/w/{workspace_id}/b/{board_id}"


def _card_details(workspace_id, board_id, card_id, status=200, note=None, yours=None, current=None, typed=None):
    """The card's own page: the card as stored, or `current` (as a refused change found it), with `typed` over it."""
    workspace, board, card = card_with_its_board(g.user.id, workspace_id, board_id, card_id)
    shown = {**(current or card.to_dict()), **(typed or {})}
    context = {"workspace": workspace, "board": board, "card": shown, "note": note, "yours": yours}
    context["comments"] = cards.comments_of(g.user.id, card.id)
    context["activity"] = cards.activity_of(g.user.id, card.id)
    return render_template("pages/card.html", **context), status


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>/comments")
@page_login_required
@form_action("/w/{workspace_id}/b/{board_id}/cards/{card_id}")
def comment_on_card(workspace_id, board_id, card_id):
    """The card page's comment form, without JavaScript."""
    cards.add_comment(g.user.id, card_id, request.form, board_id, workspace_id)
    return f"/w/{workspace_id}/b/{board_id}/cards/{card_id}#comments"


@bp.get("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>")
@page_login_required
def card_details(workspace_id, board_id, card_id):
    return _card_details(workspace_id, board_id, card_id)


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>")
@page_login_required
def edit_card(workspace_id, board_id, card_id):
    """The details form: a stale version shows the card as it now is, with what the person typed kept beside it."""
    typed = {"title": request.form.get("title", ""), "description": request.form.get("description", "")}
    try:
        cards.update_card(g.user.id, card_id, lambda: {**typed, "version": form_int("version")}, board_id, workspace_id)
    except DomainError as e:
        if e.code == "conflict":
            note = (
                "Someone else changed this card while you were editing it. "
                "This is the card as it is now; your text was not saved and is shown below."
            )
            return _card_details(workspace_id, board_id, card_id, 409, note, typed, current=e.extra["current"])
        if e.code == "invalid_input":
            return _card_details(workspace_id, board_id, card_id, 400, e.message, typed=typed)
        raise
    return redirect(f"/w/{workspace_id}/b/{board_id}", 303)


@bp.post("/w/<int:workspace_id>/b/<int:board_id>/cards/<int:card_id>/delete")
@page_login_required
def delete_card(workspace_id, board_id, card_id):
    try:
        cards.delete_card(g.user.id, card_id, lambda: {"version": form_int("version")}, board_id, workspace_id)
    except DomainError as e:
        if e.code != "conflict":
            raise
        note = (
            "Someone else changed this card before you deleted it. "
            "This is the card as it is now: delete it again if you still want it gone."
        )
        return _card_details(workspace_id, board_id, card_id, 409, note, current=e.extra["current"])
    flash("The card was deleted.", "info")
    return redirect(f"/w/{workspace_id}/b/{board_id}", 303)


def form_int(field):
    try:
        return int(request.form.get(field, ""))
    except ValueError:
        raise DomainError("invalid_input", f"{field} must be a number.", fields=[field]) from None
