"""Consent-screen input rules (VERIFY-2) and branding rules (VERIFY-3): what is refused, and why."""

from __future__ import annotations

import pytest

from consentry.domain.projects.app_names import MAX_APP_NAME, app_name
from consentry.domain.projects.branding import (
    MAX_URL,
    contact_emails,
    domain_name,
    public_url,
    url_on_domains,
)
from consentry.errors import DomainError


def _fullwidth(text: str) -> str:
    """``text`` in fullwidth forms (U+FF01..U+FF5E), which NFKC maps back to ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def _code(call: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


# --- app name: VERIFY-2 (the field), VERIFY-3 (follows branding rules) ---------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Photo Sorter",
        "Dog Walker",
        "Big Mail",  # "g mail" across words, but not starting at one: does not read as Gmail
        "Blog Mailer",
        "Modern Notes",  # "rn" folds to "m" on both sides; nothing reserved comes out
        "Verifiable Credentials Wallet",
        "Café Planner",
        "東京 Transit",
        "R2-D2 Tracker",
        "A" * MAX_APP_NAME,
    ],
)
def test_ordinary_names_are_accepted(name: str) -> None:  # VERIFY-2
    assert app_name(name) == name


def test_the_name_is_returned_without_surrounding_spaces() -> None:
    assert app_name("  Photo Sorter \t") == "Photo Sorter"


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("G00gle Mail", "google"),  # leetspeak
        ("Consentry Official", "consentry"),
        ("c0nsentry", "consentry"),
        ("G\N{CYRILLIC SMALL LETTER O}\N{CYRILLIC SMALL LETTER O}gle", "google"),
        ("G\N{GREEK SMALL LETTER OMICRON}ogle Drive Helper", "google"),
        ("\U0001d406\U0001d428\U0001d428\U0001d420\U0001d425\U0001d41e", "google"),  # mathematical bold
        (_fullwidth("Google"), "google"),
        ("Gööglé", "google"),  # accents
        ("Goog1e", "google"),
        ("Goo gle", "google"),  # split by separators
        ("G.o.o.g.l.e", "google"),
        ("MyGoogleApp", "google"),
        ("G-Mail Cleaner", "gmail"),
        ("Grnail Helper", "gmail"),  # rn reads as m
        ("GMA1L", "gmail"),
        ("You Tube Downloader", "youtube"),
        ("YouTube", "youtube"),
        ("Andr0id Tools", "android"),
        ("Official Calendar", "official"),
        ("0ff1c1al Calendar", "official"),
        ("Verified Payments", "verified"),
        ("V3r1f13d", "verified"),
        ("\N{CYRILLIC CAPITAL LETTER ES}onsentry", "consentry"),
    ],
)
def test_names_imitating_the_platform_or_brands_are_refused(name: str, word: str) -> None:  # VERIFY-3
    error = _code(app_name, name)
    assert error.code == "reserved_name"
    assert repr(word) in error.message
    assert "Choose a name that identifies your own app" in error.message


def test_the_issuers_display_name_is_reserved_too() -> None:  # VERIFY-3
    for name in ("Acme Identity", "acme-identity helper", "Acrne ldentity"):
        error = _code(app_name, name, extra_reserved=["Acme Identity"])
        assert error.code == "reserved_name"
        assert "'Acme Identity'" in error.message
    assert app_name("Acme Todo", extra_reserved=["Acme Identity"]) == "Acme Todo"
    # A very short display name would refuse half the dictionary: it is not enforced.
    assert app_name("Abacus", extra_reserved=["AB", " "]) == "Abacus"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "Enter the app name"),
        ("   ", "Enter the app name"),
        ("A" * (MAX_APP_NAME + 1), f"at most {MAX_APP_NAME}"),
        ("Photo\nSorter", "control"),
        ("Photo\x00Sorter", "control"),
        ("Goo\u200bgle", "invisible"),  # zero-width space hides a brand from a naive check
        ("Photo\u202eSorter", "invisible"),  # right-to-left override
        ("Photo\u00a0Sorter", "unusual spaces"),
        ("!!!", "at least one letter or digit"),
    ],
)
def test_malformed_names_are_refused(value: str, fragment: str) -> None:  # VERIFY-2
    error = _code(app_name, value)
    assert error.code == "invalid_app_name"
    assert fragment in error.message


# --- links: VERIFY-2 (home page, privacy policy, terms) ------------------------------------------


@pytest.mark.parametrize(
    ("url", "code", "fragment"),
    [
        ("javascript:alert(1)", "unsupported_scheme", "javascript: links are not allowed"),
        ("JavaScript:alert(1)", "unsupported_scheme", "javascript: links are not allowed"),
        ("data:text/html,<b>hi</b>", "unsupported_scheme", "data: links"),
        ("file:///etc/passwd", "unsupported_scheme", "file: links"),
        ("ftp://example.com/", "unsupported_scheme", "ftp: links"),
        ("http://x.com", "insecure_url", "plain http is not allowed"),
        ("https://10.0.0.1/", "ip_address_host", "not an IP address"),
        ("https://8.8.8.8/", "ip_address_host", "not an IP address"),
        ("https://[2001:db8::1]/", "ip_address_host", "not an IP address"),
        ("https://127.1/", "ip_address_host", "not an IP address"),  # a browser reads 127.0.0.1
        ("https://0x7f000001/", "ip_address_host", "not an IP address"),
        ("https://user:pw@x.com/", "credentials_in_url", "user name or password"),
        ("https://x.com@evil.com/", "credentials_in_url", "user name or password"),
        ("https://localhost/", "non_public_host", "localhost"),
        ("https://app.localhost/", "non_public_host", "localhost"),
        ("https://printer.local/", "non_public_host", ".local"),
        ("https://wiki.corp.internal/", "non_public_host", ".internal"),
        ("https://intranet/", "non_public_host", ".intranet"),
        ("https://server/", "non_public_host", "at least one dot"),
        ("https:x.com", "invalid_url", "starting with https://"),
        ("//x.com/", "invalid_url", "starting with https://"),
        ("x.com", "invalid_url", "starting with https://"),
        ("https://x.com/a b", "invalid_url", "spaces"),
        ("https://x.com\\@evil.com", "invalid_url", "backslashes"),
        ("https://x.com/%zz", "invalid_url", "percent-encoding"),
        ("https://x.com:99999/", "invalid_url", "port"),
        ("https://x.com./", "invalid_url", "trailing dot"),
        ("https://a_b.com/", "invalid_url", "letters, digits and hyphens"),
        ("https:///path", "invalid_url", "host name is missing"),
        ("https://x.com/" + "a" * MAX_URL, "invalid_url", f"longer than {MAX_URL}"),
        ("", "invalid_url", "Enter the home page"),
    ],
)
def test_unsafe_or_private_links_are_refused(url: str, code: str, fragment: str) -> None:  # VERIFY-2
    error = _code(public_url, url, field="home page")
    assert error.code == code
    assert fragment in error.message
    if url:
        assert error.message.startswith("The home page ")


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://example.com", "https://example.com"),
        (" https://example.com/\n", "https://example.com/"),  # surrounding whitespace is trimmed
        ("HTTPS://WWW.Example.COM/Privacy?lang=en#data", "https://www.example.com/Privacy?lang=en#data"),
        ("https://example.com:8443/terms", "https://example.com:8443/terms"),
        ("https://bücher.example.de/datenschutz-ü", "https://xn--bcher-kva.example.de/datenschutz-%C3%BC"),
        ("https://example.com/a%20b", "https://example.com/a%20b"),
        ('https://example.com/q?x="<y>"', "https://example.com/q?x=%22%3Cy%3E%22"),
    ],
)
def test_public_https_links_are_accepted_and_normalised(url: str, normalised: str) -> None:
    assert public_url(url, field="privacy policy") == normalised


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000/privacy", "http://127.0.0.1/", "https://[::1]:8443/", "http://app.localhost/"],
)
def test_a_development_deployment_may_link_to_loopback(url: str) -> None:
    assert public_url(url, field="home page", allow_http_localhost=True) == url


def test_loopback_permission_does_not_open_http_elsewhere() -> None:
    assert (
        _code(public_url, "http://x.com/", field="home page", allow_http_localhost=True).code
        == "insecure_url"
    )
    assert (
        _code(public_url, "http://10.0.0.1/", field="home page", allow_http_localhost=True).code
        == "insecure_url"
    )
    assert (
        _code(public_url, "https://10.0.0.1/", field="home page", allow_http_localhost=True).code
        == "ip_address_host"
    )


# --- authorized domains: VERIFY-2, VERIFY-3 ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.com", "example.com"),
        ("  Example.COM ", "example.com"),
        ("sub.example.co.uk", "sub.example.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        (_fullwidth("example") + ".com", "example.com"),  # mapped by UTS #46
        ("a-b.example.org", "a-b.example.org"),
    ],
)
def test_domains_are_lower_case_ascii(value: str, expected: str) -> None:
    assert domain_name(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "Enter a domain name"),
        ("https://example.com", "enter only the domain"),
        ("example.com/path", "enter only the domain"),
        ("example.com:443", "enter only the domain"),
        ("me@example.com", "enter only the domain"),
        ("exa mple.com", "enter only the domain"),
        ("1.2.3.4", "an IP address is not a domain name"),
        ("[::1]", "enter only the domain"),
        ("localhost", ".localhost"),
        ("nas.local", ".local"),
        ("host.internal", ".internal"),
        ("mailserver", "at least one dot"),
        ("example.c", "not a top-level domain"),
        ("example.123", "IP address"),
        ("example.com.", "trailing dot"),
        ("-example.com", "hyphens"),
        ("a..com", "hyphens"),
        ("ex_ample.com", "hyphens"),
        ("xn--zz.com", "hyphens"),
        ("☃.net", "hyphens"),
        ("a" * 64 + ".com", "hyphens"),
        (("a" * 60 + ".") * 5 + "com", "longer than 253"),
    ],
)
def test_malformed_or_private_domains_are_refused(value: str, fragment: str) -> None:
    error = _code(domain_name, value)
    assert error.code == "invalid_domain"
    assert fragment in error.message


@pytest.mark.parametrize(
    ("url", "domains", "expected"),
    [
        ("https://example.com/privacy", ["example.com"], True),
        ("https://www.example.com/privacy", ["example.com"], True),
        ("https://a.b.example.com/", ["other.org", "example.com"], True),
        ("https://WWW.EXAMPLE.COM/", ["Example.com"], True),
        ("https://bücher.de/", ["xn--bcher-kva.de"], True),
        ("https://evilexample.com/", ["example.com"], False),
        ("https://example.com.evil.org/", ["example.com"], False),
        ("https://example.org/", ["example.com"], False),
        ("https://example.com@evil.org/", ["example.com"], False),
        ("https://10.0.0.1/", ["example.com"], False),
        ("javascript:alert(1)//example.com", ["example.com"], False),
        ("not a url", ["example.com"], False),
        ("https://example.com/", ["not a domain", ""], False),
        ("https://example.com/", [], False),
    ],
)
def test_url_on_domains(url: str, domains: list[str], expected: bool) -> None:  # VERIFY-5 same domain
    assert url_on_domains(url, domains) is expected


# --- contact emails: VERIFY-2 --------------------------------------------------------------------


def test_contact_emails_are_trimmed_lower_case_and_distinct() -> None:
    assert contact_emails([" Dev@Example.com ", "ops@example.com", "dev@example.com", ""]) == [
        "dev@example.com",
        "ops@example.com",
    ]
    assert contact_emails("dev@example.com, ops@example.com;\nsec@example.com") == [
        "dev@example.com",
        "ops@example.com",
        "sec@example.com",
    ]


def test_contact_emails_are_refused_with_what_to_fix() -> None:
    assert _code(contact_emails, []).code == "missing_email"
    assert _code(contact_emails, " , ").code == "missing_email"
    error = _code(contact_emails, ["dev@example.com", "not-an-address"])
    assert (error.code, error.message) == (
        "invalid_email",
        "'not-an-address' is not an email address; write it like name@example.com.",
    )
    assert "…" in _code(contact_emails, ["x" * 300]).message  # a huge value is not echoed back
    assert _code(contact_emails, [f"u{i}@example.com" for i in range(11)]).code == "too_many_emails"
    assert _code(contact_emails, ["a@example.com", "b@example.com"], limit=1).code == "too_many_emails"
    assert contact_emails([f"u{i}@example.com" for i in range(10)]) == [
        f"u{i}@example.com" for i in range(10)
    ]
