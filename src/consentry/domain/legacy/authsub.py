"""AuthSub's tokens: the single-use token a user's approval hands out, and its upgrade (AUTH3-2).

A single-use token is a ``legacy_requests`` row (protocol "authsub"), stored by keyed hash, alive
ten minutes (docs/maintenance.md), used at most once: by AuthSubSessionToken, by AuthSubTokenInfo
(which uses it up, as the reference platform did), by one data API call, or by AuthSubRevokeToken.
The token store decides which use wins, in one conditional UPDATE: every use commits its
``LegacyClaim`` (``use_up``; the upgrade's commit carries the session token too). The session token it
becomes is a
legacy token of domain/legacy/tokens.py (``tokens`` row + ``legacy_credentials``), so the account
page lists it, "Remove access" revokes it and the eleventh revokes the oldest (AUTH3-6).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import tokens
from consentry.domain.secrets import Hasher, new_secret
from consentry.domain.tokens.store import Changes, LegacyClaim
from consentry.storage.tables import (
    Client,
    ConsentGrant,
    LegacyCredential,
    LegacyRequest,
    Project,
    Token,
    User,
)
from consentry.storage.tables.base import now

PROTOCOL = "authsub"
#: Seconds a single-use token lives between the redirect and its use.
SINGLE_USE_TTL = 600
MAX_TOKEN = 512


def single_use_key(hasher: Hasher, token: str) -> str:
    """Not the session tokens' hash space (``authsub:<t>``): neither kind passes for the other."""
    return hasher.token_key(f"authsub-once:{token}")


@dataclass(frozen=True, slots=True)
class SingleUse:
    key: str
    client_pk: int
    client_id: str
    project_id: int
    user_id: int
    user_sub: str
    scopes: tuple[str, ...]
    secure: bool
    session: bool
    #: The host of ``next`` (TokenInfo's Target).
    target: str
    #: The name the user saw (the app's, or the calling host of an unregistered one).
    source: str
    expires_at: int
    certificate: str | None


class State(enum.Enum):
    """Why a token was not found live, for the answer's wording (401 or 403)."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Refusal(enum.Enum):
    NOT_SESSION = "not_session"
    USED = "used"
    WITHDRAWN = "withdrawn"


def target_of(next_url: str) -> str:
    return urlsplit(next_url).netloc.lower()


def create_single_use(
    session: Session,
    hasher: Hasher,
    *,
    client_pk: int,
    user_id: int,
    scopes: tuple[str, ...],
    next_url: str,
    secure: bool,
    upgradable: bool,
    hd: str,
    source: str,
) -> str:
    """Store the token the user's approval hands to ``next`` (keyed hash only); return it."""
    token = new_secret(24)
    t = now()
    session.add(
        LegacyRequest(
            token_hash=single_use_key(hasher, token),
            protocol=PROTOCOL,
            client_pk=client_pk,
            user_id=user_id,
            scope=" ".join(scopes),
            callback=next_url,
            display_name=source[:200],
            hd=hd[:255],
            secure=secure,
            session=upgradable,
            approved_at=t,
            expires_at=t + SINGLE_USE_TTL,
            created_at=t,
        )
    )
    session.flush()
    return token


