"""The password rule every account page and the CLI share (ACCT-2, NIST SP 800-63B)."""

from __future__ import annotations

import pytest

from consentry.domain.accounts.password_rules import MAX_LENGTH, check_new_password
from consentry.errors import DomainError

CONTEXT = ("alice@example.com", "Alice Admin", "consentry")


def _refusal(password: str) -> tuple[str, str]:
    with pytest.raises(DomainError) as err:
        check_new_password(password, context=CONTEXT)
    return err.value.code, str(err.value)


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("", "empty"),
        ("elevenchars", "at least 12 characters"),
        ("password1234", "very common password"),
        ("aaaaaaaaaaaa", "repeats"),
        ("qwertyuiopasdf", "commonly used password"),
        ("alice@example.com", "your e-mail address or name"),
        ("Alice@Example.com1", "easy to guess"),
        ("alice12345678", "commonly used"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password: str, said: str) -> None:  # ACCT-2
    code, message = _refusal(password)
    assert code == "weak_password"
    assert said in message


def test_no_composition_rules_a_long_passphrase_is_fine() -> None:  # ACCT-2
    for good in (
        "correct horse battery staple",
        "kq8vt2mpl9xzr",
        "alice-demo-password",
        "ñandú-sobre-el-río",
    ):
        check_new_password(good, context=CONTEXT)


def test_a_password_nobody_could_type_is_invalid_not_weak() -> None:  # ACCT-2
    code, message = _refusal("x" * (MAX_LENGTH + 1))
    assert code == "invalid_password" and str(MAX_LENGTH) in message


def test_a_very_long_passphrase_is_judged_quickly_and_accepted() -> None:  # ACCT-2
    check_new_password("a sentence that goes on " * 40, context=CONTEXT)
