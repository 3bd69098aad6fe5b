"""The replay guard's timestamp rule and the legacy scope table (domain/legacy)."""

from __future__ import annotations

import time

from consentry.domain.legacy.replay import SKEW, fresh_timestamp
from consentry.domain.legacy.scope_map import LegacyScopes
from consentry.domain.scopes.catalogue import Catalogue

ISSUER = "https://id.example.org"


def test_timestamps_are_ascii_seconds_within_the_skew() -> None:
    # AUTH1-2 replay: a superscript digit is a "digit" to str.isdigit, and used to end in a 500
    now = int(time.time())
    assert fresh_timestamp(str(now)) and fresh_timestamp(str(now - SKEW + 5))
    for bad in ("²", "١٢٣", "", "12.5", "-1", str(now - SKEW - 5), "9" * 13):
        assert not fresh_timestamp(bad), bad


def test_scope_strings_resolve_through_the_one_table() -> None:
    # AUTH0-2, issue 15: legacy prefixes, http or https, longest prefix first, catalogue URIs as such
    scopes = LegacyScopes(Catalogue(ISSUER), ISSUER)
    got = scopes.resolve(
        "http://www.google.com/calendar/feeds/default/private/full "
        f"{ISSUER}/feeds/mail/readonly/ HTTPS://MAIL.GOOGLE.COM/ email {ISSUER}/auth/files.readonly"
    )
    assert got.unknown == ()
    assert got.scopes == (
        f"{ISSUER}/auth/calendar",
        f"{ISSUER}/auth/mail.readonly",
        f"{ISSUER}/auth/mail",
        "email",
        f"{ISSUER}/auth/files.readonly",
    )


def test_unknown_scope_strings_are_returned_not_dropped() -> None:
    scopes = LegacyScopes(Catalogue(ISSUER), ISSUER)
    got = scopes.resolve("http://www.blogger.com/feeds/ https://www.google.com/calendar/feeds/")
    assert got.unknown == ("http://www.blogger.com/feeds/",) and not got.ok
    assert scopes.resolve("").scopes == () and not scopes.resolve("").ok
    assert scopes.resolve(" ".join(["email"] * 21)).unknown  # too many
    assert scopes.service("cl") is not None and scopes.service("lh2") is None
