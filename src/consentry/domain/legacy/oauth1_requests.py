"""OAuth 1.0a request tokens: issued, approved (or denied) by a user, exchanged once.

A request token lives one hour (AUTH1-4). It is stored by keyed hash; its secret is sealed (the
server checks the client's HMAC with it); the verifier handed out on approval and the device
code (AUTH1-10) are keyed hashes. Every change of state is one conditional UPDATE whose row count
decides, so two concurrent approvals or exchanges cannot both win (AUTH1-5).

States: pending (approved_at and used_at unset) -> approved (approved_at set) -> used (used_at
set). A denied request goes straight to used without approved_at; a wrong verifier uses it up too,
so a verifier cannot be guessed by trying.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import tokens
from consentry.domain.secrets import Hasher, new_secret
from consentry.storage.tables import Client, LegacyRequest
from consentry.storage.tables.base import now

PROTOCOL = "oauth1"
#: AUTH1-4: a request token is valid for one hour.
LIFETIME = 3600
#: Letters nobody confuses (no vowels: no words), as RFC 8628 6.1 suggests for user codes.
LETTERS = "BCDFGHJKLMNPQRSTVWXZ"
_SEPARATORS = re.compile(r"[\s-]+")


def request_key(hasher: Hasher, token: str) -> str:
    return hasher.hash(f"oauth1-request:{token}")


def _code_key(hasher: Hasher, code: str) -> str:
    return hasher.hash(f"oauth1-user-code:{normalized(code)}")


def verifier_key(hasher: Hasher, key: str, verifier: str) -> str:
    """Bound to the request: a verifier of one request token is worthless for another."""
    return hasher.hash(f"oauth1-verifier:{key}:{normalized(verifier)}")


def normalized(code: str) -> str:
    """What the user may have typed around a code: spaces, dashes, lower case."""
    return _SEPARATORS.sub("", code).upper()


def _letters(n: int) -> str:
    return "".join(secrets.choice(LETTERS) for _ in range(n))


def new_verifier(mode: str) -> str:
    """``callback``: 16 letters in the redirect; ``oob``: 12 to type (XXXX-XXXX-XXXX); ``number``:
    10 digits (AUTH1-9's "verification number"). A wrong one uses the request up (see above)."""
    if mode == "number":
        return "".join(secrets.choice("0123456789") for _ in range(10))
    if mode == "oob":
        code = _letters(12)
        return f"{code[:4]}-{code[4:8]}-{code[8:]}"
    return _letters(16)


def user_code() -> str:
    code = _letters(8)
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True, slots=True)
class NewRequest:
    token: str
    secret: str
    #: Device mode only: what the user types at /accounts/OAuthDevice.
    user_code: str | None
    expires_at: int


def create(
    session: Session,
    hasher: Hasher,
    envelope: Envelope,
    *,
    client_pk: int,
    scopes: tuple[str, ...],
    callback: str,
    display_name: str,
    hd: str,
    device: bool,
) -> NewRequest:
    """A pending request token. In device mode its verifier is the user code, fixed now."""
    t = now()
    for _ in range(3):  # a user code that collides with a live one is drawn again
        token, secret = new_secret(24), new_secret(24)
        key = request_key(hasher, token)
        code = user_code() if device else None
        try:
            with session.begin_nested():
                session.add(
                    LegacyRequest(
                        token_hash=key,
                        protocol=PROTOCOL,
                        client_pk=client_pk,
                        scope=" ".join(scopes),
                        secret_sealed=tokens.seal_secret(envelope, "oauth1-request", key, secret),
                        callback=callback,
                        display_name=display_name,
                        hd=hd,
                        user_code_hash=_code_key(hasher, code) if code else None,
                        verifier_hash=verifier_key(hasher, key, code) if code else None,
                        expires_at=t + LIFETIME,
                        created_at=t,
                    )
                )
                session.flush()
        except IntegrityError:
            continue
        return NewRequest(token, secret, code, t + LIFETIME)
    raise RuntimeError("could not draw a unique device code")


@dataclass(frozen=True, slots=True)
class Pending:
    """A request token as stored, with its state and its secret opened."""

    key: str
    client_pk: int
    consumer_key: str
    scopes: tuple[str, ...]
    callback: str
    display_name: str
    hd: str
    user_id: int | None
    secret: str
    device: bool
    approved: bool
    used: bool
    expires_at: int
    verifier_hash: str | None

    @property
    def expired(self) -> bool:
        return self.expires_at <= now()

    @property
    def denied(self) -> bool:
        return self.used and not self.approved

    @property
    def open(self) -> bool:
        """Still waiting for the user's decision."""
        return not self.approved and not self.used and not self.expired


