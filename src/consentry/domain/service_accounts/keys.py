"""Service-account key pairs: generated here (private half shown once) or a public key uploaded.

``cryptography`` makes and parses the keys and ``joserfc`` writes the public JWK; nothing here is
hand-rolled crypto. Only RSA of at least 2048 bits is taken (RS256, what google-auth signs with);
an upload that carries a private key is refused, so no private key is ever stored.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from consentry.errors import InvalidInput

MIN_BITS = 2048
#: The only signature algorithm accepted on assertions (the key file's keys are RSA).
ALG = "RS256"
#: An uploaded key file is small: a PEM public key, a certificate or a JWK.
MAX_UPLOAD = 16_384


@dataclass(frozen=True)
class GeneratedKey:
    kid: str
    public_jwk: dict[str, Any]
    #: PKCS#8 PEM of the private key: returned to the caller once, never stored.
    private_pem: str


def new_kid() -> str:
    """40 hex characters, like the reference platform's ``private_key_id``; unique per key."""
    return secrets.token_hex(20)


def public_jwk(key: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    jwk = RSAKey.import_key(key).as_dict(private=False)
    return {**jwk, "kid": kid, "alg": ALG, "use": "sig"}


def generate() -> GeneratedKey:
    """A fresh RSA 2048 pair: the public JWK to store, the private PEM to hand over once."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=MIN_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    kid = new_kid()
    return GeneratedKey(kid, public_jwk(private.public_key(), kid), pem)


def parse_public(text: str) -> rsa.RSAPublicKey:
    """An uploaded public key: PEM (``PUBLIC KEY``, ``RSA PUBLIC KEY``, a certificate) or a JWK."""
    text = text.strip()
    if not text or len(text) > MAX_UPLOAD:
        raise InvalidInput("invalid_public_key", "the public key file is empty or too large")
    if "PRIVATE KEY" in text:
        raise InvalidInput("private_key_uploaded", "upload the public key only, never the private key")
    key = _from_jwk(text) if text.startswith("{") else _from_pem(text)
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidInput("invalid_public_key", "service-account keys are RSA keys (RS256)")
    if key.key_size < MIN_BITS:
        raise InvalidInput("weak_public_key", f"an RSA key needs at least {MIN_BITS} bits")
    return key


def _from_pem(text: str) -> Any:
    data = text.encode("ascii", "replace")
    try:
        if "CERTIFICATE" in text:
            return x509.load_pem_x509_certificate(data).public_key()
        return serialization.load_pem_public_key(data)
    except ValueError:
        raise InvalidInput("invalid_public_key", "not a PEM public key, certificate or JWK") from None


def _from_jwk(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidInput("invalid_public_key", "the JWK is not valid JSON") from None
    if isinstance(value, dict) and isinstance(value.get("keys"), list) and len(value["keys"]) == 1:
        value = value["keys"][0]  # a JWKS holding one key
    if not isinstance(value, dict) or value.get("kty") != "RSA":
        raise InvalidInput("invalid_public_key", "service-account keys are RSA keys (RS256)")
    if any(name in value for name in ("d", "p", "q", "dp", "dq", "qi")):
        raise InvalidInput("private_key_uploaded", "upload the public key only, never the private key")
    try:
        public: dict[str, Any] = {"kty": "RSA", "n": value.get("n"), "e": value.get("e")}
        return RSAKey.import_key(public).public_key
    except (JoseError, ValueError, TypeError):
        raise InvalidInput("invalid_public_key", "the JWK is not a valid RSA public key") from None
