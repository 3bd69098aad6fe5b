"""A service account's key as the token store reads it for the JWT bearer grant (RFC 7523)."""

from __future__ import annotations

from typing import Any, NamedTuple


class ServiceKeyRecord(NamedTuple):
    kid: str
    public_jwk: dict[str, Any]
    disabled: bool
