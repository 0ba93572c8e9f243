"""Hearth's JWTs read without a request: the claims of an access or refresh token, checked in one parse.

The guards at the web edge take a token from its cookie and hand it here; what a
token says, and whether its session still stands, needs nothing of the request.
"""

import jwt as pyjwt
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.exceptions import JWTExtendedException, WrongTokenError
from jwt.exceptions import PyJWTError

from hearth.accounts.sessions import check_claims, live_session


def decode_token(encoded, kind, allow_expired=False):
    """The claims of one of Hearth's JWTs (`kind` "access" or "refresh"), verified from a single parse.

    flask-jwt-extended's verify_jwt_in_request and decode_token read a token four and three times (unverified
    claims and header for the key loader, the verified decode, the header again), and PyJWT checks each
    segment's alphabet in Python every time. The same checks are made here on one PyJWT decode, with
    flask-jwt-extended's own settings: signature, algorithm, expiry, `sub` (PyJWT), the claims every
    Hearth token carries (check_claims), and the type.
    """
    options = {"verify_sub": jwt_config.verify_sub, "verify_aud": jwt_config.decode_audience is not None}
    if allow_expired:
        options["verify_exp"] = False
    claims = pyjwt.decode(
        encoded,
        jwt_config.decode_key,
        algorithms=jwt_config.decode_algorithms,
        audience=jwt_config.decode_audience,
        issuer=jwt_config.decode_issuer,
        leeway=jwt_config.leeway,
        options=options,
    )
    check_claims(claims)
    if claims["type"] != kind:
        raise WrongTokenError(f"Only {kind} tokens are allowed")
    return claims


def expired_token_code(encoded, kind):
    """Why an expired token's session no longer stands (its rejection code), if it does not; else None."""
    try:
        claims = decode_token(encoded, kind, allow_expired=True)
    except (JWTExtendedException, PyJWTError):
        return None
    return live_session(claims)[1]
