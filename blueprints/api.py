"""`/api`: the JSON API. Views read the request, call the domain in hearth/workspaces/, and answer."""

from flask import Blueprint, current_app, g, jsonify, request

from blueprints.guards import auth_required, site_origin
from blueprints.request_bodies import json_body, uploaded_file, uploaded_stream
from hearth import openapi
from hearth.accounts import admin, avatars, personal_tokens, profile
from hearth.errors import DomainError
from hearth.validation import MAX_ID
from hearth.workspaces import (
    boards,
    cards,
    channels,
    columns,
    files,
    invitations,
    members,
    mentions,
    messages,
    reactions,
    read_markers,
    search,
)

bp = Blueprint("api", __name__, url_prefix="/api")


PUBLIC = {"api.openapi_document"}


@bp.before_request
def require_session():
    """Every API route but the document needs a live session or personal access token; writes with cookies need
    CSRF and a same-origin Origin, and every write is limited per user."""
    if request.endpoint not in PUBLIC:
        return authenticated()


@auth_required(bearer=True)
def authenticated():
    return None


def listed(rows):
    return jsonify([row.to_dict() for row in rows])


def created(row, status=201):
    return jsonify(row.to_dict()), status


def messages_seen(rows):
    """Messages as the caller sees them: each reaction says whether it is theirs (`me`)."""
    return jsonify([row.to_dict(g.user.id) for row in rows])


def message_seen(message, status):
    return jsonify(message.to_dict(g.user.id)), status


