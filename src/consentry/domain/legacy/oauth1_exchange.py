"""GetAccessToken's decision: which request token may become an access token, and the token.

The reasons map one to one onto the OAuth Problem Reporting codes the endpoint answers with, so
an app can tell "the user has not decided yet" (device mode polls on it) from "the user said no".
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import oauth1_requests as requests
from consentry.domain.legacy import tokens
from consentry.domain.legacy.unregistered import Kind
from consentry.domain.secrets import Hasher
from consentry.domain.tokens.records import UserRecord
from consentry.domain.tokens.store import Changes, LegacyClaim
from consentry.storage.tables import User


def refusal(pending: requests.Pending) -> tuple[str, str] | None:
    """Why this request token cannot be exchanged now, as (oauth_problem, advice); None if it can."""
    if pending.expired and not pending.used:
        return "token_expired", "the request token is older than one hour: start again"
    if pending.denied:
        return "permission_denied", "the user refused access"
    if pending.used:
        return "token_used", "this request token was exchanged already"
    if not pending.approved or pending.user_id is None:
        return "permission_unknown", "the user has not approved this request token yet"
    return None


def exchange(
    session: Session,
    hasher: Hasher,
    envelope: Envelope,
    pending: requests.Pending,
    *,
    lifetime: int,
) -> tuple[tokens.Issued, Changes] | None:
    """The approved request token used up and the long-lived access token bound to the user and
    the scopes granted (AUTH1-5, AUTH1-6), as one commit of the token store; None if no one
    approved it. The commit's ``LEGACY_USED``: another exchange got there first."""
    if pending.user_id is None:
        return None
    issued = tokens.mint(
        hasher,
        envelope,
        protocol=requests.PROTOCOL,
        client_pk=pending.client_pk,
        user_id=pending.user_id,
        scopes=pending.scopes,
        lifetime=lifetime,
        lapses_at=tokens.consent_lapse(session, pending.user_id, pending.client_pk),
        with_secret=True,
        source=_source(pending),
    )
    claim = LegacyClaim(pending.key, requests.PROTOCOL, approved=True)
    return issued, Changes(claim_legacy=claim, legacy_tokens=[issued.stored])


def _source(pending: requests.Pending) -> str:
    """What tells apart the apps behind one consumer for the ten-token limit (AUTH1-12): nothing
    for a registered consumer (it is one app, whatever name it sends), the callback's host and the
    name for ``anonymous`` (many unregistered apps share it; one's eleventh token must not end
    another's)."""
    if pending.consumer_key != Kind.OAUTH1.value:
        return ""
    host = urlsplit(pending.callback).hostname or "" if pending.callback not in ("", "oob") else ""
    return f"{host} {pending.display_name}".strip()[:200]


def user_record(session: Session, user_id: int) -> UserRecord | None:
    user = session.get(User, user_id)
    if user is None or user.disabled:
        return None
    return UserRecord(
        user.id, user.sub, user.email, user.name or "", user.disabled, user.org_id, user.hosted_domain
    )