def _pending(envelope: Envelope, row: LegacyRequest, consumer_key: str) -> Pending:
    secret = tokens.open_secret(envelope, "oauth1-request", row.token_hash, row.secret_sealed or b"")
    return Pending(
        key=row.token_hash,
        client_pk=row.client_pk,
        consumer_key=consumer_key,
        scopes=tuple(row.scope.split()),
        callback=row.callback,
        display_name=row.display_name,
        hd=row.hd,
        user_id=row.user_id,
        secret=secret,
        device=row.user_code_hash is not None,
        approved=row.approved_at is not None,
        used=row.used_at is not None,
        expires_at=row.expires_at,
        verifier_hash=row.verifier_hash,
    )


def _find(session: Session, envelope: Envelope, where: object) -> Pending | None:
    found = session.execute(
        select(LegacyRequest, Client.client_id)
        .join(Client, Client.id == LegacyRequest.client_pk)
        .where(LegacyRequest.protocol == PROTOCOL, where)  # type: ignore[arg-type]
    ).first()
    if found is None:
        return None
    row, consumer_key = found
    return _pending(envelope, row, consumer_key)


def find(session: Session, hasher: Hasher, envelope: Envelope, token: str) -> Pending | None:
    if not token or len(token) > 200:
        return None
    return _find(session, envelope, LegacyRequest.token_hash == request_key(hasher, token))


def find_key(session: Session, envelope: Envelope, key: str) -> Pending | None:
    return _find(session, envelope, LegacyRequest.token_hash == key)


def find_by_user_code(session: Session, hasher: Hasher, envelope: Envelope, code: str) -> Pending | None:
    if not code or len(code) > 40:
        return None
    return _find(session, envelope, LegacyRequest.user_code_hash == _code_key(hasher, code))


def _open_row(key: str, t: int) -> tuple[object, ...]:
    return (
        LegacyRequest.token_hash == key,
        LegacyRequest.protocol == PROTOCOL,
        LegacyRequest.approved_at.is_(None),
        LegacyRequest.used_at.is_(None),
        LegacyRequest.expires_at > t,
    )


def approve(
    session: Session, hasher: Hasher, pending: Pending, user_id: int, scopes: tuple[str, ...], mode: str
) -> str | None:
    """The user allowed: bind the token to the user and the scopes granted, and hand out a
    verifier (returned in clear, stored hashed). None when another request decided first.
    Device mode keeps its verifier (the user code) and returns ""."""
    t = now()
    values: dict[str, object] = {"user_id": user_id, "approved_at": t, "scope": " ".join(scopes)}
    verifier = "" if pending.device else new_verifier(mode)
    if verifier:
        values["verifier_hash"] = verifier_key(hasher, pending.key, verifier)
    result = session.execute(update(LegacyRequest).where(*_open_row(pending.key, t)).values(**values))  # type: ignore[arg-type]
    return verifier if result.rowcount == 1 else None  # type: ignore[attr-defined]


def deny(session: Session, key: str) -> bool:
    """The user refused: the token is used up, never to be approved or exchanged."""
    t = now()
    result = session.execute(update(LegacyRequest).where(*_open_row(key, t)).values(used_at=t))  # type: ignore[arg-type]
    return bool(result.rowcount)  # type: ignore[attr-defined]


def verifier_matches(hasher: Hasher, pending: Pending, verifier: str) -> bool:
    if not pending.verifier_hash or not verifier or len(verifier) > 100:
        return False
    return hmac.compare_digest(verifier_key(hasher, pending.key, verifier), pending.verifier_hash)


def burn(session: Session, key: str) -> bool:
    """Use an open request token up without exchanging it (a wrong verifier burns it, AUTH1-5);
    True only for the call that did. The exchange uses it up in the token store's commit
    (``LegacyClaim``), approved and unexpired only."""
    t = now()
    where = [LegacyRequest.token_hash == key, LegacyRequest.used_at.is_(None)]
    result = session.execute(update(LegacyRequest).where(*where).values(used_at=t))
    return bool(result.rowcount)  # type: ignore[attr-defined]
