"""The token-store contract: everything a grant or protocol endpoint reads or writes, in two calls.

Every request to a protocol endpoint does the same three things: one :meth:`TokenStore.lookup`
before Authlib runs (the client, the presented token, code or device code, the browser's
accounts and their consent), Authlib on those records alone, then one :meth:`TokenStore.commit`
of what it decided (claims and new rows), which either stands as a whole or not at all. A claim
that was lost to another request (a code or refresh token already used, a replayed client
assertion) fails the request and leaves only its consequence: the family revoked, an audit event.

Nothing here says how: ``storage/token_store.py`` batches the calls of many requests into one
transaction (group commit). Tests and new grants use this contract, never the SQL behind it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.policy.facts import OrgPolicy
from consentry.domain.service_accounts.records import ServiceKeyRecord
from consentry.domain.tokens.records import (
    AccountRecord,
    CodeRecord,
    DeviceRecord,
    LegacyRecord,
    TokenRecord,
    UserRecord,
)

TOKEN_KINDS = ("access_token", "refresh_token")


class Outcome(enum.Enum):
    COMMITTED = "committed"
    #: The client changed since its snapshot was read (secret, status, ...): nothing was written.
    CLIENT_CHANGED = "client_changed"
    #: The refresh token was rotated before: the family was revoked, nothing else written.
    REFRESH_REUSED = "refresh_reused"
    #: The authorization code was used before: what it issued was revoked, nothing else written.
    CODE_REPLAYED = "code_replayed"
    #: The device code was exchanged before: nothing was written.
    DEVICE_USED = "device_used"
    #: The client assertion's jti was seen before: nothing was written.
    ASSERTION_REPLAYED = "assertion_replayed"
    #: The legacy request token (OAuth 1.0a's request token, AuthSub's single-use token) was used,
    #: expired or (where approval is required) not approved: nothing was written.
    LEGACY_USED = "legacy_used"
    #: The user a legacy token was for was deleted meanwhile: nothing was written.
    HOLDER_GONE = "holder_gone"
    #: The token to revoke was revoked before (or is gone): nothing was written.
    ALREADY_REVOKED = "already_revoked"
    #: The paused authorization request was ended before (another answer to it came first, or
    #: it expired and was swept): nothing was written.
    FLOW_ENDED = "flow_ended"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one request needs read. Hashes are the stored keys (``Hasher.token_key`` / ``hash``)."""

    client_id: str | None = None
    token_hash: str | None = None
    #: Which columns ``token_hash`` is looked up in, in order of preference.
    token_kinds: tuple[str, ...] = ()
    code_hash: str | None = None
    device_hash: str | None = None
    #: A browser session: its signed-in accounts, and their consent to ``client_id``.
    session_hash: str | None = None
    #: Whether a code of ``client_id`` already carried this nonce (OpenID replay check).
    nonce: str | None = None
    #: JWT bearer grant (RFC 7523): the service account an assertion's ``iss`` names (it becomes
    #: ``Found.client``), with its keys; the user its ``sub`` names, with the delegation of that
    #: user's organization to it; whether its replay key (``Hasher.hash``) was used before.
    service_email: str | None = None
    subject_email: str | None = None
    assertion_key: str | None = None
    #: A legacy protocol's token, by its key (``domain/legacy/tokens.token_key``): only there.
    legacy_key: str | None = None


@dataclass(frozen=True, slots=True)
class Found:
    client: ClientSnapshot | None = None
    #: The presented token by kind, when found in that kind's column.
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    code: CodeRecord | None = None
    device: DeviceRecord | None = None
    #: Accounts of the session, newest sign-in first; disabled accounts are left out.
    accounts: tuple[AccountRecord, ...] = ()
    #: The scopes each account of the session granted ``client_id``, by user id.
    consents: dict[int, frozenset[str]] = field(default_factory=dict)
    #: When a grant in ``consents`` lapses by itself (apps in Testing), by user id.
    consent_lapses: dict[int, int] = field(default_factory=dict)
    nonce_used: bool = False
    #: The rules of each signed-in account's organization for ``client_id``'s app, by user id
    #: (members of an organization only; domain/orgs/policy_facts.py).
    org_rules: dict[int, OrgPolicy] = field(default_factory=dict)
    #: JWT bearer grant: the service account's keys, the subject, the scope names its
    #: organization delegated to the service account (None: no delegation), a replayed assertion.
    service_keys: tuple[ServiceKeyRecord, ...] = ()
    subject: UserRecord | None = None
    delegated: frozenset[str] | None = None
    assertion_used: bool = False
    legacy: LegacyRecord | None = None

    def account(self, user_id: int | None) -> AccountRecord | None:
        """The session's account of this user, if it is signed in here."""
        return next((a for a in self.accounts if a.user.id == user_id), None)


