"""Passkeys (WebAuthn): registering them to an account, signing in with one, listing and removing them.

py_webauthn does the cryptography (attestation, signatures, client data and
authenticator data); what is ours is kept here:

- A challenge is a row, taken by the answer that echoes it with one DELETE … RETURNING:
  it works once, on whichever worker, for CHALLENGE_TTL seconds. A registration's
  challenge belongs to the session that asked for it.
- User verification is required both ways: a passkey is both factors (something
  held, unlocked by something known or something one is), so a sign-in with one asks
  no two-step code.
- The signature counter must move forward; one that stands still or goes back means
  a cloned authenticator (or a replay) and the sign-in is refused. An authenticator
  that keeps no counter always says 0, and stays acceptable.
- The relying party id and the origin come from the caller (the request's host and
  origin, or HEARTH_PASSKEY_RP_ID): a credential made for another site, or an
  answer collected on another origin, does not verify.
- An account without a usable password keeps its last passkey: removing it is refused.
"""

import base64
import json
import secrets
from datetime import timedelta

import sqlalchemy as sa
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from hearth.accounts.users import refuse_deactivated
from hearth.errors import ApiError, DomainError
from hearth.extensions import db
from hearth.models import Passkey, PasskeyChallenge, User, utcnow

RP_NAME = "Hearth"
CHALLENGE_TTL = 300  # seconds a ceremony may take, from its options to its answer
MAX_PASSKEYS = 20  # per account: each is a row and a line on the security page


def relying_party_id(configured, host):
    """HEARTH_PASSKEY_RP_ID, else the request's host without its port (`[::1]:8000` → `::1`)."""
    if configured:
        return configured
    if host.startswith("["):
        return host[1 : host.index("]")]
    return host.rsplit(":", 1)[0] if ":" in host else host


def registration_options(user_id, session_id, rp_id):
    """The creation options for a new passkey of this user, as the browser's JSON; the challenge is kept for
    the session. The user's passkeys are excluded, so one device is not registered twice."""
    user = db.session.get(User, user_id)
    existing = db.session.scalars(sa.select(Passkey).where(Passkey.user_id == user_id)).all()
    if len(existing) >= MAX_PASSKEYS:
        raise DomainError("conflict", f"An account holds at most {MAX_PASSKEYS} passkeys: remove one first.")
    handle = existing[0].user_handle if existing else secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=handle,
        user_name=user.username,
        user_display_name=user.display_name,
        timeout=CHALLENGE_TTL * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
    )
    _keep_challenge(options.challenge, "register", session_id, handle)
    return json.loads(options_to_json(options))


def add_passkey(user_id, session_id, credential, name, rp_id, origin):
    """Verify the browser's answer to `registration_options` and keep the new passkey."""
    challenge, handle = _take_challenge(credential, "register", session_id)
    if challenge is None:
        raise DomainError("invalid_input", "That passkey request ran out or was used: start again.")
    try:
        verified = verify_registration_response(
            credential=json.dumps(credential),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except WebAuthnException as e:
        raise DomainError("invalid_input", f"The passkey could not be verified: {e}", fields=["credential"]) from None
    passkey = Passkey(
        user_id=user_id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        user_handle=handle,
        name=name,
        transports=",".join(_transports(credential)),
    )
    db.session.add(passkey)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError("conflict", "That passkey is registered already.") from None
    return passkey


def login_options(rp_id):
    """Request options for a sign-in: no allowCredentials, so the person picks the account on the device."""
    options = generate_authentication_options(
        rp_id=rp_id, timeout=CHALLENGE_TTL * 1000, user_verification=UserVerificationRequirement.REQUIRED
    )
    _keep_challenge(options.challenge, "login", None)
    answer = json.loads(options_to_json(options))
    answer.pop("allowCredentials", None)  # py_webauthn writes an empty list; docs/protocol.md promises none
    return answer


def check_passkey_login(credential, rp_id, origin):
    """The user a sign-in answer proves, with its passkey's counter moved forward; 401 invalid_credentials for
    anything else: an unknown passkey, a spent or stale challenge, another site's, a counter that went back."""
    refused = ApiError(401, "invalid_credentials", "That passkey was not accepted: it may have been removed.")
    challenge, _ = _take_challenge(credential, "login", None)
    passkey = _passkey_of(credential)
    if challenge is None or passkey is None or _user_handle_of(credential) != passkey.user_handle:
        raise refused
    try:
        verified = verify_authentication_response(
            credential=json.dumps(credential),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except WebAuthnException:
        raise refused from None
    if not _move_counter(passkey, verified.new_sign_count):
        raise refused
    user = db.session.get(User, passkey.user_id)
    refuse_deactivated(user)  # only now, past the signature: the answer tells nobody else the account exists
    return user


def passkeys_of(user_id):
    return db.session.scalars(sa.select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)).all()


def remove_passkey(user_id, passkey_id):
    """Remove one of the user's passkeys; 404 when there is no such one, 409 when it is the last way in."""
    # the user's row locked first (PostgreSQL): two removals of an account's last two passkeys take turns
    user = db.session.scalar(sa.select(User).where(User.id == user_id).with_for_update())
    passkey = db.session.scalar(sa.select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user_id))
    if passkey is None:
        db.session.rollback()
        raise DomainError("not_found", "No such passkey.")
    others = db.session.scalar(sa.select(sa.func.count()).where(Passkey.user_id == user_id, Passkey.id != passkey_id))
    if not others and not user.has_usable_password:
        db.session.rollback()
        raise DomainError(
            "conflict", "This is the account's only way to sign in: add another passkey or set a password first."
        )
    db.session.delete(passkey)
    db.session.commit()


