"""Redirect-URI registration rules and exact matching (RFC 9700 4.1, RFC 8252 7.3)."""

import pytest

from consentry.domain.clients.redirect_uris import matches, validate_registration
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
