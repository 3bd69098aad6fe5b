"""What the widget OAuth proxy holds (AUTH5-1): a token per approval, sealed, found by its handle.

A widget never sees a token. On approval the proxy issues one (a legacy token of protocol
``gadget``: on the account page, revoked by "Remove access") and keeps it sealed with AES-GCM in
``gadget_tokens``, under the keyed hash of a random *handle* that only the widget gets back (in the
fragment of its own registered redirect URI). The widget sends the handle with each call; the proxy
opens the token and calls the data API with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import tokens
from consentry.domain.secrets import Hasher, new_secret
from consentry.domain.tokens.store import Changes
from consentry.storage.tables import GadgetToken
from consentry.storage.tables.base import now

#: Handles are 43 characters; anything much longer is not one.
MAX_HANDLE = 128


def _key(hasher: Hasher, handle: str) -> str:
    return hasher.hash("gadget-handle:" + handle)


def _aad(key: str) -> bytes:
    return f"gadget-token:{key}".encode()


@dataclass(frozen=True, slots=True)
class Held:
    token: str
    client_pk: int
    user_id: int | None


def approve(
    session: Session,
    hasher: Hasher,
    envelope: Envelope,
    *,
    client_pk: int,
    user_id: int,
    scopes: tuple[str, ...],
    lifetime: int,
) -> tuple[str, Changes]:
    """The token the proxy will hold and the handle to it (shown once, to the widget), as one
    commit of the token store; the handle is the caller's to hand out once that commit stood."""
    issued = tokens.mint(
        hasher,
        envelope,
        protocol="gadget",
        client_pk=client_pk,
        user_id=user_id,
        scopes=scopes,
        lifetime=lifetime,
        lapses_at=tokens.consent_lapse(session, user_id, client_pk),
    )
    handle = new_secret()
    key = _key(hasher, handle)
    row = {
        "handle_hash": key,
        "user_id": user_id,
        "client_pk": client_pk,
        "token_sealed": envelope.seal(issued.token.encode(), _aad(key)),
        "scope": " ".join(scopes),
        "expires_at": issued.expires_at,
        "created_at": now(),
    }
    return handle, Changes(legacy_tokens=[issued.stored], gadget_tokens=[row])


def held(session: Session, hasher: Hasher, envelope: Envelope, handle: str, client_pk: int) -> Held | None:
    """The token held for this handle and widget, if any and unexpired (it may have been revoked
    since: the data API is the judge of that)."""
    if not handle or len(handle) > MAX_HANDLE:
        return None
    key = _key(hasher, handle)
    row = session.scalar(select(GadgetToken).where(GadgetToken.handle_hash == key))
    if row is None or row.client_pk != client_pk or row.expires_at <= now() or row.token_sealed is None:
        return None
    return Held(envelope.open(row.token_sealed, _aad(key)).decode(), row.client_pk, row.user_id)


def forget(session: Session, hasher: Hasher, handle: str) -> None:
    """The data API refused the token (revoked): the widget must be approved again."""
    session.execute(delete(GadgetToken).where(GadgetToken.handle_hash == _key(hasher, handle)))
