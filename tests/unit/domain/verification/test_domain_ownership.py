"""Domain ownership (VERIFY-3) against a real DNS server on 127.0.0.1 and a fake well-known file."""

from __future__ import annotations

import time
from collections.abc import Iterator

import dns.rcode
import pytest

from consentry.domain.verification.domain_ownership import (
    MAX_EVIDENCE_CHARS,
    DnsChecker,
    Fetch,
    ProofResult,
    check_file,
    new_challenge,
    txt_record,
)
from consentry.errors import DomainError
from tests.support.dns_server import DnsServer

DOMAIN = "example.com"


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with DnsServer() as running:
        yield running


@pytest.fixture
def checker(server: DnsServer) -> DnsChecker:
    return DnsChecker(nameservers=["127.0.0.1"], port=server.port, lifetime=2.0)


@pytest.fixture
def challenge() -> str:
    return new_challenge()


def test_challenges_are_random_url_safe_and_about_32_characters() -> None:  # VERIFY-3
    seen = {new_challenge() for _ in range(50)}
    assert len(seen) == 50
    for value in seen:
        assert len(value) == 32
        assert value.replace("-", "").replace("_", "").isalnum()


# --- DNS ---------------------------------------------------------------------------------------


def test_the_right_record_among_others_verifies(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    # VERIFY-3: ownership of every authorized domain is verified
    server.records[DOMAIN] = ["v=spf1 -all", txt_record(challenge), "google-site-verification=abc"]
    result = checker.check_dns(DOMAIN, challenge)
    assert (result.verified, result.method, result.reason) == (True, "dns", "verified")
    assert result.message == "example.com is verified by its DNS TXT record."
    # DNS does not keep the order of a record set.
    assert sorted(result.evidence) == sorted(server.records[DOMAIN])
    assert server.queries == [("udp", "example.com", "TXT")]


def test_the_domain_is_normalised_before_the_query(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    server.records["xn--bcher-kva.example.org"] = [txt_record(challenge)]
    assert checker.check_dns(" Bücher.Example.org ", challenge).verified
    assert server.queries[-1][1] == "xn--bcher-kva.example.org"


def test_a_record_of_another_challenge_is_the_wrong_value(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:  # VERIFY-3
    server.records[DOMAIN] = ["v=spf1 -all", txt_record(new_challenge())]
    result = checker.check_dns(DOMAIN, challenge)
    assert not result.verified
    assert (result.method, result.reason) == ("dns", "wrong_value")
    assert f'"{txt_record(challenge)}"' in result.message  # says exactly what to publish
    assert "Add a TXT record to example.com" in result.message


def test_a_prefix_of_the_challenge_does_not_verify(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    server.records[DOMAIN] = [txt_record(challenge)[:-1], txt_record(challenge) + "x"]
    assert checker.check_dns(DOMAIN, challenge).reason == "wrong_value"


def test_no_record_when_the_name_has_only_other_txt_records(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    server.records[DOMAIN] = ["v=spf1 -all"]
    result = checker.check_dns(DOMAIN, challenge)
    assert (result.verified, result.reason, result.evidence) == (False, "no_record", ("v=spf1 -all",))
    assert txt_record(challenge) in result.message


def test_no_record_when_the_name_has_no_txt_records(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    server.records[DOMAIN] = []
    result = checker.check_dns(DOMAIN, challenge)
    assert (result.verified, result.reason, result.evidence) == (False, "no_record", ())


def test_an_unknown_name_is_nxdomain(server: DnsServer, checker: DnsChecker, challenge: str) -> None:
    result = checker.check_dns("missing.example.com", challenge)
    assert (result.verified, result.reason) == (False, "nxdomain")
    assert "does not exist in DNS" in result.message
    assert txt_record(challenge) in result.message


def test_publishing_the_record_later_is_seen_at_the_next_check(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    server.records[DOMAIN] = ["v=spf1 -all"]
    assert checker.check_dns(DOMAIN, challenge).reason == "no_record"
    server.records[DOMAIN].append(txt_record(challenge))
    assert checker.check_dns(DOMAIN, challenge).verified  # no cache between checks


def test_a_server_that_never_answers_is_a_timeout_within_the_lifetime(
    server: DnsServer, challenge: str
) -> None:
    server.records[DOMAIN] = [txt_record(challenge)]
    server.respond = False
    checker = DnsChecker(nameservers=["127.0.0.1"], port=server.port, lifetime=0.5)
    started = time.monotonic()
    result = checker.check_dns(DOMAIN, challenge)
    elapsed = time.monotonic() - started
    assert (result.verified, result.reason) == (False, "timeout")
    assert "within 0.5 seconds" in result.message
    assert 0.4 <= elapsed < 1.5
    assert server.queries  # the query did reach the server


def test_a_long_answer_is_read_over_tcp(server: DnsServer, checker: DnsChecker, challenge: str) -> None:
    # Over 512 bytes: the UDP answer is truncated and the resolver asks again over TCP.
    server.records[DOMAIN] = [f"filler-{i}-" + "b" * 200 for i in range(6)] + [txt_record(challenge)]
    result = checker.check_dns(DOMAIN, challenge)
    assert result.verified
    assert [q[0] for q in server.queries] == ["udp", "tcp"]
    assert len(result.evidence) == 5  # bounded, ours first
    assert result.evidence[0] == txt_record(challenge)
    assert all(
        len(seen) == MAX_EVIDENCE_CHARS + 1 and seen.endswith("…")
        for seen in result.evidence
        if "filler" in seen
    )


def test_a_value_split_into_several_strings_is_read_as_one(
    server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    # Values over 255 bytes must be published as several strings; resolvers hand them over apart.
    server.string_size = 7
    server.records[DOMAIN] = [txt_record(challenge)]
    result = checker.check_dns(DOMAIN, challenge)
    assert result.verified
    assert result.evidence == (txt_record(challenge),)


@pytest.mark.parametrize("rcode", [dns.rcode.SERVFAIL, dns.rcode.REFUSED])
def test_a_failing_server_is_a_dns_error(
    rcode: dns.rcode.Rcode, server: DnsServer, checker: DnsChecker, challenge: str
) -> None:
    server.records[DOMAIN] = [txt_record(challenge)]
    server.fail_with = rcode
    result = checker.check_dns(DOMAIN, challenge)
    assert (result.verified, result.reason) == (False, "dns_error")
    assert "failed" in result.message and txt_record(challenge) in result.message


def test_a_malformed_domain_or_challenge_is_the_callers_mistake(checker: DnsChecker) -> None:
    with pytest.raises(DomainError) as caught:
        checker.check_dns("10.0.0.1", new_challenge())
    assert caught.value.code == "invalid_domain"
    for bad in ("", "short", "has spaces in it, long enough", "x" * 129):
        with pytest.raises(ValueError):
            checker.check_dns(DOMAIN, bad)


def test_a_malformed_nameserver_is_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        DnsChecker(nameservers=["not-an-address"], port=53)


# --- well-known file -----------------------------------------------------------------------------


def _serving(status: int | None, text: str = "", error: str | None = None) -> tuple[list[str], Fetch]:
    asked: list[str] = []

    def fetch(url: str) -> tuple[int | None, str, str | None]:
        asked.append(url)
        return status, text, error

    return asked, fetch


def test_a_file_with_the_challenge_verifies(challenge: str) -> None:  # VERIFY-3
    asked, fetch = _serving(200, f"{challenge}\n")
    result = check_file("Example.COM", challenge, fetch)
    assert result == ProofResult(
        True,
        "file",
        "verified",
        "example.com is verified by https://example.com/.well-known/consentry-verification.txt.",
        (challenge,),
    )
    assert asked == ["https://example.com/.well-known/consentry-verification.txt"]


def test_the_txt_record_form_among_other_lines_verifies(challenge: str) -> None:
    _asked, fetch = _serving(200, f"# Consentry\r\n{txt_record(challenge)}\r\nother-service=xyz\r\n")
    assert check_file(DOMAIN, challenge, fetch).verified


def test_the_challenge_inside_a_longer_word_does_not_verify(challenge: str) -> None:
    _asked, fetch = _serving(200, f"<html>{challenge}</html>")
    result = check_file(DOMAIN, challenge, fetch)
    assert (result.verified, result.reason) == (False, "wrong_value")
    assert f'containing exactly "{challenge}"' in result.message
    assert result.evidence == (f"<html>{challenge}</html>",)


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_file_is_not_found(status: int, challenge: str) -> None:
    _asked, fetch = _serving(status, "Not Found")
    result = check_file(DOMAIN, challenge, fetch)
    assert (result.verified, result.method, result.reason) == (False, "file", "not_found")
    assert "https://example.com/.well-known/consentry-verification.txt" in result.message


@pytest.mark.parametrize(
    ("status", "error"),
    [(None, "connection refused"), (200, "the address is private"), (500, None), (302, None), (None, None)],
)
def test_fetch_failures_and_other_statuses_are_fetch_errors(
    status: int | None, error: str | None, challenge: str
) -> None:
    # A 200 with an error (the fetcher gave up mid-body) is not trusted either.
    _asked, fetch = _serving(status, challenge, error)
    result = check_file(DOMAIN, challenge, fetch)
    assert (result.verified, result.reason) == (False, "fetch_error")
    if error:
        assert error in result.message


def test_a_fetcher_that_raises_is_a_fetch_error(challenge: str) -> None:
    def broken(url: str) -> tuple[int | None, str, str | None]:
        raise RuntimeError("boom")

    result = check_file(DOMAIN, challenge, broken)
    assert (result.verified, result.reason) == (False, "fetch_error")
    assert "RuntimeError: boom" in result.message


def test_evidence_from_the_file_is_one_bounded_printable_line(challenge: str) -> None:
    _asked, fetch = _serving(200, "\x1b[31mred\x00\n" + "y" * 1000)
    result = check_file(DOMAIN, challenge, fetch)
    (seen,) = result.evidence
    assert seen.startswith("?[31mred? yyy") and len(seen) == MAX_EVIDENCE_CHARS + 1
