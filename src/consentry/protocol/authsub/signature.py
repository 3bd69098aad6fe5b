"""Secure AuthSub signatures: ``sig`` = RSA PKCS#1 v1.5 over SHA-1 of ``data`` (AUTH3-5).

``data = METHOD SP full-URL SP unix-seconds SP nonce`` (PLATFORM_RULES §3; gdata ``gauth.py``
``build_auth_sub_data``). By hand because no library does AuthSub; the RSA itself is
``cryptography``'s. SHA-1 is what every deployed client signs with: it stays accepted here only
for this deprecated protocol, and only with the key the app registered.

This module checks the signature and reads ``data``; whether the method and URL are the request's
own, the timestamp fresh and the nonce unused is the caller's check (it knows the request and the
replay store).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

RSA_SHA1 = "rsa-sha1"
#: gdata-java also emits it; no registered certificate here carries a DSA key, so it is refused.
DSA_SHA1 = "dsa-sha1"
MAX_SIG = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SignatureError(ValueError):
    """The signature or its data is unusable; the message is safe to show the app."""


@dataclass(frozen=True, slots=True)
class SignedData:
    method: str
    url: str
    timestamp: str
    nonce: str


def build_data(method: str, url: str, timestamp: int | str, nonce: str) -> str:
    return f"{method} {url} {timestamp} {nonce}"


def parse_data(data: str) -> SignedData:
    """``GET http://host/path?q 1134567890 p234908``: four fields, the URL without spaces."""
    parts = data.split(" ")
    if len(parts) != 4 or not all(parts):
        raise SignatureError('data must be "METHOD URL TIMESTAMP NONCE", separated by single spaces')
    method, url, timestamp, nonce = parts
    if not re.fullmatch(r"[0-9]{1,12}", timestamp):  # not isdigit: "²" passes it, int() does not
        raise SignatureError("the timestamp in data must be seconds since 1970")
    return SignedData(method, url, timestamp, nonce)


def sign(data: str, private_key_pem: str | bytes) -> str:
    """What a client computes (vector 4 checks it reproduces gdata's signature)."""
    pem = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
    key = serialization.load_pem_private_key(_dedent(pem), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("secure AuthSub signs with an RSA key")
    return base64.b64encode(key.sign(data.encode(), padding.PKCS1v15(), hashes.SHA1())).decode()  # noqa: S303 (the protocol)


def public_key(certificate_pem: str) -> rsa.RSAPublicKey:
    """The RSA key of a registered X.509 certificate, or of a bare public key in PEM."""
    pem = _dedent(certificate_pem.encode())
    key: object
    try:
        if b"CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError("the app's registered certificate cannot be read") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the app's registered certificate has no RSA key")
    return key


def verify(data: str, sig: str, sigalg: str, certificate_pem: str) -> None:
    """Raises SignatureError unless ``sig`` is the registered key's RSA-SHA1 signature of ``data``."""
    if sigalg == DSA_SHA1:
        raise SignatureError("sigalg dsa-sha1 is not supported; sign with rsa-sha1")
    if sigalg != RSA_SHA1:
        raise SignatureError("sigalg must be rsa-sha1")
    if len(sig) > MAX_SIG:
        raise SignatureError("the signature is too long")
    try:
        raw = base64.b64decode("".join(sig.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("sig is not base64") from exc
    try:
        public_key(certificate_pem).verify(raw, data.encode(), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 (the protocol)
    except InvalidSignature as exc:
        raise SignatureError("the signature does not match the data and the app's certificate") from exc


def _dedent(pem: bytes) -> bytes:
    """PEM pasted with leading spaces (gauth_test.py's key is indented) still loads."""
    return b"\n".join(line.strip() for line in pem.strip().splitlines()) + b"\n"


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int | None]:
    scheme = scheme.lower()
    return scheme, host.lower(), None if port == _DEFAULT_PORTS.get(scheme) else port


def same_url(signed: str, actual: str) -> bool:
    """The URL in ``data`` names the request's resource: scheme, host and port (default ports
    dropped), path (percent-decoded) and the query as a multiset of pairs (clients rebuilt it
    from a dict, so the order may differ from what went on the wire)."""
    try:
        a, b = urlsplit(signed), urlsplit(actual)
        a_port, b_port = a.port, b.port
    except ValueError:
        return False
    if not a.hostname or _origin(a.scheme, a.hostname, a_port) != _origin(b.scheme, b.hostname or "", b_port):
        return False
    if unquote(a.path or "/") != unquote(b.path or "/"):
        return False
    pairs = sorted(parse_qsl(a.query, keep_blank_values=True))
    return pairs == sorted(parse_qsl(b.query, keep_blank_values=True))