@dataclass(frozen=True, slots=True)
class RefreshClaim:
    token_id: int
    family: str


@dataclass(frozen=True, slots=True)
class CodeClaim:
    code_hash: str
    family: str


@dataclass(frozen=True, slots=True)
class AssertionClaim:
    jti_hash: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class LegacyClaim:
    """A legacy request token moving to used: OAuth 1.0a's request token (``approved``: only once
    the user approved it) or AuthSub's single-use token, by its stored key, while unexpired."""

    key: str
    protocol: str
    approved: bool = False


@dataclass(frozen=True, slots=True)
class LegacyToken:
    """A legacy protocol's long-lived token: its ``tokens`` row and its ``legacy_credentials``
    extras. Writing one keeps the holder within ``keep`` live tokens of that (user, app,
    protocol, target, source), revoking the oldest (domain/legacy/tokens.py). The built-in clients
    stand for many unregistered apps, told apart by ``target`` (AuthSub's host) and ``source``
    (ClientLogin's app, OAuth 1.0a's name), so one app's eleventh token never ends another's."""

    row: dict[str, Any]
    protocol: str
    secret_sealed: bytes | None
    secure: bool
    target: str
    source: str
    keep: int


@dataclass(frozen=True, slots=True)
class DevicePoll:
    device_hash: str
    polled_at: int
    interval: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    tag: str
    data: dict[str, Any]
    actor: str = ""


@dataclass
class Changes:
    """What one request writes, all or nothing. Claims are decided first; if one is lost, only its
    consequence is written (see :class:`Outcome`)."""

    #: The snapshot the request relied on; its fingerprint is checked again at commit.
    client: ClientSnapshot | None = None
    claim_refresh: RefreshClaim | None = None
    claim_code: CodeClaim | None = None
    #: A device code moving from approved to used.
    claim_device: str | None = None
    claim_assertion: AssertionClaim | None = None
    claim_legacy: LegacyClaim | None = None
    #: A paused authorization request (its ``interactions`` row, by id hash) that this request
    #: ends by issuing a code: removed in the code's own transaction, so a code that is not
    #: written leaves the request to be resumed, and a request is answered with one code only.
    claim_flow: str | None = None
    #: One token, by id, moving from live to revoked (AuthSub's RevokeToken). Unlike
    #: ``revoke_families``, it ends that token alone: a legacy token shares its family with the
    #: other tokens issued on the same app password.
    claim_revoke: int | None = None
    #: New rows, as column -> value.
    tokens: list[dict[str, Any]] = field(default_factory=list)
    codes: list[dict[str, Any]] = field(default_factory=list)
    device_codes: list[dict[str, Any]] = field(default_factory=list)
    legacy_tokens: list[LegacyToken] = field(default_factory=list)
    #: The widget proxy's handles (``gadget_tokens`` rows), written with the token they hold.
    gadget_tokens: list[dict[str, Any]] = field(default_factory=list)
    #: Written even when the request is refused (slow_down is itself a decision to remember).
    device_polls: list[DevicePoll] = field(default_factory=list)
    revoke_families: list[str] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tokens) or self.besides_tokens()

    def claims(self) -> bool:
        return bool(
            self.claim_refresh
            or self.claim_code
            or self.claim_device
            or self.claim_assertion
            or self.claim_legacy
            or self.claim_revoke is not None
            or self.claim_flow
        )

    def besides_tokens(self) -> bool:
        """Whether anything but ``tokens`` rows is carried: a claim, other rows, revocations."""
        return self.claims() or bool(
            self.codes
            or self.device_codes
            or self.legacy_tokens
            or self.gadget_tokens
            or self.device_polls
            or self.revoke_families
            or self.audit
        )


class TokenStore(Protocol):
    async def lookup(self, want: Lookup) -> Found:
        """Read what ``want`` names, in one batched read shared with concurrent requests."""
        ...

    async def commit(self, changes: Changes) -> Outcome:
        """Write ``changes`` atomically; answered only once durable (group commit)."""
        ...

    def close(self) -> None: ...
