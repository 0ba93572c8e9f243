"""The OpenAPI 3.1 document of the JSON API (`/api/*`) and the JSON `/auth` routes, served at `/api/openapi.json`.

Every operation is one entry of `OPERATIONS`, keyed by method and path: a new
route is documented by adding its line there. The document lists only the
operations the app really registers, and tests/test_openapi.py fails when a
registered `/api` or JSON `/auth` route has no entry, and runs the API against
the document (schemathesis) so that what the server answers conforms to it.
"""

import re

from flask import current_app

ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
TIME = {"type": "string", "format": "date-time"}
NAME = {"type": "string", "minLength": 1, "maxLength": 80}


def obj(required, optional=None):
    """An object with these required and optional properties; others may be added by later releases."""
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def array(items):
    return {"type": "array", "items": items}


USER = {
    "id": ID,
    "username": {"type": "string"},
    "display_name": {"type": "string"},
    "avatar_url": {"type": ["string", "null"], "description": "`/avatars/<id>/<digest>.png`, or null: initials"},
}

SCHEMAS = {
    "Error": obj(
        {"error": {"type": "string"}, "message": {"type": "string"}},
        {
            "fields": {**array({"type": "string"}), "description": "the request fields that were wrong"},
            "current": {"description": "on a stale `version`: the object as stored"},
        },
    ),
    "User": obj(USER),
    "Me": obj(
        {
            **USER,
            "two_factor": {"type": "boolean"},
            "email": {"type": ["string", "null"]},
            "email_verified": {"type": "boolean"},
            "admin": {"type": "boolean"},
        }
    ),
    "AdminUser": obj(
        {
            **USER,
            "admin": {"type": "boolean"},
            "email": {"type": ["string", "null"]},
            "deactivated": {"type": "boolean"},
            "created_at": TIME,
            "last_seen_at": {"type": ["string", "null"], "format": "date-time"},
        }
    ),
    "Invitation": obj(
        {
            "id": ID,
            "workspace_id": ID,
            "url": {"type": ["string", "null"], "description": "`<origin>/invite/<token>`"},
            "expires_at": TIME,
            "max_uses": {"type": "integer", "minimum": 1, "maximum": 1000},
            "uses": {"type": "integer", "minimum": 0},
            "created_by": {"$ref": "#/components/schemas/User"},
        }
    ),
    "NewInvitation": obj(
        {
            "id": ID,
            "workspace_id": ID,
            "url": {"type": "string"},
            "token": {"type": "string", "description": "shown only in this answer and its url"},
            "expires_at": TIME,
            "max_uses": {"type": "integer", "minimum": 1, "maximum": 1000},
            "uses": {"type": "integer", "minimum": 0},
            "created_by": {"$ref": "#/components/schemas/User"},
        }
    ),
    "Workspace": obj({"id": ID, "name": {"type": "string"}, "owner_id": ID}),
    "Channel": obj(
        {"id": ID, "workspace_id": ID, "name": {"type": "string"}, "kind": {"enum": ["public", "private", "dm"]}},
        {
            "created_by": {"type": ["integer", "null"], "description": "who made it"},
            "members": {**array(ref("User")), "description": "a direct message's people"},
            "notify": {"enum": ["all", "mentions", "none"], "description": "the caller's notification level"},
            "mentions": {"type": "integer", "description": "the caller's unread mentions there"},
            "seq": {"type": "integer", "description": "head of the chat topic"},
            "read_seq": {"type": "integer", "description": "the caller's read marker"},
            "unread": {"type": "integer", "description": "messages by others after the read marker"},
        },
    ),
    "Message": obj(
        {
            "id": ID,
            "channel_id": ID,
            "seq": {"type": "integer"},
            "body": {"type": "string"},
            "client_id": {"type": ["string", "null"]},
            "author": ref("User"),
            "created_at": TIME,
        },
        {
            "edited_at": {"type": ["string", "null"], "format": "date-time"},
            "html": {"type": "string", "description": "the body's Markdown, rendered and sanitized on the server"},
            "parent_id": {"type": ["integer", "null"], "description": "the thread's first message, for a reply"},
            "reply_count": {"type": "integer", "minimum": 0},
            "last_reply_at": {"type": ["string", "null"], "format": "date-time"},
            "reactions": array(ref("Reaction")),
            "mentions": {**array(ID), "description": "the ids of the people it mentions"},
            "files": array(ref("File")),
            "via": {
                "type": ["string", "null"],
                "description": "the name of the personal access token it was sent with; null when a person typed it",
            },
        },
    ),
    "File": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "content_type": {"type": "string", "description": "decided from the bytes: an image type or octet-stream"},
            "url": {"type": "string", "description": "`/files/<id>/<name>`"},
            "thumbnail_url": {"type": ["string", "null"], "description": "images only: at most 400 px"},
        }
    ),
    "SearchResults": obj(
        {
            "results": array(
                obj(
                    {"kind": {"enum": ["message", "card"]}, "snippet": {"type": "string"}},
                    {
                        "message": ref("Message"),
                        "channel": ref("Channel"),
                        "card": ref("Card"),
                        "board": ref("Board"),
                    },
                )
            ),
            "next": {"type": ["string", "null"], "description": "`before` for the next page"},
        }
    ),
    "Reaction": obj(
        {"emoji": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
        {
            "me": {"type": "boolean", "description": "whether the caller reacted so (HTTP answers only)"},
            "user_ids": {**array(ID), "description": "who reacted so"},
        },
    ),
    "Board": obj({"id": ID, "workspace_id": ID, "name": {"type": "string"}, "seq": {"type": "integer"}}),
    "Card": obj(
        {
            "id": ID,
            "board_id": ID,
            "column_id": ID,
            "title": {"type": "string"},
            "position": {"type": "integer", "minimum": 0},
            "version": {"type": "integer", "minimum": 1},
        },
        {
            "description": {"type": "string"},
            "assignees": array(ref("User")),
            "due_on": {"type": ["string", "null"], "format": "date"},
            "labels": {**array({"type": "string", "minLength": 1, "maxLength": 24}), "maxItems": 10},
            "comment_count": {"type": "integer", "minimum": 0},
            "created_by": {"anyOf": [ref("User"), {"type": "null"}]},
            "created_at": TIME,
            "files": array(ref("File")),
        },
    ),
    "Column": obj(
        {"id": ID, "board_id": ID, "name": {"type": "string"}, "position": {"type": "integer", "minimum": 0}}
    ),
    "CardComment": obj(
        {
            "id": ID,
            "card_id": ID,
            "author": ref("User"),
            "body": {"type": "string"},
            "html": {"type": "string"},
            "created_at": TIME,
        }
    ),
    "CardActivity": obj(
        {
            "id": ID,
            "card_id": ID,
            "kind": {"enum": ["created", "moved", "renamed", "assigned", "dated", "labelled"]},
            "actor": {"anyOf": [ref("User"), {"type": "null"}]},
            "detail": {"type": "object"},
            "created_at": TIME,
        }
    ),
    "BoardState": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "seq": {"type": "integer"},
            "columns": array(
                obj(
                    {
                        "id": ID,
                        "name": {"type": "string"},
                        "position": {"type": "integer"},
                        "cards": array(ref("Card")),
                    }
                )
            ),
        },
        {"workspace_id": ID},
    ),
    "Session": obj(
        {
            "id": ID,
            "created_at": TIME,
            "last_seen_at": TIME,
            "user_agent": {"type": "string"},
            "current": {"type": "boolean"},
        }
    ),
    "Token": obj(
        {"id": ID, "name": {"type": "string"}, "created_at": TIME, "last_used_at": {"type": ["string", "null"]}}
    ),
    "NewToken": obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "created_at": TIME,
            "token": {"type": "string", "pattern": "^hearth_pat_", "description": "shown only in this answer"},
        }
    ),
    "Passkey": obj(
        {"id": ID, "name": {"type": "string"}, "created_at": TIME, "last_used_at": {"type": ["string", "null"]}}
    ),
    "CreationOptions": {
        **obj({"challenge": {"type": "string"}, "rp": {"type": "object"}, "user": {"type": "object"}}),
        "description": "PublicKeyCredentialCreationOptions as JSON (binary fields base64url): for "
        "`PublicKeyCredential.parseCreationOptionsFromJSON`",
    },
    "RequestOptions": {
        **obj({"challenge": {"type": "string"}, "rpId": {"type": "string"}}),
        "description": "PublicKeyCredentialRequestOptions as JSON, without allowCredentials: for "
        "`PublicKeyCredential.parseRequestOptionsFromJSON`",
    },
    "SignedIn": obj({"user": ref("User"), "session_id": ID, "access_expires_at": {"type": "integer"}}),
    "AccessExpiry": obj({"access_expires_at": {"type": "integer", "description": "unix seconds"}}),
    "TwoFactorSetup": obj({"secret": {"type": "string"}, "otpauth_uri": {"type": "string"}}),
    "RecoveryCodes": obj({"recovery_codes": {**array({"type": "string"}), "minItems": 10, "maxItems": 10}}),
}

