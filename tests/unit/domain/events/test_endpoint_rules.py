"""The rule for an app's push endpoint: https on port 443, never a private or loopback host.

# DATA-4 (and the SSRF rule every developer-supplied URL follows): the endpoint is dialled by the
server, so it gets the verification fetcher's protection; CONSENTRY_FETCH_ALLOW_PRIVATE lifts it.
"""

from __future__ import annotations

import pytest

from consentry.domain.events.endpoint import check_endpoint
from consentry.errors import InvalidInput


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/security-events",
        "https://app.example.com:443/events?tenant=1",
        "  https://app.example.com/events  ",
    ],
)
def test_public_https_endpoints_are_accepted(url: str) -> None:  # DATA-4
    assert check_endpoint(url, allow_private=False) == url.strip()


def test_empty_means_no_endpoint() -> None:
    assert check_endpoint("   ", allow_private=False) == ""


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://app.example.com/events", "must be an https:// URL"),
        ("ftp://app.example.com/events", "must be an https:// URL"),
        ("app.example.com/events", "must be an https:// URL"),
        ("https://user:pw@app.example.com/events", "user name or password"),
        ("https://app.example.com/events#x", "#fragment"),
        ("https://app.example.com:8443/events", "standard https port"),
        ("https://127.0.0.1/events", "private or loopback"),
        ("https://10.1.2.3/events", "private or loopback"),
        ("https://169.254.169.254/latest", "private or loopback"),
        ("https://[::1]/events", "private or loopback"),
        ("https://localhost/events", "private or loopback"),
        ("https://api.localhost/events", "private or loopback"),
        ("https://app.example.com/a b", "spaces or control"),
        ("https:///events", "no host"),
        ("https://app.example.com:99999/", "not a valid URL"),
        ("https://app.example.com/" + "a" * 2000, "at most 2000"),
    ],
)
def test_unsafe_or_malformed_endpoints_are_refused_with_a_reason(url: str, words: str) -> None:  # DATA-4
    with pytest.raises(InvalidInput) as refused:
        check_endpoint(url, allow_private=False)
    assert refused.value.code == "invalid_endpoint"
    assert words in refused.value.message


def test_a_test_server_may_use_plain_http_on_loopback() -> None:  # DATA-4
    url = "http://127.0.0.1:8123/events"
    assert check_endpoint(url, allow_private=True) == url
    with pytest.raises(InvalidInput):
        check_endpoint("ftp://127.0.0.1/events", allow_private=True)
