"""argon2id password hashing (human passwords only).

The cost is argon2-cffi's default (RFC 9106's memory-constrained profile: 3 passes over 64 MiB),
about 0.1 s per hash. ``CONSENTRY_PASSWORD_HASH_COST=fast`` (one pass over 1 MiB) exists for test
suites, where hashing was 40% of the time of sign-in tests; settings.py refuses it in production.
A stored hash carries its own parameters, so either cost verifies what the other wrote.
"""

import os
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

COST_ENV = "CONSENTRY_PASSWORD_HASH_COST"
_COSTS = {
    "standard": PasswordHasher,
    "fast": lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}


@cache
def _hasher() -> PasswordHasher:
    cost = os.environ.get(COST_ENV, "standard")
    if cost not in _COSTS:
        raise ValueError(f"{COST_ENV} must be one of {', '.join(_COSTS)}, not {cost!r}")
    return _COSTS[cost]()


@cache
def _dummy() -> str:
    """Verified against when the account does not exist, so timing does not reveal it. Made on
    first use: hashing at import cost every process (each CLI command) 0.1 s."""
    return _hasher().hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher().verify(stored or _dummy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
