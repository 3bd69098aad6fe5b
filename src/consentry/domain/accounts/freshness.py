"""When an app may not rely on the browser's existing sign-in (OIDC Core §3.1.2.1).

``prompt=login`` asks for a sign-in within this very request; ``max_age`` for one no older than
that many seconds. A sign-in made while the request waited always satisfies both (with
``max_age=0`` nothing else could). The rule is data-only, so every page and protocol asks it alike.
"""

from __future__ import annotations

#: The pseudo-screen a paused authorization request records once someone signed in during it.
SIGNED_IN = "signed_in"
#: Above this a max_age means "never ask again" in practice; refused as malformed beyond it.
MAX_AGE_LIMIT = 10 * 365 * 24 * 3600


def parse_max_age(value: str | None) -> int | None:
    """The request's ``max_age`` in seconds; ``ValueError`` when it is not a whole number >= 0."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise ValueError("max_age is a whole number of seconds")
    seconds = int(value)
    if seconds > MAX_AGE_LIMIT:
        raise ValueError(f"max_age is at most {MAX_AGE_LIMIT} seconds")
    return seconds


def must_sign_in_again(
    prompts: set[str], max_age: int | None, authenticated_at: int, *, signed_in_now: bool, now: int
) -> bool:
    """True when the account's sign-in is not fresh enough for this request."""
    if signed_in_now:
        return False
    if "login" in prompts or max_age == 0:  # max_age=0 is prompt=login (OIDC Core, errata set 2)
        return True
    return max_age is not None and now - authenticated_at > max_age
