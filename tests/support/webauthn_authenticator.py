"""A software WebAuthn authenticator: real attestations and assertions, made without a browser.

It does what a security key does (WebAuthn §6): an EC P-256 key pair per credential, the
authenticator data (RP id hash, flags, signature counter, attested credential data), and an ECDSA
signature over ``authenticatorData || SHA-256(clientDataJSON)``; it also writes the
``clientDataJSON`` a browser would. Its answers are the JSON a browser posts (base64url fields), so
HTTP tests drive the server exactly as ``navigator.credentials`` would, and can also forge what a
browser never sends: another origin, a counter gone backwards, no user verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One credential the authenticator holds: its id, key, owner's handle and counter."""

    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def id(self) -> str:
        return b64u(self.credential_id)

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class Authenticator:
    """Counts signatures like a hardware key (``counting=False``: always 0, like synced passkeys)."""

    origin: str
    user_verifying: bool = True
    counting: bool = True
    credentials: list[Credential] = field(default_factory=list)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()

    def _flags(self, uv: bool | None) -> int:
        verified = self.user_verifying if uv is None else uv
        return UP | (UV if verified else 0)

    def create(
        self, options: dict[str, Any], *, origin: str | None = None, uv: bool | None = None
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.create(options)`` (options as the server's JSON)."""
        rp_id = options["rp"]["id"]
        cred = Credential(
            secrets.token_bytes(32),
            ec.generate_private_key(ec.SECP256R1()),
            rp_id,
            unb64u(options["user"]["id"]),
        )
        attested = b"\x00" * 16 + struct.pack(">H", len(cred.credential_id)) + cred.credential_id
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(uv) | AT])
            + struct.pack(">I", cred.sign_count)
            + attested
            + cred.cose_public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials.append(cred)
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": cred.id,
            "rawId": cred.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "attestationObject": b64u(attestation),
                "transports": ["usb"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        uv: bool | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get(options)``: the first allowed credential (or the given)."""
        allowed = {c["id"] for c in options.get("allowCredentials") or []}
        cred = credential or next(
            c for c in self.credentials if c.rp_id == options["rpId"] and (not allowed or c.id in allowed)
        )
        if sign_count is not None:
            cred.sign_count = sign_count
        elif self.counting:
            cred.sign_count += 1
        auth_data = (
            hashlib.sha256(cred.rp_id.encode()).digest()
            + bytes([self._flags(uv)])
            + struct.pack(">I", cred.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = cred.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": cred.id,
            "rawId": cred.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "authenticatorData": b64u(auth_data),
                "signature": b64u(signature),
                "userHandle": b64u(cred.user_handle),
            },
            "clientExtensionResults": {},
        }
