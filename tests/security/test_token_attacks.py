"""Every forged, stale or misplaced token, tried on an API call and on the socket upgrade of the running server.

A refused upgrade is a plain HTTP 401 before the handshake: no 101, no socket.
"""

import base64
import hashlib
import hmac
import json
import sqlite3
import time
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from servers import SECRET
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from wsclient import upgrade_status


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_PUBLIC_PEM = ATTACKER_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def expired(payload):
    now = int(time.time())
    return jwt.encode({**payload, "iat": now - 400, "nbf": now - 400, "exp": now - 100}, SECRET, algorithm="HS256")


# name: (how the attacker turns a real access token's claims into the cookie it sends, the error it must get)
FORGERIES = {
    "expired, correctly signed": (expired, "token_expired"),
    "alg none": (lambda p: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(p)}.", "token_invalid"),
    "alg none, signature kept": (
        lambda p: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(p)}.c2lnbmF0dXJl",
        "token_invalid",
    ),
    "HS256 with a guessed key": (lambda p: hs256_by_hand(p, b"secret"), "token_invalid"),
    "HS256 with an empty key": (lambda p: hs256_by_hand(p, b""), "token_invalid"),
    "HS512 with the right key": (lambda p: jwt.encode(p, SECRET, algorithm="HS512"), "token_invalid"),
    "RS256 with the attacker's key": (lambda p: jwt.encode(p, ATTACKER_KEY, algorithm="RS256"), "token_invalid"),
    # RS/HS confusion: a public key used as the HMAC secret, as a verifier that trusts the header would
    "HS256 keyed with a public key": (lambda p: hs256_by_hand(p, ATTACKER_PUBLIC_PEM), "token_invalid"),
    "malformed": (lambda p: "not-a-jwt", "token_invalid"),
    "three empty parts": (lambda p: "..", "token_invalid"),
}


def hs256_by_hand(payload, key):
    """An HS256 token signed by hand: PyJWT refuses weak keys and a PEM as an HMAC key (the very confusion)."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(payload)}"
    signature = base64.urlsafe_b64encode(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())
    return f"{signing_input}.{signature.rstrip(b'=').decode()}"


def refused(server, cookie_header, code):
    """The token is refused on an API call and on the upgrade, each with its own 401."""
    response = requests.get(server.url + "/api/me", headers={"Cookie": cookie_header})
    assert (response.status_code, response.json()["error"]) == (401, code), response.text
    status, upgrade = upgrade_status(server.url, {"Origin": server.url, "Cookie": cookie_header})
    assert (status, upgrade.json()["error"]) == (401, code)
    assert "Sec-WebSocket-Accept" not in upgrade.headers


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_access_token_is_refused(server, person, forgery):
    victim = person()
    make, code = FORGERIES[forgery]
    payload = claims(victim.http.cookies.get("access_token_cookie"))
    refused(server, f"access_token_cookie={make(payload)}", code)


@pytest.mark.parametrize(
    "change",
    [
        {"exp": None},
        {"type": None},
        {"type": "bearer"},
        {"type": "ACCESS"},
        {"sid": None},
        {"jti": None},
        {"iat": None},
    ],
    ids=["no exp", "no type", "unknown type", "type in capitals", "no sid", "no jti", "no iat"],
)
def test_a_correctly_signed_token_missing_a_claim_or_of_an_unknown_type_is_refused(server, person, change):
    """Signed with the real key (a leaked key, a token of another tool sharing it): still not a Hearth token."""
    payload = claims(person().http.cookies.get("access_token_cookie"))
    for name, value in change.items():
        payload.pop(name) if value is None else payload.__setitem__(name, value)
    refused(server, f"access_token_cookie={jwt.encode(payload, SECRET, algorithm='HS256')}", "token_invalid")
    assert "unhandled error" not in server.output()


def test_no_token_at_all_is_token_missing(server):
    refused(server, "", "token_missing")


def test_a_refresh_token_in_the_access_cookie_is_refused(server, person):
    victim = person()
    refresh = victim.http.cookies.get("refresh_token_cookie", path="/auth")
    refused(server, f"access_token_cookie={refresh}", "token_invalid")


def test_an_access_token_in_the_refresh_cookie_does_not_refresh(server, person):
    victim = person()
    access = victim.http.cookies.get("access_token_cookie")
    response = requests.post(
        server.url + "/auth/refresh",
        headers={"Cookie": f"refresh_token_cookie={access}; csrf_refresh_token=x", "X-CSRF-TOKEN": "x"},
    )
    assert (response.status_code, response.json()["error"]) == (401, "token_invalid")
    assert "access_token_cookie=ey" not in response.headers.get("Set-Cookie", "")


def test_a_valid_token_of_a_revoked_session_is_refused(server, person):
    victim = person()
    stolen = victim.cookie_header()
    assert victim.api("POST", "/auth/logout").status_code == 204
    refused(server, stolen, "token_revoked")


def test_a_token_naming_someone_elses_session_is_refused(server, person):
    alice, bob = person(), person()
    payload = claims(alice.http.cookies.get("access_token_cookie"))
    payload["sid"] = claims(bob.http.cookies.get("access_token_cookie"))["sid"]  # Bob's session, Alice's id
    refused(server, f"access_token_cookie={jwt.encode(payload, SECRET, algorithm='HS256')}", "token_revoked")


def test_a_token_whose_user_was_deleted_is_refused(server, person):
    victim = person()  # registered, and its session never looked up (so cached nowhere)
    with sqlite3.connect(Path(server.tmp) / "hearth.db") as database:  # an operator deleting the account
        database.execute("PRAGMA foreign_keys = ON")
        database.execute("DELETE FROM users WHERE id = ?", [victim.id])
    refused(server, victim.cookie_header(), "token_revoked")


@pytest.mark.parametrize("place", ["query", "authorization", "both"])
def test_a_token_outside_the_cookie_is_not_accepted(server, person, place):
    token = person().http.cookies.get("access_token_cookie")
    query = f"?jwt={token}&access_token_cookie={token}" if place in ("query", "both") else ""
    headers = {"Authorization": f"Bearer {token}"} if place in ("authorization", "both") else {}
    response = requests.get(f"{server.url}/api/me{query}", headers=headers)
    # the Authorization header takes personal access tokens only: a session's JWT there is no token of that kind
    expected = "token_invalid" if headers else "token_missing"
    assert (response.status_code, response.json()["error"]) == (401, expected)
    with pytest.raises(InvalidStatus) as upgrade:
        connect(
            server.url.replace("http", "ws") + f"/ws{query}",
            origin=server.url,
            additional_headers=headers,
            open_timeout=5,
        )
    assert upgrade.value.response.status_code == 401
