"""What the token store reads, as plain records: the same shape whichever request reads them.

Rows come back from set-at-a-time SQL as tuples (``storage/repositories/token_batches.py``); the
named tuples keep them that cheap while giving grants, endpoints and views names to read.
"""

from __future__ import annotations

from typing import NamedTuple


class UserRecord(NamedTuple):
    """An account as the protocol reads it: for ID token claims, userinfo and the account chooser."""

    id: int
    sub: str
    email: str
    name: str
    disabled: bool
    org_id: int | None
    hosted_domain: str | None


class TokenRecord(NamedTuple):
    """A token row with its owner client and user (the user fields are None for service tokens)."""

    id: int
    access_hash: str
    refresh_hash: str | None
    client_pk: int
    user_id: int | None
    scope: str
    grant_type: str
    token_format: str
    jti: str | None
    issued_at: int
    expires_at: int
    refresh_expires_at: int | None
    rotated_at: int | None
    revoked_at: int | None
    family: str
    purge_after: int
    owner_client_id: str
    owner_project_id: int
    owner_disabled: bool
    user_sub: str | None
    user_email: str | None
    user_name: str | None
    user_disabled: bool | None
    user_domain: str | None


class CodeRecord(NamedTuple):
    """An authorization code with the user it was issued to."""

    code_hash: str
    client_pk: int
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    offline: bool
    auth_time: int
    family: str
    expires_at: int
    used_at: int | None
    user: UserRecord
    #: The consent it was issued on lapses then (apps in Testing): tokens never outlive it.
    grant_lapses_at: int | None = None
    #: How the user signed in (RFC 8176 values, space-separated); None: a password.
    amr: str | None = None


class DeviceRecord(NamedTuple):
    """A device code with its owner client and, once someone approved or denied it, the user."""

    device_code_hash: str
    client_pk: int
    owner_client_id: str
    scope: str
    status: str
    granted_scope: str | None
    interval: int
    last_poll_at: int | None
    expires_at: int
    user: UserRecord | None
    #: The policy's error code when the platform, not the user, refused it (e.g. ``org_internal``).
    refusal: str | None = None


class AccountRecord(NamedTuple):
    """An account signed in to a browser session, newest sign-in first."""

    user: UserRecord
    authenticated_at: int
    #: How the account signed in (domain/accounts/amr.py, stored form).
    amr: str = "pwd"


class LegacyRecord(NamedTuple):
    """A legacy token's row with its extras, app and holder, as stored (its secret still sealed);
    domain/legacy/tokens.py decides whether it is live and opens it."""

    id: int
    access_hash: str
    protocol: str
    client_pk: int
    user_id: int
    scope: str
    issued_at: int
    expires_at: int
    revoked_at: int | None
    secret_sealed: bytes | None
    secure: bool
    target: str
    source: str
    client_id: str
    project_id: int
    client_disabled: bool
    certificate: str | None
    suspended_at: int | None
    user_sub: str
    user_disabled: bool
