"""Redirect-URI parsing, registration rules and exact matching (RFC 9700 4.1, RFC 8252 7.3, ISSUE-9.12)."""

import pytest

from consentry.domain.clients.redirect_uris import (
    RedirectURI,
    display_authority,
    matches,
    parse_redirect_uri,
    validate_registration,
)
from consentry.errors import DomainError


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example.org/cb",  # http off loopback
        "https://app.example.org/cb#frag",  # fragment
        "https://*.example.org/cb",  # wildcard
        "https://203.0.113.5/cb",  # raw IP
        "javascript:alert(1)",
        "/relative",
    ],
)
def test_unsafe_redirect_uris_are_refused(uri):
    with pytest.raises(DomainError):
        validate_registration(uri, "web")


def test_installed_apps_must_use_loopback():
    with pytest.raises(DomainError):
        validate_registration("https://app.example.org/cb", "installed")
    assert validate_registration("http://127.0.0.1", "installed") == "http://127.0.0.1"


def test_web_matching_is_exact():
    reg = ["https://app.example.org/cb"]
    assert matches("https://app.example.org/cb", reg, "web")
    for other in (
        "https://app.example.org/cb/",
        "https://app.example.org/cb?a=1",
        "https://app.example.org:443/cb",
        "https://APP.example.org/cb",
        "http://app.example.org/cb",
    ):
        assert not matches(other, reg, "web"), other


def test_loopback_any_port_only_for_installed_apps():
    reg = ["http://127.0.0.1/cb"]
    assert matches("http://127.0.0.1:61000/cb", reg, "installed")
    assert not matches("http://127.0.0.1:61000/cb", reg, "web")
    assert not matches("http://127.0.0.1:61000/other", reg, "installed")
    assert not matches("http://localhost:61000/cb", reg, "installed")


# --- ISSUE-9.12: one strict parser, at registration and at /authorize -----------------------------

ATTACKS = [
    ("http://evil.com@127.0.0.1:5555/", "user information"),  # userinfo: the consent page showed evil.com
    ("http://user:pw@127.0.0.1/", "user information"),
    ("http://127.0.0.1:abc/", "port"),
    ("http://127.0.0.1:99999/", "port"),
    ("http://127.0.0.1:80:evil.com/", "port"),
    ("http://127.0.0.1:0/", "port"),
    ("http://127.0.0.1:/", "port"),
    ("http://127.0.0.1:+80/", "port"),
    ("http://127.0.0.1:٨٠/", "printable ASCII"),  # Arabic-Indic digits: int() would accept them
    ("http://127.0.0.1\\@evil.com/", "backslashes"),  # browsers read \ as /
    ("http://127.0.0.1/ cb", "printable ASCII"),
    ("http://127.0.0.1/\tcb", "printable ASCII"),
    ("https://exämple.org/cb", "printable ASCII"),  # IDN: register the punycode form
    ("https:///cb", "host is empty"),
    ("https://app.example.org./cb", "domain name"),
    ("https://app..example.org/cb", "domain name"),
    ("http://127.1/", "four decimal numbers"),  # browsers read 127.1 as 127.0.0.1
    ("http://2130706433/", "four decimal numbers"),
    ("http://0x7f.0.0.1/", "four decimal numbers"),
    ("http://[::1%25lo]/", "IPv6"),
    ("http://[::1]evil/", "after the host"),
    ("https://app.example.org/a/../cb", "segments"),
    ("https://app.example.org/a/%2E%2e/cb", "segments"),
    ("https://app.example.org/cb?a=%zz", "percent-encoding"),
    ("https://app.example.org/c<b", "percent-encoded"),
    ("HTTPS://app.example.org/cb", "lower-case scheme"),
    ("https://app.example.org/" + "a" * 2048, "longer than 2048"),
]


