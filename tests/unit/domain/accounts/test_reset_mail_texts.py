"""The words of the recovery and joining mails (ACCT-1, ACCT-6): lifetimes people can read, links
that carry their token intact, and page sentences made from the domain's messages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from consentry.domain.accounts.account_mail import lasts, link
from consentry.web.pages.account_forms import email_problem, sentence


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (60, "1 minute"),
        (90, "1 minute"),
        (30 * 60, "30 minutes"),
        (3600, "60 minutes"),
        (2 * 3600, "2 hours"),
        (24 * 3600, "24 hours"),
        (36 * 3600, "36 hours"),
        (7 * 24 * 3600, "7 days"),
    ],
)
def test_a_lifetime_reads_as_people_say_it(seconds: int, words: str) -> None:  # ACCT-1
    assert lasts(seconds) == words


def test_a_link_carries_its_token_intact() -> None:  # ACCT-1
    token = "a-b_c" * 8
    url = link("https://id.example.com/", "/password/reset", token=token)
    assert url.startswith("https://id.example.com/password/reset?token=")
    assert parse_qs(urlsplit(url).query) == {"token": [token]}


def test_domain_messages_become_sentences() -> None:  # ACCT-2
    assert sentence("passwords need at least 12 characters") == "Passwords need at least 12 characters."
    assert sentence("Already a sentence.") == "Already a sentence."
    assert sentence("") == ""


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "Type the e-mail address of your account."),
        ("no-at-sign", "That is not an e-mail address: check it for typing mistakes."),
        ("a@" + "b" * 300 + ".org", "That is not an e-mail address: check it for typing mistakes."),
        ("ok@example.org", ""),
    ],
)
def test_what_was_typed_is_judged_without_looking_up_accounts(typed: str, problem: str) -> None:  # ACCT-1
    assert email_problem(typed) == problem
