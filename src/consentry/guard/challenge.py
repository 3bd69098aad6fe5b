"""``WWW-Authenticate`` challenges (RFC 6750 §3) with values that cannot break the header."""

from __future__ import annotations

from collections.abc import Sequence

#: RFC 6750 §3: error_description and scope values exclude '"' and '\\'; realm follows suit.
_ALLOWED = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}
_MAX = 200


def quote(value: str, limit: int | None = _MAX) -> str:
    """Replace anything outside the allowed set (quotes, backslashes, CR, LF, non-ASCII); cap the length."""
    clean = "".join(ch if ch in _ALLOWED else "?" for ch in value)
    return '"' + clean[:limit] + '"'


def bearer_challenge(
    realm: str | None, error: str | None, description: str | None, scope: Sequence[str] = ()
) -> str:
    params: list[str] = []
    if realm is not None:
        params.append(f"realm={quote(realm)}")
    if error is not None:
        params.append(f"error={quote(error)}")
        if description:
            params.append(f"error_description={quote(description)}")
        if scope:
            params.append(f"scope={quote(' '.join(scope), limit=None)}")
    return "Bearer " + ", ".join(params) if params else "Bearer"
