"""`/auth/passkeys`: registering passkeys (a recent sign-in needed), listing and removing them, and signing in
with one. The ceremonies are in hearth/accounts/passkeys.py; a passkey sign-in starts its session exactly as
`POST /auth/login` does."""

from flask import Blueprint, current_app, g, jsonify, request

from blueprints.auth import signed_in
from blueprints.guards import auth_required, check_origin, own_origin
from blueprints.request_bodies import json_body
from hearth.accounts import passkeys
from hearth.accounts.recent_auth import require_recent_authentication
from hearth.accounts.throttles import throttle
from hearth.validation import name, parse

bp = Blueprint("passkeys", __name__, url_prefix="/auth/passkeys")


def credential(value):
    """The browser's JSON of a PublicKeyCredential (`credential.toJSON()`): an object; py_webauthn checks the rest."""
    if not isinstance(value, dict) or not isinstance(value.get("response"), dict):
        return None, "must be the credential's JSON (an object with a response)"
    return value, None


def relying_party():
    """(relying party id, expected origin): the configured id or this request's host, and its own origin."""
    return passkeys.relying_party_id(current_app.config["PASSKEY_RP_ID"], request.host), own_origin()


@bp.post("/register/options")
@auth_required
def registration_options():
    require_recent_authentication(g.auth_session.id)
    rp_id, _ = relying_party()
    return jsonify(passkeys.registration_options(g.user.id, g.auth_session.id, rp_id))


@bp.post("")
@auth_required
def add():
    require_recent_authentication(g.auth_session.id)
    fields = parse(json_body(), required={"credential": credential, "name": name})
    rp_id, origin = relying_party()
    passkey = passkeys.add_passkey(g.user.id, g.auth_session.id, fields["credential"], fields["name"], rp_id, origin)
    return jsonify(passkey.to_dict()), 201


@bp.get("")
@auth_required
def listed():
    return jsonify([passkey.to_dict() for passkey in passkeys.passkeys_of(g.user.id)])


@bp.delete("/<int:passkey_id>")
@auth_required
def remove(passkey_id):
    require_recent_authentication(g.auth_session.id)
    passkeys.remove_passkey(g.user.id, passkey_id)
    return "", 204


@bp.post("/login/options")
def login_options():
    """Like the login form, open to anyone: Origin-checked, and limited per address (each challenge is a row)."""
    check_origin("forbidden")
    throttle().check_passkey_options(request.remote_addr)
    rp_id, _ = relying_party()
    return jsonify(passkeys.login_options(rp_id))


@bp.post("/login")
def login():
    check_origin("forbidden")
    fields = parse(json_body(), required={"credential": credential})
    attempt = throttle().count_passkey_login(request.remote_addr)
    rp_id, origin = relying_party()
    user = passkeys.check_passkey_login(fields["credential"], rp_id, origin)
    attempt.give_back()
    return signed_in(user, 200)