BODIES = {
    "Login": obj(
        {"username": {"type": "string"}, "password": {"type": "string"}},
        {"totp": {"type": "string", "description": "the current 6-digit code, or an unused recovery code"}},
    ),
    "Register": obj(
        {
            "username": {"type": "string", "pattern": "^[a-z0-9_.-]{3,32}$"},
            "password": {"type": "string", "minLength": 8, "maxLength": 256},
        },
        {
            "display_name": NAME,
            "invite": {"type": "string", "description": "a live invitation's token: join its workspace"},
        },
    ),
    "NewUser": obj(
        {
            "username": {"type": "string", "pattern": "^[a-z0-9_.-]{3,32}$"},
            "password": {"type": "string", "minLength": 8, "maxLength": 256},
        },
        {"display_name": NAME, "email": {"type": "string", "maxLength": 254}, "admin": {"type": "boolean"}},
    ),
    "AdminFlag": obj({"admin": {"type": "boolean"}}),
    "InvitationRequest": {
        "type": "object",
        "properties": {
            "max_uses": {"type": "integer", "minimum": 1, "maximum": 1000},
            "expires_in": {"type": "integer", "minimum": 60, "maximum": 2592000, "description": "seconds"},
            "email": {"type": "string", "maxLength": 254, "description": "also mail the link there"},
        },
    },
    "PasswordChange": obj(
        {"current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 8, "maxLength": 256}}
    ),
    "Password": obj({"password": {"type": "string"}}),
    "NewPasskey": obj({"credential": ref("Credential"), "name": NAME}),
    "PasskeySignIn": obj({"credential": ref("Credential")}),
    "Credential": {
        **obj({"id": {"type": "string"}, "response": {"type": "object"}}),
        "description": "the browser's `credential.toJSON()` (WebAuthn's JSON, binary fields base64url)",
    },
    "ProfileUpdate": obj(
        {},
        {
            "display_name": NAME,
            "email": {
                "type": "string",
                "maxLength": 254,
                "description": "a new address is unverified until its mailed link is followed; empty removes it",
            },
        },
    ),
    "ResetRequest": obj({"login": {"type": "string", "minLength": 1, "maxLength": 254}}),
    "NewPassword": obj(
        {"password": {"type": "string", "minLength": 8, "maxLength": 256}},
        {"totp": {"type": "string", "description": "with two-step sign-in on: the current code or a recovery code"}},
    ),
    "Upload": obj({"file": {"type": "string", "contentMediaType": "application/octet-stream"}}),
    "Code": obj({"code": {"type": "string"}}),
    "Name": obj({"name": NAME}),
    "Member": obj({"username": {"type": "string"}}),
    "NewChannel": obj({"name": NAME}, {"private": {"type": "boolean", "description": "only its members see it"}}),
    "DirectMessage": obj({"usernames": {**array({"type": "string"}), "minItems": 1, "maxItems": 8}}),
    "NotifyLevel": obj({"level": {"enum": ["all", "mentions", "none"]}}),
    "NewMessage": obj(
        {"body": {"type": "string", "minLength": 1, "maxLength": 4000}},
        {
            "client_id": {"type": "string", "maxLength": 64},
            "parent_id": ID,
            "file_ids": {**array(ID), "description": "1–10 of the author's unsent uploads to the channel"},
        },
    ),
    "MessageEdit": obj({"body": {"type": "string", "minLength": 1, "maxLength": 4000}}),
    "ReadMarker": obj({"seq": {"type": "integer", "minimum": 0}}),
    "NewCard": obj({"column_id": ID, "title": {"type": "string", "minLength": 1, "maxLength": 200}}),
    "CardUpdate": obj(
        {"version": {"type": "integer"}},
        {
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string", "maxLength": 4000},
            "column_id": ID,
            "position": {"type": "integer", "minimum": 0},
            "assignees": {**array(ID), "maxItems": 20, "description": "user ids, members of the workspace"},
            "due_on": {"type": ["string", "null"], "format": "date", "description": "YYYY-MM-DD; null clears it"},
            "labels": {**array({"type": "string", "minLength": 1, "maxLength": 24}), "maxItems": 10},
        },
    ),
    "CardDelete": obj({"version": {"type": "integer"}}),
    "ColumnUpdate": obj(
        {}, {"name": {"type": "string", "minLength": 1, "maxLength": 80}, "position": {"type": "integer", "minimum": 0}}
    ),
    "NewComment": obj({"body": {"type": "string", "minLength": 1, "maxLength": 4000}}),
}

# Who may call: a personal access token or the access cookie (api), the access cookie alone (access),
# the refresh cookie (refresh), or anyone (public).
SECURITY = {
    "api": [{"bearer": []}, {"accessCookie": [], "csrf": []}],
    "access": [{"accessCookie": [], "csrf": []}],
    "refresh": [{"refreshCookie": [], "csrfRefresh": []}],
    "public": [],
}


def op(summary, answer=None, status=200, body=None, who="api", query=None):
    """One operation: its success answer (a schema, or None for 204), request body and who may call it."""
    return {"summary": summary, "answer": answer, "status": status, "body": body, "who": who, "query": query or {}}


PAGING = {
    "before": "messages older than this id",
    "after": "messages newer than this id",
    "around": "this message with up to `limit` on each side",
    "limit": "1–100 (default 50)",
}

OPERATIONS = {
    # /auth: sessions for browsers
    ("POST", "/auth/login"): op(
        "Sign in; with two-step sign-in on, send `totp` too", ref("SignedIn"), body="Login", who="public"
    ),
    ("POST", "/auth/register"): op("Create an account and sign in", ref("SignedIn"), 201, "Register", who="public"),
    ("POST", "/auth/refresh"): op("Rotate the refresh token; a new access token", ref("AccessExpiry"), who="refresh"),
    ("POST", "/auth/logout"): op("End this session", None, 204, who="refresh"),
    ("POST", "/auth/logout-all"): op("End every session and token of the user", None, 204, who="refresh"),
    ("POST", "/auth/password"): op(
        "Change the password; ends every other session and token", None, 204, "PasswordChange", "access"
    ),
    ("POST", "/auth/reauthenticate"): op(
        "Give the password again: changes that answer `reauth_required` are allowed for a while",
        None,
        204,
        "Password",
        "access",
    ),
    ("GET", "/auth/sessions"): op("The user's signed-in devices", array(ref("Session")), who="access"),
    ("DELETE", "/auth/sessions/{session_id}"): op(
        "End one session (another one needs a recent password: `reauth_required`)", None, 204, who="access"
    ),
    ("POST", "/auth/2fa/setup"): op("A new TOTP secret to scan (not active yet)", ref("TwoFactorSetup"), who="access"),
    ("POST", "/auth/2fa/enable"): op(
        "Turn two-step sign-in on with a current code (needs a recent password: `reauth_required`)",
        ref("RecoveryCodes"),
        body="Code",
        who="access",
    ),
    ("POST", "/auth/2fa/disable"): op("Turn two-step sign-in off", None, 204, "Password", "access"),
    ("GET", "/auth/tokens"): op("The user's personal access tokens", array(ref("Token")), who="access"),
    ("POST", "/auth/tokens"): op(
        "Create a personal access token (needs a recent password: `reauth_required`)",
        ref("NewToken"),
        201,
        "Name",
        "access",
    ),
    ("DELETE", "/auth/tokens/{token_id}"): op("Delete a token; its requests and sockets end", None, 204, who="access"),
    ("POST", "/auth/passkeys/register/options"): op(
        "Start adding a passkey: creation options, a discoverable credential with user verification (needs a "
        "recent password: `reauth_required`)",
        ref("CreationOptions"),
        who="access",
    ),
    ("POST", "/auth/passkeys"): op(
        "Add the passkey the browser created from the options (needs a recent password: `reauth_required`)",
        ref("Passkey"),
        201,
        "NewPasskey",
        "access",
    ),
    ("GET", "/auth/passkeys"): op("The user's passkeys", array(ref("Passkey")), who="access"),
    ("DELETE", "/auth/passkeys/{passkey_id}"): op(
        "Remove a passkey (needs a recent password: `reauth_required`; 409 for the last one of an account "
        "without a password)",
        None,
        204,
        who="access",
    ),
    ("POST", "/auth/passkeys/login/options"): op(
        "Start a passkey sign-in: request options (single-use challenge, 5 minutes)",
        ref("RequestOptions"),
        who="public",
    ),
    ("POST", "/auth/passkeys/login"): op(
        "Sign in with a passkey, as `POST /auth/login` does (no two-step code: a passkey is both factors)",
        ref("SignedIn"),
        body="PasskeySignIn",
        who="public",
    ),
    # /auth, signed out: mailed links
    ("POST", "/auth/password-reset"): op(
        "Mail a password-reset link to the account's verified address; 202 whether or not there is one",
        None,
        202,
        "ResetRequest",
        "public",
    ),
    ("POST", "/auth/password-reset/{token}"): op(
        "Set a new password with a mailed link (once, within 30 minutes); every session and token ends",
        None,
        204,
        "NewPassword",
        "public",
    ),
    ("POST", "/auth/verify-email/{token}"): op(
        "Confirm an email address with its mailed link (once, within 48 hours)", None, 204, who="public"
    ),
    # /api
    ("GET", "/api/openapi.json"): op("This document", {"type": "object"}, who="public"),
    ("GET", "/api/me"): op("The signed-in user", ref("Me")),
    ("PATCH", "/api/me"): op(
        "Change the display name or email (a new email needs a recent password: `reauth_required`; taken: 409)",
        ref("Me"),
        body="ProfileUpdate",
    ),
    ("PUT", "/api/me/avatar"): op(
        "Upload an avatar (multipart field `file`: PNG, JPEG, GIF or WebP, else 415)", ref("Me"), body="Upload"
    ),
    ("DELETE", "/api/me/avatar"): op("Remove the avatar (initials instead)", None, 204),
    ("GET", "/api/workspaces"): op("The user's workspaces", array(ref("Workspace"))),
    ("POST", "/api/workspaces"): op("Create a workspace (the caller owns it)", ref("Workspace"), 201, "Name"),
    ("GET", "/api/workspaces/{workspace_id}/members"): op("Members of a workspace", array(ref("User"))),
    ("POST", "/api/workspaces/{workspace_id}/members"): op("Add a member (owner only)", ref("User"), 201, "Member"),
    ("DELETE", "/api/workspaces/{workspace_id}/members/{user_id}"): op("Remove a member, or leave", None, 204),
    ("GET", "/api/workspaces/{workspace_id}/channels"): op("Channels of a workspace", array(ref("Channel"))),
    ("POST", "/api/workspaces/{workspace_id}/channels"): op("Create a channel", ref("Channel"), 201, "NewChannel"),
    ("POST", "/api/workspaces/{workspace_id}/dms"): op(
        "The direct message of the caller and these members (200 when it exists)", ref("Channel"), 201, "DirectMessage"
    ),
    ("GET", "/api/workspaces/{workspace_id}/mentions"): op(
        "The newest messages that mention the caller", array(ref("Message"))
    ),
    ("GET", "/api/channels/{channel_id}/members"): op("Who may read the channel", array(ref("User"))),
    ("POST", "/api/channels/{channel_id}/members"): op(
        "Add a workspace member to a private channel", ref("User"), 201, "Member"
    ),
    ("DELETE", "/api/channels/{channel_id}/members/{user_id}"): op(
        "Leave a private channel, or remove a member (its creator or the owner)", None, 204
    ),
    ("PUT", "/api/channels/{channel_id}/notify"): op("Set the caller's notification level", None, 204, "NotifyLevel"),
    ("PATCH", "/api/channels/{channel_id}"): op("Rename a channel (owner only)", ref("Channel"), body="Name"),
    ("DELETE", "/api/channels/{channel_id}"): op("Delete a channel (owner only)", None, 204),
    ("GET", "/api/channels/{channel_id}/messages"): op("History, oldest first", array(ref("Message")), query=PAGING),
    ("POST", "/api/channels/{channel_id}/messages"): op(
        "Post a message (the same client_id again answers the first, 200)", ref("Message"), 201, "NewMessage"
    ),
    ("POST", "/api/channels/{channel_id}/read"): op("Move the read marker forward", None, 204, "ReadMarker"),
    ("POST", "/api/channels/{channel_id}/files"): op(
        "Upload a file for a message (multipart field `file`, up to HEARTH_MAX_UPLOAD)", ref("File"), 201, "Upload"
    ),
    ("POST", "/api/cards/{card_id}/files"): op(
        "Attach a file to a card (multipart field `file`, up to HEARTH_MAX_UPLOAD)", ref("File"), 201, "Upload"
    ),
    ("GET", "/api/workspaces/{workspace_id}/search"): op(
        "Search messages and cards, newest first",
        ref("SearchResults"),
        query={
            "q": {"description": 'words, "a phrase", from:username, in:channel-name', "schema": {"type": "string"}},
            "limit": "1–50 (default 20)",
            "before": {"description": "the `next` of the page before", "schema": {"type": "string"}},
        },
    ),
    ("GET", "/api/messages/{message_id}/replies"): op(
        "A thread's replies, oldest first", array(ref("Message")), query={k: PAGING[k] for k in ("after", "limit")}
    ),
    ("PATCH", "/api/messages/{message_id}"): op("Edit one's own message", ref("Message"), body="MessageEdit"),
    ("PUT", "/api/messages/{message_id}/reactions/{emoji}"): op("React with an emoji (again: no change)", None, 204),
    ("DELETE", "/api/messages/{message_id}/reactions/{emoji}"): op("Take one's reaction back", None, 204),
    ("DELETE", "/api/messages/{message_id}"): op("Delete one's own message", None, 204),
    ("GET", "/api/workspaces/{workspace_id}/boards"): op("Boards of a workspace", array(ref("Board"))),
    ("POST", "/api/workspaces/{workspace_id}/boards"): op(
        "Create a board with the columns To do, Doing and Done", ref("BoardState"), 201, "Name"
    ),
    ("GET", "/api/boards/{board_id}"): op("A board with its columns and cards", ref("BoardState")),
    ("PATCH", "/api/boards/{board_id}"): op("Rename a board (owner only)", ref("Board"), body="Name"),
    ("DELETE", "/api/boards/{board_id}"): op("Delete a board (owner only)", None, 204),
    ("POST", "/api/boards/{board_id}/cards"): op("Add a card at the end of a column", ref("Card"), 201, "NewCard"),
    ("PATCH", "/api/cards/{card_id}"): op(
        "Edit or move a card (stale version: 409 with `current`)", ref("Card"), body="CardUpdate"
    ),
    ("DELETE", "/api/cards/{card_id}"): op("Delete a card", None, 204, "CardDelete"),
    ("POST", "/api/boards/{board_id}/columns"): op("Add a column at the end of a board", ref("Column"), 201, "Name"),
    ("PATCH", "/api/columns/{column_id}"): op("Rename or move a column", ref("Column"), body="ColumnUpdate"),
    ("DELETE", "/api/columns/{column_id}"): op("Delete an empty column (else 409 conflict)", None, 204),
    ("GET", "/api/cards/{card_id}/comments"): op("A card's comments, oldest first", array(ref("CardComment"))),
    ("POST", "/api/cards/{card_id}/comments"): op(
        "Comment on a card (Markdown)", ref("CardComment"), 201, "NewComment"
    ),
    ("GET", "/api/cards/{card_id}/activity"): op("A card's history, oldest first", array(ref("CardActivity"))),
    ("POST", "/api/workspaces/{workspace_id}/invites"): op(
        "Make an invitation link (owner only); with `email` it is mailed too",
        ref("NewInvitation"),
        201,
        "InvitationRequest",
    ),
    ("GET", "/api/workspaces/{workspace_id}/invites"): op(
        "The live invitation links (owner only)", array(ref("Invitation"))
    ),
    ("DELETE", "/api/invites/{invitation_id}"): op("Withdraw an invitation link (owner only)", None, 204),
    ("POST", "/api/invites/{token}/accept"): op(
        "Join the workspace of a live link (a member already: the same answer, nothing counted)", ref("Workspace")
    ),
    # site admins only; anyone else 403 forbidden
    ("GET", "/api/admin/users"): op("Every account, as a site admin sees it", array(ref("AdminUser"))),
    ("POST", "/api/admin/users"): op("Add an account (any registration mode)", ref("AdminUser"), 201, "NewUser"),
    ("PATCH", "/api/admin/users/{user_id}"): op(
        "Make an account a site admin or no longer one (not oneself: 409)", ref("AdminUser"), body="AdminFlag"
    ),
    ("POST", "/api/admin/users/{user_id}/deactivate"): op(
        "Deactivate an account: every session and token ends, sign-in answers account_deactivated (not oneself: 409)",
        None,
        204,
    ),
    ("POST", "/api/admin/users/{user_id}/reactivate"): op("Let a deactivated account sign in again", None, 204),
    ("POST", "/api/admin/users/{user_id}/reset-two-factor"): op("Turn an account's two-step sign-in off", None, 204),
}

# The /auth routes that answer HTML (forms and the resume page) are for browsers, not in the document.
HTML_ROUTES = {
    ("GET", "/auth/login"),
    ("GET", "/auth/register"),
    ("GET", "/auth/resume"),
    ("POST", "/auth/resume"),
    ("GET", "/auth/password-reset"),
    ("GET", "/auth/reset/{token}"),
    ("GET", "/auth/verify-email/{token}"),
}
MULTIPART_BODIES = {"Upload"}


def openapi_path(rule):
    """`/api/cards/<int:card_id>` → `/api/cards/{card_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def registered_routes(app):
    """(method, path) of every `/api` and JSON `/auth` route the app serves."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/auth/")):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, openapi_path(rule.rule)))
    return routes - HTML_ROUTES