def delete_expired_challenges(now=None):
    return db.session.execute(
        sa.delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= (now or utcnow()))
    ).rowcount


def _keep_challenge(challenge, purpose, session_id, user_handle=None):
    now = utcnow()
    delete_expired_challenges(now)  # the table holds only live ceremonies
    db.session.add(
        PasskeyChallenge(
            challenge=bytes_to_base64url(challenge),
            purpose=purpose,
            session_id=session_id,
            user_handle=user_handle,
            expires_at=now + timedelta(seconds=CHALLENGE_TTL),
        )
    )
    db.session.commit()


def _take_challenge(credential, purpose, session_id):
    """(the challenge the answer echoes as bytes, the user handle it was made for) when it is live and this
    ceremony's, else (None, None). Taking it spends it, whatever the answer turns out to be."""
    echoed = _client_data(credential).get("challenge")
    if not isinstance(echoed, str) or len(echoed) > 128:
        return None, None
    taken = db.session.execute(
        sa.delete(PasskeyChallenge)
        .where(
            PasskeyChallenge.challenge == echoed,
            PasskeyChallenge.purpose == purpose,
            PasskeyChallenge.session_id.is_(None) if session_id is None else PasskeyChallenge.session_id == session_id,
            PasskeyChallenge.expires_at > utcnow(),
        )
        .returning(PasskeyChallenge.challenge, PasskeyChallenge.user_handle)
    ).one_or_none()
    db.session.commit()
    return (base64url_to_bytes(taken.challenge), taken.user_handle) if taken else (None, None)


def _client_data(credential):
    try:
        data = json.loads(_decode(credential["response"]["clientDataJSON"]))
    except (KeyError, TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _passkey_of(credential):
    raw = credential.get("rawId", credential.get("id"))
    try:
        credential_id = _decode(raw)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(sa.select(Passkey).where(Passkey.credential_id == credential_id))


def _user_handle_of(credential):
    """The account a sign-in's answer names (a discoverable credential always does), or None."""
    try:
        return _decode(credential["response"]["userHandle"])
    except (KeyError, TypeError, ValueError):
        return None


def _move_counter(passkey, new_count):
    """Move the stored counter to `new_count`, only forward (0 to 0 for a device that keeps none); one statement,
    so two answers with the same counter — a replay racing the original — cannot both pass."""
    now = utcnow()
    forward = Passkey.sign_count < new_count if new_count else Passkey.sign_count == 0
    moved = db.session.execute(
        sa.update(Passkey)
        .where(Passkey.id == passkey.id, forward)
        .values(sign_count=new_count, last_used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return moved == 1


def _transports(credential):
    known = {t.value for t in AuthenticatorTransport}
    sent = credential.get("response", {}).get("transports") or []
    return [t for t in sent if isinstance(t, str) and t in known][:8]


def _decode(value):
    """base64url without padding, as WebAuthn's JSON writes binary fields."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
