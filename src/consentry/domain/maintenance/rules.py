"""Which rows are dead: the retention rule of every table that would otherwise grow without bound.

A row is dead when no request can have an outcome that depends on it any more. ``grace`` is kept on
top of every rule: it covers requests in flight (a refresh grant that read a row must not find it
gone when it marks it rotated, or it would take that for reuse) and clocks that differ between
server processes, and it leaves recent rows for an operator to look at. docs/maintenance.md has the
same rules for operators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, inspect, or_
from sqlalchemy.orm import InstrumentedAttribute

from consentry.storage.tables import (
    AccessRequest,
    AccountLink,
    AuthorizationCode,
    BrowserSession,
    CaptchaChallenge,
    Client,
    ClientLoginUnlock,
    DeviceCode,
    GadgetToken,
    Interaction,
    LegacyNonce,
    LegacyRequest,
    OutboxMail,
    RateCounter,
    SigninStep,
    Token,
    TrustedDevice,
    UsedAssertion,
)
from consentry.storage.tables.base import Base

#: Leeway Authlib grants on a client assertion's ``exp`` (``PrivateKeyJWT`` in
#: protocol/oauth2/client_auth.py): its jti must be remembered at least this long past ``exp``.
ASSERTION_LEEWAY = 60


@dataclass(frozen=True)
class Cutoffs:
    """The instant a purge runs and how much longer than strictly needed rows are kept."""

    now: int
    grace: int

    @property
    def before(self) -> int:
        """Rows whose last possible use is earlier than this are dead."""
        return self.now - self.grace


@dataclass(frozen=True)
class Rule:
    """One kind of dead row in one table."""

    model: type[Base]
    dead: Callable[[Cutoffs], ColumnElement[bool]]
    #: The indexed column ``dead`` filters on. Batches are taken in its order, which makes the
    #: database walk that index even when its statistics are stale (PostgreSQL would otherwise
    #: pick a full scan after a big purge), and deletes the oldest rows first. None: no index,
    #: for tables that only ever hold minutes of rows.
    order: InstrumentedAttribute[Any] | None = None

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)

    @property
    def key(self) -> ColumnElement[Any]:
        """The (single-column) primary key the batches are cut by."""
        (column,) = inspect(self.model).primary_key
        return column


def _expired_tokens(c: Cutoffs) -> ColumnElement[bool]:
    # purge_after = max(access expiry, refresh expiry). Past it, a refresh grant refuses the refresh
    # token as expired before it looks for reuse, so even a rotated token's replay no longer needs
    # the row (RFC 9700 4.14.2: reuse is detectable only while the refresh token would be valid).
    return Token.purge_after < c.before


def _revoked_tokens(c: Cutoffs) -> ColumnElement[bool]:
    # A revoked row's credentials are refused whether the row exists or not, and family revocation
    # only touches rows not yet revoked. A *rotated* row is different: presenting it again is the
    # reuse signal, so it is kept until its refresh token expires (rule above), revoked or not.
    # Rows the rule above already covers are left out so that --dry-run does not count them twice.
    return and_(
        Token.revoked_at < c.before,
        Token.rotated_at.is_(None),
        Token.purge_after >= c.before,
    )


def _expired(column: InstrumentedAttribute[int], margin: int = 0) -> Callable[[Cutoffs], ColumnElement[bool]]:
    return lambda c: column < c.before - margin


#: Delivered mail is kept this long for the operator's ``consentry outbox list --sent``, then dropped;
#: mail not yet delivered (or given up on) is never purged.
SENT_MAIL_KEPT = 30 * 86400


#: A deleted client can be restored for this long (PLATFORM_RULES: 30 days), then it is gone,
#: with its tokens and consent grants (ON DELETE CASCADE).
DELETED_CLIENT_KEPT = 30 * 86400


def _deleted_clients(c: Cutoffs) -> ColumnElement[bool]:
    return Client.deleted_at < c.before - DELETED_CLIENT_KEPT


def _old_sent_mail(c: Cutoffs) -> ColumnElement[bool]:
    return OutboxMail.sent_at < c.before - SENT_MAIL_KEPT


#: Members' requests for apps (issue 14) are kept this long after they were denied or lapsed, for
#: the admins' queue and the member's own list; an approved one stays, since it is what lets the
#: member past the organization's rules (domain/orgs/policy_facts.py).
ACCESS_REQUEST_KEPT = 90 * 86400


def _old_access_requests(c: Cutoffs) -> ColumnElement[bool]:
    before = c.before - ACCESS_REQUEST_KEPT
    return or_(
        and_(AccessRequest.status == "denied", AccessRequest.decided_at < before),
        and_(AccessRequest.status == "pending", AccessRequest.expires_at < before),
    )


#: Tokens first (the biggest table), then the short-lived flow state. Only tokens and browser
#: sessions keep many live rows (days to months), so only they need an index for their rule
#: (migration 0003); the others hold minutes of rows plus the grace.
RULES: tuple[Rule, ...] = (
    Rule(Token, _expired_tokens, Token.purge_after),  # ix_tokens_expiry
    Rule(Token, _revoked_tokens, Token.revoked_at),  # ix_tokens_revoked (partial: revoked rows only)
    # Used codes stay until they expire: replaying a used code revokes the tokens it issued
    # (RFC 6749 4.1.2), and id_token nonces are checked against the codes still stored.
    Rule(AuthorizationCode, _expired(AuthorizationCode.expires_at)),
    # Pending, approved, denied or used: past expiry a device's poll is refused either way.
    Rule(DeviceCode, _expired(DeviceCode.expires_at)),
    # Paused /authorize requests (sign-in, account choice, consent) refuse to resume once expired.
    Rule(Interaction, _expired(Interaction.expires_at)),
    # Its signed-in accounts (session_accounts) go with it: ON DELETE CASCADE.
    Rule(BrowserSession, _expired(BrowserSession.expires_at), BrowserSession.expires_at),
    # A jti is remembered until its assertion can no longer be accepted, leeway included.
    Rule(UsedAssertion, _expired(UsedAssertion.expires_at, ASSERTION_LEEWAY)),
    # Past its window (backoff included) the next hit starts again from one anyway.
    Rule(RateCounter, _expired(RateCounter.expires_at), RateCounter.expires_at),
    # An unanswered CAPTCHA is refused once expired.
    Rule(CaptchaChallenge, _expired(CaptchaChallenge.expires_at), CaptchaChallenge.expires_at),
    # A browser trusted for an account stops being trusted when this passes.
    Rule(TrustedDevice, _expired(TrustedDevice.expires_at), TrustedDevice.expires_at),
    # Half-done sign-ins and passkey ceremonies are refused once expired.
    Rule(SigninStep, _expired(SigninStep.expires_at), SigninStep.expires_at),
    # Mailed reset, invitation and sign-up links are refused once expired (used or not).
    Rule(AccountLink, _expired(AccountLink.expires_at), AccountLink.expires_at),
    # OAuth 1.0a request tokens and AuthSub single-use tokens are refused once expired.
    Rule(LegacyRequest, _expired(LegacyRequest.expires_at), LegacyRequest.expires_at),
    # A nonce is remembered while its timestamp is still accepted (protocol/legacy/replay.py).
    Rule(LegacyNonce, _expired(LegacyNonce.expires_at), LegacyNonce.expires_at),
    Rule(ClientLoginUnlock, _expired(ClientLoginUnlock.expires_at), ClientLoginUnlock.expires_at),
    Rule(GadgetToken, _expired(GadgetToken.expires_at), GadgetToken.expires_at),
    Rule(OutboxMail, _old_sent_mail, OutboxMail.sent_at),  # ix_outbox_mail_sent_at
    Rule(Client, _deleted_clients),  # few rows: no index
    Rule(AccessRequest, _old_access_requests, AccessRequest.expires_at),  # ix_access_requests_expires_at
)

#: Every table purge may delete from, in report order.
TABLES: tuple[str, ...] = tuple(dict.fromkeys(rule.table for rule in RULES))