PATH_SCHEMAS = {  # every other path part is an id
    "token": {"type": "string", "minLength": 1, "maxLength": 200},
    "emoji": {"type": "string", "minLength": 1, "maxLength": 16, "description": "one emoji"},
}


def operation(method, path, spec):
    responses = {"default": {"description": "an error", "content": json_content(ref("Error"))}}
    if spec["answer"] is None:
        responses[str(spec["status"])] = {"description": "done"}
    else:
        responses[str(spec["status"])] = {"description": "OK", "content": json_content(spec["answer"])}
    if (method, path) == ("POST", "/api/channels/{channel_id}/messages"):
        responses["200"] = {
            "description": "a repeated client_id: the first message",
            "content": json_content(ref("Message")),
        }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": PATH_SCHEMAS.get(name, ID)}
        for name in re.findall(r"{(\w+)}", path)
    ] + [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": text["description"] if isinstance(text, dict) else text,
            "schema": text["schema"] if isinstance(text, dict) else {"type": "integer"},
        }
        for name, text in spec["query"].items()
    ]
    result = {
        "operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
        "summary": spec["summary"],
        "tags": [path.split("/")[1]],
        "security": SECURITY[spec["who"]],
        "responses": responses,
    }
    if parameters:
        result["parameters"] = parameters
    if spec["body"] in MULTIPART_BODIES:
        result["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": ref(spec["body"])}}}
    elif spec["body"]:
        result["requestBody"] = {"required": True, "content": json_content(ref(spec["body"]))}
    return result


def json_content(schema):
    return {"application/json": {"schema": schema}}


def document(app=None):
    """The document for the routes this app registers."""
    app = app or current_app
    served = registered_routes(app)
    paths = {}
    for (method, path), spec in OPERATIONS.items():
        if (method, path) in served:
            paths.setdefault(path, {})[method.lower()] = operation(method, path, spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hearth",
            "version": "2",
            "description": (
                'Errors are `{"error": code, "message": text}` (see the Error schema). Programs authenticate '
                "`/api/*` and `/ws` with `Authorization: Bearer hearth_pat_…` and send no CSRF header; browsers use "
                "the cookies and `X-CSRF-TOKEN`. `/auth` routes never take a personal access token. "
                "`401 reauth_required`: the change needs the password given recently; "
                "`POST /auth/reauthenticate`, then retry."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {**SCHEMAS, **BODIES},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "a personal access token"},
                "accessCookie": {"type": "apiKey", "in": "cookie", "name": "access_token_cookie"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-TOKEN", "description": "csrf_access_token"},
                "refreshCookie": {"type": "apiKey", "in": "cookie", "name": "refresh_token_cookie"},
                "csrfRefresh": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-TOKEN",
                    "description": "csrf_refresh_token",
                },
            },
        },
    }
