"""A passkey authenticator in Python: makes the registrations and sign-in assertions a browser would send.

It follows WebAuthn as a platform authenticator does (ES256 key, "none" attestation, user verified, a
signature counter), and each answer can be bent the way an attacker would bend it: another origin, another
relying party id, a counter set back, a challenge of one's choosing.
"""

import base64
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: user present, user verified, attested credential data


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PasskeyDevice:
    """One discoverable credential for one account, made by `create` and used by `get`."""

    def __init__(self, origin="http://localhost"):
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = 0
        self.user_handle = None
        self.rp_id = None

    def create(self, options, origin=None, rp_id=None, verified=True):
        """The browser's JSON of `navigator.credentials.create({publicKey: options})`."""
        self.rp_id = rp_id or options["rp"]["id"]
        self.user_handle = unb64url(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})  # EC2, ES256, P-256
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose_key
        flags = UP | (UV if verified else 0) | AT
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", 0) + attested
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(self, options, origin=None, rp_id=None, count=None, verified=True, challenge=None):
        """The browser's JSON of `navigator.credentials.get({publicKey: options})`; the counter moves by one
        unless `count` says where it stands."""
        self.sign_count = self.sign_count + 1 if count is None else count
        flags = UP | (UV if verified else 0)
        rp_hash = hashlib.sha256((rp_id or options.get("rpId") or self.rp_id).encode()).digest()
        auth_data = rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count)
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle),
            },
        }

    def _client_data(self, kind, challenge, origin):
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()
