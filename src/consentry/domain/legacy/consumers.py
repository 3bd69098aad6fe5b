"""OAuth 1.0a consumers: registered apps (``client create --type oauth1``) and ``anonymous``.

A consumer is a row of ``clients`` (client_type "oauth1"), so the console, the account page, the
policy gate and "Remove access" treat it like any app. Its consumer key is its client_id. Its
consumer secret is sealed, not hashed: HMAC-SHA1 needs it in clear on both sides (AUTH1-2). Its
optional certificate (an X.509 certificate or an RSA public key, PEM) lets it sign RSA-SHA1.
Unregistered installed apps sign as ``anonymous``/``anonymous`` (domain/legacy/unregistered.py)
and can never use RSA-SHA1: nobody uploaded a key for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy.unregistered import Kind, ensure
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.secrets import new_id, new_secret
from consentry.errors import InvalidInput
from consentry.storage.tables import Client, Project

CLIENT_TYPE = "oauth1"
#: The consumer secret of unregistered installed apps (PLATFORM_RULES §3 "Unregistered apps").
ANONYMOUS_SECRET = "anonymous"
MAX_PEM = 16_384
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")


def _aad(client_id: str) -> bytes:
    return f"oauth1-consumer-secret:{client_id}".encode()


def seal_secret(envelope: Envelope, client_id: str, secret: str) -> bytes:
    """Bound to the consumer key: a sealed secret copied to another row does not open."""
    return envelope.seal(secret.encode(), _aad(client_id))


def open_secret(envelope: Envelope, client_id: str, sealed: bytes) -> str:
    return envelope.open(sealed, _aad(client_id)).decode()


def valid_domain(domain: str) -> str:
    """The app's registered domain, lower-cased (``example.com``); no scheme, port or path."""
    value = domain.strip().lower().rstrip(".")
    if len(value) > 253 or not DOMAIN_RE.match(value):
        raise InvalidInput(
            "invalid_domain", "the domain is a host name such as example.com (no scheme or path)"
        )
    return value


def public_key_pem(certificate: str) -> str:
    """The RSA public key (SubjectPublicKeyInfo PEM) in a certificate or public-key PEM.

    Raises ValueError for anything else: RSA-SHA1 verifies with an RSA key only.
    """
    data = certificate.strip().encode()
    if b"-----BEGIN CERTIFICATE-----" in data:
        key: Any = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def valid_certificate(pem: str) -> str:
    """The uploaded PEM as stored, once it proved to be an RSA certificate or public key."""
    text = pem.strip()
    if len(text) > MAX_PEM or "PRIVATE KEY" in text:
        raise InvalidInput(
            "invalid_certificate", "upload the app's X.509 certificate or RSA public key, never a private key"
        )
    try:
        public_key_pem(text)
    except ValueError:
        raise InvalidInput(
            "invalid_certificate", "the certificate must be a PEM X.509 certificate or RSA public key"
        ) from None
    return text + "\n"


class _Rows(Protocol):
    def add(self, row: Any) -> None: ...
    def flush(self) -> None: ...


@dataclass(frozen=True)
class NewConsumer:
    client: Client
    #: Shown once; stored only sealed.
    consumer_secret: str


def create(
    rows: _Rows,
    envelope: Envelope,
    project: Project,
    *,
    domain: str,
    name: str | None = None,
    certificate: str | None = None,
) -> NewConsumer:
    """A registered consumer (AUTH1-13): domain, display name, optionally a certificate."""
    if name is not None and (not name.strip() or len(name) > 200 or not name.isprintable()):
        raise InvalidInput("invalid_name", "a client name is 1-200 printable characters")
    host = valid_domain(domain)
    pem = valid_certificate(certificate) if certificate is not None else None
    client_id = f"{new_id(10)}.apps.consentry"
    secret = new_secret(24)
    client = Client(
        client_id=client_id,
        project_id=project.id,
        name=name or f"{project.name} (OAuth 1.0a)",
        client_type=CLIENT_TYPE,
        secret_hash=None,
        secret_sealed=seal_secret(envelope, client_id, secret),
        redirect_uris=[],
        legacy_domain=host,
        certificate=pem,
    )
    rows.add(client)
    rows.flush()
    return NewConsumer(client, secret)


@dataclass(frozen=True, slots=True)
class Consumer:
    """What a signature check needs about the app that signed (AUTH1-2)."""

    pk: int
    key: str
    name: str
    domain: str
    secret: str
    #: RSA public key (PEM) from the registered certificate, else None (no RSA-SHA1).
    public_key: str | None
    registered: bool
    #: Disabled, deleted or suspended: its requests are refused (consumer_key_rejected).
    refused: bool


def load(session: Session, envelope: Envelope, catalogue: Catalogue, key: str) -> Consumer | None:
    """The consumer behind ``oauth_consumer_key``, or None if no OAuth 1.0a app has that key."""
    if not key or len(key) > 100:
        return None
    if key == Kind.OAUTH1.value:
        client = ensure(session, Kind.OAUTH1, catalogue)
        return Consumer(client.id, key, client.name, "", ANONYMOUS_SECRET, None, False, client.disabled)
    row = session.execute(
        select(Client, Project.suspended_at)
        .join(Project, Project.id == Client.project_id)
        .where(Client.client_id == key, Client.client_type == CLIENT_TYPE)
    ).first()
    if row is None:
        return None
    client, suspended_at = row
    if client.secret_sealed is None:
        return None
    public_key = None
    if client.certificate:
        try:
            public_key = public_key_pem(client.certificate)
        except ValueError:
            public_key = None
    refused = client.disabled or client.deleted_at is not None or suspended_at is not None
    return Consumer(
        client.id,
        client.client_id,
        client.name,
        client.legacy_domain,
        open_secret(envelope, client.client_id, client.secret_sealed),
        public_key,
        True,
        refused,
    )


def summary(client: Client) -> dict[str, object]:
    """What ``client show`` adds for a consumer: its domain and whether a certificate is on file."""
    return {"domain": client.legacy_domain, "certificate": bool(client.certificate)}
