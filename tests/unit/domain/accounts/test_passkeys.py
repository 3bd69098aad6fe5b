"""Passkeys without a server (ACCT-3): the relying party taken from the issuer, names, answers."""

from __future__ import annotations

import pytest

from consentry.domain.accounts.passkeys import MAX_NAME, RelyingParty, clean_name
from consentry.domain.accounts.passkeys_ceremony import PasskeyError, as_answer, new_challenge
from consentry.errors import DomainError
from consentry.settings import Settings


@pytest.mark.parametrize(
    ("issuer", "rp_id", "origin"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1", "http://127.0.0.1:8000"),
        ("https://Auth.Example.org/", "auth.example.org", "https://auth.example.org"),
        ("https://auth.example.org:443/tenant", "auth.example.org", "https://auth.example.org"),
        ("https://auth.example.org:8443", "auth.example.org", "https://auth.example.org:8443"),
        ("http://localhost:80", "localhost", "http://localhost"),
    ],
)
def test_the_relying_party_is_the_issuers_host_and_origin(issuer, rp_id, origin):  # ACCT-3
    rp = RelyingParty.of(Settings(issuer=issuer, environment="test", operator_name="Example Co"))
    assert (rp.id, rp.origin, rp.name) == (rp_id, origin, "Example Co")


def test_names_are_trimmed_and_bounded():  # ACCT-3
    assert clean_name("  Work\tlaptop \n") == "Work laptop"
    assert clean_name("a\x00b\u202e") == "ab"
    assert clean_name("   ") == "Passkey"
    assert clean_name("", default="") == ""
    assert clean_name("x" * MAX_NAME) == "x" * MAX_NAME
    with pytest.raises(DomainError) as refused:
        clean_name("x" * (MAX_NAME + 1))
    assert refused.value.code == "invalid_name"


@pytest.mark.parametrize(
    ("raw", "words"), [("{oops", "not JSON"), ("[1]", "not a credential"), (3, "not a credential")]
)
def test_an_answer_that_is_no_credential_says_why(raw, words):  # ACCT-3
    with pytest.raises(PasskeyError) as refused:
        as_answer(raw)
    assert refused.value.code == "passkey_invalid" and words in refused.value.message
    assert refused.value.status == 400


def test_an_answer_is_taken_as_a_string_or_an_object():  # ACCT-3
    assert as_answer('{"id": "a"}') == {"id": "a"} == as_answer({"id": "a"})


def test_challenges_are_fresh_and_fit_the_step():  # ACCT-3
    seen = {new_challenge() for _ in range(50)}
    assert len(seen) == 50
    assert all(len(c) == 43 and "=" not in c for c in seen)  # 32 bytes, base64url, in 200 chars


@pytest.mark.parametrize(
    ("issuer", "usable"),
    [("http://localhost:8000", True), ("http://127.0.0.1:8000", False), ("http://[::1]:8000", False)],
)
def test_an_ip_address_cannot_be_the_relying_party(issuer, usable):  # ACCT-3
    assert RelyingParty.of(Settings(issuer=issuer, environment="test")).usable is usable