@pytest.mark.parametrize(("uri", "why"), ATTACKS)
def test_the_parser_refuses_what_urlsplit_lets_through(uri: str, why: str) -> None:  # ISSUE-9.12
    with pytest.raises(DomainError) as err:
        parse_redirect_uri(uri)
    assert err.value.code == "invalid_redirect_uri" and why in err.value.message, err.value.message
    assert len(err.value.message) < 300  # an over-long URI is not echoed back whole


@pytest.mark.parametrize(("uri", "_why"), ATTACKS)
def test_attacks_are_refused_at_registration_and_never_match(uri: str, _why: str) -> None:  # ISSUE-9.12
    for client_type in ("web", "installed"):
        with pytest.raises(DomainError) as err:
            validate_registration(uri, client_type)
        assert err.value.code == "invalid_redirect_uri"
        # Matching refuses even an exact copy (a row registered before the parser was strict).
        assert not matches(uri, [uri, "http://127.0.0.1", "http://[::1]"], client_type)


def test_the_parser_returns_the_parts_browsers_will_use() -> None:  # ISSUE-9.12
    assert parse_redirect_uri("http://127.0.0.1:5555/cb?x=1") == RedirectURI(
        "http", "127.0.0.1", 5555, "/cb", "x=1"
    )
    assert parse_redirect_uri("http://[0:0::1]:65535") == RedirectURI("http", "[::1]", 65535, "", "")
    assert parse_redirect_uri("https://App.Example.org?q=/a?b") == RedirectURI(
        "https", "app.example.org", None, "", "q=/a?b"
    )


def test_consent_page_shows_the_parsed_host_and_port() -> None:  # ISSUE-9.12 "show the registered host"
    assert display_authority("http://127.0.0.1:5555/cb") == "127.0.0.1:5555"
    assert display_authority("http://[::1]:5555/") == "[::1]:5555"
    assert display_authority("https://app.example.org/cb") == "app.example.org"
    assert display_authority("http://evil.com@127.0.0.1:5555/") == ""
    assert display_authority(None) == ""


@pytest.mark.parametrize("uri", ["http://localhost/cb", "http://localhost:8080", "https://localhost/cb"])
def test_installed_apps_may_not_register_localhost(uri: str) -> None:  # RFC 8252 §8.3, ISSUE-9.12
    with pytest.raises(DomainError) as err:
        validate_registration(uri, "installed")
    assert err.value.code == "invalid_redirect_uri"
    assert "127.0.0.1 or [::1]" in err.value.message and "RFC 8252" in err.value.message


def test_installed_apps_may_register_either_loopback_ip() -> None:  # RFC 8252 §7.3
    for uri in ("http://127.0.0.1", "http://127.0.0.1:8080/cb", "http://[::1]/cb?x=1"):
        assert validate_registration(uri, "installed") == uri


def test_any_port_rule_only_for_literal_loopback_ips() -> None:  # RFC 8252 §7.3, §8.3, ISSUE-9.12
    stale = ["http://localhost/cb"]  # registered before localhost was refused
    assert not matches("http://localhost:61000/cb", stale, "installed")
    assert matches("http://localhost/cb", stale, "installed")  # the exact string still works
    assert matches("http://[::1]:61000/cb", ["http://[::1]/cb"], "installed")
    assert not matches("http://[::1]:61000/cb", ["http://127.0.0.1/cb"], "installed")
    assert not matches("https://127.0.0.1:61000/cb", ["https://127.0.0.1/cb"], "installed")
    assert matches("http://127.0.0.1:5555/", ["http://127.0.0.1"], "installed")


def test_web_clients_keep_http_on_localhost_and_loopback() -> None:  # development servers
    for uri in ("http://localhost:3000/cb", "http://127.0.0.1:8765/callback", "http://[::1]:8080/cb"):
        assert validate_registration(uri, "web") == uri
    with pytest.raises(DomainError):
        validate_registration("https://[2001:db8::1]/cb", "web")  # raw IP off loopback
