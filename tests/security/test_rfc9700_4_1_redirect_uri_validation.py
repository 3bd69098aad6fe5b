"""RFC 9700 §4.1 Insufficient Redirect URI Validation (and RFC 6819 §5.2.3.5, RFC 8252 §7.3, §8.3).

An authorization server that matches redirect URIs by pattern, prefix or after normalisation can be
made to send the code to an attacker. Consentry compares the exact registered string (loopback
redirects of installed apps excepted, where only the port may vary), refuses at registration what
would make a redirect unsafe, and answers a mismatch with a page, never a redirect.
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from consentry.errors import DomainError
from tests.conftest import ISSUER
from tests.security.support import error_page_problem, listing
from tests.support.browserless import Browser, pkce_pair
from tests.support.seed import Seeder

REGISTERED = "https://app.example.org/callback"

#: Each would reach the attacker (or another path of the client) under a lax matcher.
PATTERN_TRICKS = [
    "https://app.example.org/callback/",  # prefix
    "https://app.example.org/callbackx",  # prefix
    "https://app.example.org/callback?next=https://evil.example/",  # extra query
    "https://app.example.org/callback#https://evil.example/",  # fragment (RFC 6749 §3.1.2)
    "https://app.example.org/callback#",  # empty fragment
    "https://app.example.org.evil.example/callback",  # host suffix
    "https://evil.app.example.org/callback",  # subdomain
    "https://app.example.org@evil.example/callback",  # userinfo: the host is evil.example
    "https://evil.example/callback?https://app.example.org/callback",
    "https://evil.example\\@app.example.org/callback",  # parser differential
    "http://app.example.org/callback",  # scheme downgrade
    "HTTPS://APP.EXAMPLE.ORG/callback",  # equivalent only after normalisation
    "https://app.example.org:443/callback",  # equivalent only after normalisation
    "https://app.example.org:8443/callback",  # another port
    "//evil.example/callback",  # scheme-relative
    "javascript:alert(document.domain)//https://app.example.org/callback",
    "data:text/html,<script>alert(1)</script>",
]
#: Path traversal: equal to the registered URI only after dot-segment removal or decoding.
TRAVERSAL = [
    "https://app.example.org/callback/../evil",
    "https://app.example.org/callback/..%2Fevil",
    "https://app.example.org/callback/%2e%2e/evil",
    "https://app.example.org/evil/../callback",
    "https://app.example.org/./callback",
    "https://app.example.org/%63allback",
    "https://app.example.org/callback%23",
    "https://app.example.org/callback%00",
]


def _authorize(browser: Browser, client_id: str, redirect_uri: str, **extra: str) -> httpx.Response:
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "st-4.1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return browser.get(ISSUER + "/authorize?" + urlencode(params))


# SEC-7 OWASP A01:2021 Broken Access Control: CWE-601: the code goes only to the exact registered redirect
#   URI.
def test_4_1_redirect_uri_pattern_tricks_and_path_traversal_get_a_page_not_a_redirect(
    seed: Seeder, browser: Browser
) -> None:
    """RFC 9700 §4.1.3, RFC 6819 §5.2.3.5: exact string matching. No variant of the registered URI
    (prefix, suffix, subdomain, userinfo, fragment, traversal, normalisation) is accepted; each gets
    an error page with ``invalid_request`` and no Location header, so nothing leaves the server."""
    c = seed.client("web", redirect_uris=[REGISTERED])
    # Control: the registered URI itself is accepted (the anonymous visitor is sent to sign in).
    ok = _authorize(browser, c.client_id, REGISTERED)
    assert ok.status_code == 302 and ok.headers["location"].startswith("/signin?"), ok.text[:300]
    problems = {}
    for uri in PATTERN_TRICKS + TRAVERSAL:
        if problem := error_page_problem(_authorize(browser, c.client_id, uri), "invalid_request"):
            problems[uri] = problem
    assert not problems, "accepted:\n" + listing(problems)


#: (client type, URI) pairs registration must refuse.
UNSAFE_REGISTRATIONS = [
    ("web", "https://app.example.org/cb#section"),  # fragment (RFC 6749 §3.1.2)
    ("web", "https://*.example.org/cb"),  # wildcard (RFC 9700 §2.1)
    ("web", "https://app.*/cb"),
    ("web", "http://app.example.org/cb"),  # plain http off loopback
    ("web", "javascript:alert(1)"),
    ("web", "app.example.org/cb"),  # not absolute
    ("web", "https://user:pass@app.example.org/cb"),  # userinfo (issue 9.12)
    ("web", "https://app.example.org:99999/cb"),  # impossible port (issue 9.12)
    ("installed", "http://evil.example@127.0.0.1/"),  # userinfo on loopback (issue 9.12)
    ("installed", "https://app.example.org/cb"),  # installed apps use loopback (RFC 8252 §7.3)
]
#: Loopback redirects an installed app registered as ``http://127.0.0.1`` must not get.
LOOPBACK_TRICKS = [
    "http://evil.example@127.0.0.1:5555/",
    "http://evil.example:x@127.0.0.1:5555/",
    "http://127.0.0.1:abc/",
    "http://127.0.0.1:99999/",
    "http://127.0.0.1:80:evil.example/",
    "http://127.0.0.1.evil.example:5555/",
    "http://127.0.0.1:5555@evil.example/",
    "https://127.0.0.1:5555/",
    "http://127.0.0.1:5555/#frag",
]


def test_4_1_loopback_and_registered_redirect_uris_are_parsed_strictly(
    seed: Seeder, browser: Browser
) -> None:
    """RFC 9700 §4.1, RFC 8252 §7.3 (issue 9.12): an installed app's loopback redirect may vary
    only in its port; userinfo, a non-numeric, out-of-range or second port, a lookalike host is
    refused with a page. Registration refuses what exact matching cannot make safe (fragments,
    wildcards, http off loopback, userinfo, impossible ports) with ``invalid_redirect_uri``."""
    c = seed.client("installed")
    assert c.redirect_uris == ["http://127.0.0.1"]
    # Control: any port on the registered loopback address is accepted (RFC 8252 §7.3).
    ok = _authorize(browser, c.client_id, "http://127.0.0.1:5555/")
    assert ok.status_code == 302 and ok.headers["location"].startswith("/signin?"), ok.text[:300]
    problems = {}
    for uri in LOOPBACK_TRICKS:
        if problem := error_page_problem(_authorize(browser, c.client_id, uri), "invalid_request"):
            problems[uri] = problem
    # Control: a plain https URI registers.
    assert seed.client("web", redirect_uris=["https://app.example.org/cb"]).redirect_uris == [
        "https://app.example.org/cb"
    ]
    for client_type, uri in UNSAFE_REGISTRATIONS:
        try:
            seed.client(client_type, redirect_uris=[uri])
        except DomainError as err:
            if err.code != "invalid_redirect_uri":
                problems[f"register {uri}"] = f"refused with {err.code}"
        else:
            problems[f"register {uri}"] = "registered"
    assert not problems, "accepted:\n" + listing(problems)