def peek(session: Session, hasher: Hasher, token: str) -> SingleUse | None:
    """The live single-use token (unused, unexpired, its app, project and user still enabled)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    key = single_use_key(hasher, token)
    row = session.execute(
        select(LegacyRequest, Client, User, Project.suspended_at)
        .join(Client, Client.id == LegacyRequest.client_pk)
        .join(Project, Project.id == Client.project_id)
        .join(User, User.id == LegacyRequest.user_id)
        .where(LegacyRequest.token_hash == key, LegacyRequest.protocol == PROTOCOL)
    ).first()
    if row is None:
        return None
    req, client, user, suspended_at = row
    if req.used_at is not None or req.expires_at <= now() or req.approved_at is None:
        return None
    if client.disabled or user.disabled or suspended_at is not None:
        return None
    return SingleUse(
        key=key,
        client_pk=client.id,
        client_id=client.client_id,
        project_id=client.project_id,
        user_id=user.id,
        user_sub=user.sub,
        scopes=tuple(req.scope.split()),
        secure=req.secure,
        session=req.session,
        target=target_of(req.callback),
        source=req.display_name,
        expires_at=req.expires_at,
        certificate=client.certificate,
    )


def use_up(key: str) -> Changes:
    """A single-use token used (AUTH3-2), committed through the token store: it commits for the
    one caller that used it (Outcome.COMMITTED), every other gets Outcome.LEGACY_USED. An
    expired one is used by no one."""
    return Changes(claim_legacy=LegacyClaim(key, PROTOCOL))


def state_of(session: Session, hasher: Hasher, token: str) -> State:
    """Why ``token`` is not live: revoked (a session token, or a single-use one revoked), used,
    expired, or never issued here."""
    if not token or len(token) > MAX_TOKEN:
        return State.UNKNOWN
    revoked_at = session.scalar(
        select(Token.revoked_at)
        .join(LegacyCredential, LegacyCredential.token_id == Token.id)
        .where(
            Token.access_hash == tokens.token_key(hasher, PROTOCOL, token),
            LegacyCredential.protocol == PROTOCOL,
        )
    )
    if revoked_at is not None:
        return State.REVOKED
    req = session.scalar(
        select(LegacyRequest).where(LegacyRequest.token_hash == single_use_key(hasher, token))
    )
    if req is None:
        return State.UNKNOWN
    if req.used_at is not None:
        return State.USED
    return State.EXPIRED


def _still_granted(session: Session, single: SingleUse) -> tuple[tuple[str, ...], int | None]:
    """The token's scopes the user still grants the app, and when that grant lapses: "Remove
    access" between the redirect and the upgrade leaves nothing to upgrade."""
    row = session.scalar(
        select(ConsentGrant).where(
            ConsentGrant.user_id == single.user_id, ConsentGrant.client_pk == single.client_pk
        )
    )
    if row is None or (row.lapses_at is not None and row.lapses_at <= now()):
        return (), None
    held = set(row.scopes)
    return tuple(s for s in single.scopes if s in held), row.lapses_at


def upgrade(
    session: Session, hasher: Hasher, envelope: Envelope, single: SingleUse, lifetime: int
) -> tuple[tokens.Issued | None, Changes] | Refusal:
    """AuthSubSessionToken: the session token that takes the single-use token's place, as one
    commit of the token store that also uses the single-use token up (its ``LEGACY_USED``: another
    use got there first, or the token expired meanwhile). No token (None) when the user withdrew
    every scope it carried: the commit only uses it up, and the answer is WITHDRAWN."""
    if not single.session:
        return Refusal.NOT_SESSION
    scopes, lapses_at = _still_granted(session, single)
    if not scopes:  # used up all the same: there is nothing left it could become
        return None, use_up(single.key)
    issued = tokens.mint(
        hasher,
        envelope,
        protocol=PROTOCOL,
        client_pk=single.client_pk,
        user_id=single.user_id,
        scopes=scopes,
        lifetime=lifetime,
        lapses_at=lapses_at,
        secure=single.secure,
        target=single.target,
        source=single.source,
    )
    return issued, Changes(claim_legacy=LegacyClaim(single.key, PROTOCOL), legacy_tokens=[issued.stored])


def as_access(single: SingleUse) -> tokens.LegacyAccess:
    """A single-use token spent on one data API call, in the shape the data APIs take."""
    return tokens.LegacyAccess(
        token_id=0,
        protocol=PROTOCOL,
        client_pk=single.client_pk,
        client_id=single.client_id,
        project_id=single.project_id,
        user_id=single.user_id,
        user_sub=single.user_sub,
        scopes=single.scopes,
        issued_at=single.expires_at - SINGLE_USE_TTL,
        expires_at=single.expires_at,
        secret=None,
        secure=single.secure,
        target=single.target,
        source=single.source,
        certificate=single.certificate,
    )
