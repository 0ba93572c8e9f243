"""A page form posted after the access token expired, carried through `/auth/resume` and carried out once.

Without JavaScript nothing refreshes the access token, so after its few minutes
a form post (a chat message, a new card) meets an expired token. Rather than
lose what the person typed, the post is sealed: its fields, its path and its
session, signed with the app's secret. The resume page carries the seal to
`POST /auth/resume`, which, after renewing the sign-in, answers 307 so the
browser posts it again to the page; the page opens the seal instead of reading
a CSRF field.

Why this is as safe as the CSRF check it stands in for: a seal is only made
from a post that passed the double-submit check against the expired token's own
CSRF value and the Origin check, it names that session and path and works for
nothing else, and it expires. It is carried out once: `/auth/resume` sends the
307 only when it really rotated the refresh token, so a resubmitted resume page
(whose token is then the previous one) lands on the page without posting again,
and each seal has an id that opening it spends (in Redis across workers), so a
seal posted to the page again, by a back button or by anyone who copied it, does
nothing. Passwords are never sealed: the resume page holds the seal in its HTML,
signed but readable, and a password page asks for them again instead.
"""

import secrets
from hmac import compare_digest

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import ImmutableMultiDict

from hearth.realtime.limits import make_attempt_windows

SEAL_FIELD = "carried_form"
MAX_AGE = 15 * 60  # seconds a sealed form waits for the sign-in to be renewed


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hearth.carried-form")


def seal_form(claims, path, form):
    """The sealed form of a post to `path` whose access token (`claims`, decoded though expired) was otherwise
    sound, when its CSRF field matches that token; else None. Its passwords are left out."""
    sent, expected = form.get("csrf_token"), claims.get("csrf")
    if not sent or not expected or not compare_digest(str(sent), str(expected)):
        return None
    fields = [(k, v) for k, v in form.items(multi=True) if k != "csrf_token" and "password" not in k]
    seal = {"id": secrets.token_urlsafe(16), "sid": claims["sid"], "path": path, "fields": fields}
    return _serializer().dumps(seal)


SPENT = ImmutableMultiDict()  # a seal already carried out: the post does nothing


def open_seal(value, session_id, path):
    """The carried fields, if `value` is a live seal of this session for this path, spending it; SPENT when
    it was carried out before; else None."""
    if not value:
        return None
    try:
        sealed = _serializer().loads(value, max_age=MAX_AGE)
    except BadSignature:
        return None
    if sealed.get("sid") != session_id or sealed.get("path") != path or "id" not in sealed:
        return None
    wait, _ = _spent_seals().take(sealed["id"])
    if wait:
        return SPENT
    return ImmutableMultiDict([tuple(pair) for pair in sealed["fields"]])


def _spent_seals():
    """One use per seal id, for as long as a seal lives."""
    extensions = current_app.extensions
    if "hearth.spent_seals" not in extensions:
        extensions["hearth.spent_seals"] = make_attempt_windows(current_app.config["REDIS_URL"], 1, MAX_AGE)
    return extensions["hearth.spent_seals"]


def sealed_path(value, session_id):
    """Where a live seal of this session is to be posted, or None."""
    try:
        sealed = _serializer().loads(value, max_age=MAX_AGE) if value else None
    except BadSignature:
        return None
    return sealed["path"] if sealed and sealed.get("sid") == session_id else None
