"""When a sign-in is fresh enough for the request (ACCT-3: prompt=login and max_age re-ask)."""

from __future__ import annotations

import pytest

from consentry.domain.accounts.freshness import MAX_AGE_LIMIT, must_sign_in_again, parse_max_age

NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("prompts", "max_age", "age", "signed_in_now", "again"),
    [
        (set(), None, 10**6, False, False),  # no demand: any live session will do
        ({"login"}, None, 0, False, True),  # prompt=login: always, unless signed in during the request
        ({"login"}, None, 10**6, True, False),
        (set(), 0, 0, False, True),  # max_age=0 is prompt=login
        (set(), 0, 0, True, False),
        (set(), 60, 60, False, False),  # exactly max_age old: still fresh
        (set(), 60, 61, False, True),
        ({"consent"}, 3600, 30, False, False),
    ],
)
def test_must_sign_in_again(
    prompts: set[str], max_age: int | None, age: int, signed_in_now: bool, again: bool
) -> None:  # ACCT-3
    assert must_sign_in_again(prompts, max_age, NOW - age, signed_in_now=signed_in_now, now=NOW) is again


@pytest.mark.parametrize("value", ["-1", "1.5", "soon", "٣", str(MAX_AGE_LIMIT + 1), "1" * 11])
def test_malformed_max_age_is_refused(value: str) -> None:  # ACCT-3
    with pytest.raises(ValueError, match="max_age"):
        parse_max_age(value)


def test_max_age_parses() -> None:  # ACCT-3
    assert parse_max_age(None) is None and parse_max_age("") is None
    assert parse_max_age("0") == 0 and parse_max_age("3600") == 3600