def query_int(name):
    """An integer query parameter, no larger than an id column holds (it is compared with ids in SQL)."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or abs(number) > MAX_ID:
        raise DomainError("invalid_input", f"{name} must be an integer.", fields=[name])
    return number


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/me")
def me():
    return jsonify(profile.me(g.user.id))


@bp.patch("/me")
def update_me():
    return jsonify(profile.update_profile(g.user.id, g.auth_session.id, json_body, site_origin()))


@bp.put("/me/avatar")
def put_avatar():
    avatars.set_avatar(g.user.id, uploaded_file("file"))
    return jsonify(profile.me(g.user.id))


@bp.delete("/me/avatar")
def delete_avatar():
    avatars.remove_avatar(g.user.id)
    return "", 204


@bp.get("/admin/users")
def admin_users():
    return jsonify(admin.users_for(g.user.id))


@bp.post("/admin/users")
def admin_create_user():
    return jsonify(admin.create_account(g.user.id, json_body)), 201


@bp.patch("/admin/users/<int:user_id>")
def admin_change_user(user_id):
    return jsonify(admin.change_admin(g.user.id, user_id, json_body))


@bp.post("/admin/users/<int:user_id>/deactivate")
def admin_deactivate(user_id):
    admin.deactivate(g.user.id, user_id)
    return "", 204


@bp.post("/admin/users/<int:user_id>/reactivate")
def admin_reactivate(user_id):
    admin.reactivate(g.user.id, user_id)
    return "", 204


@bp.post("/admin/users/<int:user_id>/reset-two-factor")
def admin_reset_two_factor(user_id):
    admin.reset_two_factor(g.user.id, user_id)
    return "", 204


@bp.get("/workspaces")
def workspaces():
    return listed(members.workspaces_of(g.user.id))


@bp.post("/workspaces")
def create_workspace():
    return created(members.create_workspace(g.user.id, json_body))


@bp.get("/workspaces/<int:workspace_id>/members", endpoint="members")
def list_members(workspace_id):
    return listed(members.members_of(g.user.id, workspace_id))


@bp.post("/workspaces/<int:workspace_id>/members")
def add_member(workspace_id):
    return created(members.add_member(g.user.id, workspace_id, json_body))


@bp.delete("/workspaces/<int:workspace_id>/members/<int:user_id>")
def remove_member(workspace_id, user_id):
    members.remove_member(g.user.id, workspace_id, user_id)
    return "", 204


@bp.get("/workspaces/<int:workspace_id>/channels", endpoint="channels")
def list_channels(workspace_id):
    return jsonify(channels.channel_list(g.user.id, workspace_id))


@bp.post("/workspaces/<int:workspace_id>/channels")
def create_channel(workspace_id):
    channel = channels.create_channel(g.user.id, workspace_id, json_body)
    return jsonify(channels.channel_seen(g.user.id, channel)), 201


@bp.post("/workspaces/<int:workspace_id>/dms")
def direct_message(workspace_id):
    channel, is_new = channels.direct_message(g.user.id, workspace_id, json_body)
    return jsonify(channel), 201 if is_new else 200


@bp.get("/workspaces/<int:workspace_id>/mentions")
def recent_mentions(workspace_id):
    return messages_seen(mentions.recent_mentions(g.user.id, workspace_id))


@bp.get("/channels/<int:channel_id>/members")
def list_channel_members(channel_id):
    return listed(channels.channel_members(g.user.id, channel_id))


@bp.post("/channels/<int:channel_id>/members")
def add_channel_member(channel_id):
    return created(channels.add_channel_member(g.user.id, channel_id, json_body))


@bp.delete("/channels/<int:channel_id>/members/<int:user_id>")
def remove_channel_member(channel_id, user_id):
    channels.remove_channel_member(g.user.id, channel_id, user_id)
    return "", 204


@bp.put("/channels/<int:channel_id>/notify")
def set_notify(channel_id):
    channels.set_notify(g.user.id, channel_id, json_body)
    return "", 204


@bp.patch("/channels/<int:channel_id>")
def rename_channel(channel_id):
    return created(channels.rename_channel(g.user.id, channel_id, json_body), 200)


@bp.delete("/channels/<int:channel_id>")
def delete_channel(channel_id):
    channels.delete_channel(g.user.id, channel_id)
    return "", 204


@bp.post("/channels/<int:channel_id>/read")
def mark_read(channel_id):
    read_markers.mark_read(g.user.id, channel_id, json_body)
    return "", 204


@bp.get("/channels/<int:channel_id>/messages", endpoint="messages")
def list_messages(channel_id):
    paging = lambda: {name: query_int(name) for name in ("before", "after", "around", "limit")}  # noqa: E731 (read after the 404)
    return messages_seen(messages.history(g.user.id, channel_id, paging))


@bp.post("/channels/<int:channel_id>/messages")
def post_message(channel_id):
    via = personal_tokens.name_of_session(g.auth_session.id) if g.get("by_token") else None
    message, is_new = messages.post_message(g.user.id, channel_id, json_body, via=via)
    return message_seen(message, 201 if is_new else 200)


@bp.get("/messages/<int:message_id>/replies")
def list_replies(message_id):
    paging = lambda: {name: query_int(name) for name in ("after", "limit")}  # noqa: E731 (read after the 404)
    return messages_seen(messages.replies(g.user.id, message_id, paging))


@bp.patch("/messages/<int:message_id>")
def edit_message(message_id):
    message, _seq = messages.edit_message(g.user.id, message_id, json_body)
    return message_seen(message, 200)


@bp.put("/messages/<int:message_id>/reactions/<emoji>")
def add_reaction(message_id, emoji):
    reactions.add_reaction(g.user.id, message_id, emoji)
    return "", 204


@bp.delete("/messages/<int:message_id>/reactions/<emoji>")
def remove_reaction(message_id, emoji):
    reactions.remove_reaction(g.user.id, message_id, emoji)
    return "", 204


@bp.delete("/messages/<int:message_id>")
def delete_message(message_id):
    messages.delete_message(g.user.id, message_id)
    return "", 204


@bp.get("/workspaces/<int:workspace_id>/search")
def search_workspace(workspace_id):
    limit = query_int("limit")
    return jsonify(search.search(g.user.id, workspace_id, request.args.get("q"), limit, request.args.get("before")))


@bp.post("/channels/<int:channel_id>/files")
def upload_channel_file(channel_id):
    upload = lambda: uploaded_stream("file")  # noqa: E731 (read after the 404)
    file = files.upload_to_channel(g.user.id, channel_id, upload, current_app.config["MAX_UPLOAD"])
    return jsonify(file.to_dict()), 201


@bp.post("/cards/<int:card_id>/files")
def upload_card_file(card_id):
    upload = lambda: uploaded_stream("file")  # noqa: E731 (read after the 404)
    file = files.upload_to_card(g.user.id, card_id, upload, current_app.config["MAX_UPLOAD"])
    return jsonify(file.to_dict()), 201


@bp.get("/workspaces/<int:workspace_id>/boards", endpoint="boards")
def list_boards(workspace_id):
    return listed(boards.boards_of(g.user.id, workspace_id))


@bp.post("/workspaces/<int:workspace_id>/boards")
def create_board(workspace_id):
    board = boards.create_board(g.user.id, workspace_id, json_body)
    return jsonify(boards.state_of(board)), 201


@bp.get("/boards/<int:board_id>")
def board(board_id):
    return jsonify(boards.board_state(g.user.id, board_id))


@bp.patch("/boards/<int:board_id>")
def rename_board(board_id):
    return created(boards.rename_board(g.user.id, board_id, json_body), 200)


@bp.delete("/boards/<int:board_id>")
def delete_board(board_id):
    boards.delete_board(g.user.id, board_id)
    return "", 204


@bp.post("/boards/<int:board_id>/cards")
def create_card(board_id):
    card, _seq = cards.create_card(g.user.id, board_id, json_body)
    return created(card)


@bp.post("/boards/<int:board_id>/columns")
def create_column(board_id):
    column, _seq = columns.create_column(g.user.id, board_id, json_body)
    return created(column)


@bp.patch("/columns/<int:column_id>")
def update_column(column_id):
    column, _seq = columns.update_column(g.user.id, column_id, json_body)
    return created(column, 200)


@bp.delete("/columns/<int:column_id>")
def delete_column(column_id):
    columns.delete_column(g.user.id, column_id)
    return "", 204


@bp.get("/cards/<int:card_id>/comments")
def card_comments(card_id):
    return listed(cards.comments_of(g.user.id, card_id))


@bp.post("/cards/<int:card_id>/comments")
def add_card_comment(card_id):
    comment, _seq = cards.add_comment(g.user.id, card_id, json_body)
    return created(comment)


@bp.get("/cards/<int:card_id>/activity")
def card_activity(card_id):
    return jsonify(cards.activity_of(g.user.id, card_id))


@bp.patch("/cards/<int:card_id>")
def update_card(card_id):
    card, _seq = cards.update_card(g.user.id, card_id, json_body)
    return created(card, 200)


@bp.delete("/cards/<int:card_id>")
def delete_card(card_id):
    cards.delete_card(g.user.id, card_id, json_body)
    return "", 204


def shown_invitation(invitation, token):
    return {**invitation.to_dict(), "url": invitations.link(site_origin(), token), "token": token}


@bp.post("/workspaces/<int:workspace_id>/invites")
def create_invite(workspace_id):
    invitation, token = invitations.create_invitation(g.user.id, workspace_id, json_body, site_origin())
    return jsonify(shown_invitation(invitation, token)), 201


@bp.get("/workspaces/<int:workspace_id>/invites", endpoint="invites")
def list_invites(workspace_id):
    live = invitations.invitations_of(g.user.id, workspace_id)
    return jsonify(
        [{**invitation.to_dict(), "url": invitations.link_of(invitation, site_origin())} for invitation in live]
    )


@bp.delete("/invites/<int:invitation_id>")
def withdraw_invite(invitation_id):
    invitations.withdraw(g.user.id, invitation_id)
    return "", 204


@bp.post("/invites/<token>/accept")
def accept_invite(token):
    return jsonify(invitations.accept(g.user.id, token).to_dict())
