"""/authorize with redirect URIs that a lenient parser reads as loopback (ISSUE-9.12, RFC 8252 §7.3, §8.3).

``urllib.parse.urlsplit`` reads ``http://evil.com@127.0.0.1:5555/`` as host 127.0.0.1, so the
loopback any-port rule matched it and the code went to whatever the browser made of it; ports
``:abc``, ``:99999`` and ``:80:evil.com`` passed because ``.port`` was never read.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from consentry.errors import DomainError
from tests.conftest import ISSUER
from tests.support.browserless import pkce_pair, query_of
from tests.support.flows import PASSWORD, auth_params

MAIL = f"{ISSUER}/auth/mail.readonly"
EVIL = "http://evil.com@127.0.0.1:5555/"
BAD_PORTS = [
    "http://127.0.0.1:abc/",
    "http://127.0.0.1:99999/",
    "http://127.0.0.1:80:evil.com/",
    "http://127.0.0.1:0/",
]


def _authorize(browser, params):
    return browser.get(ISSUER + "/authorize?" + urlencode(params))


def _assert_refused_page(r, uri: str) -> None:
    """An HTML error page: no redirect (so no code, no error sent to the attacker's URI)."""
    assert r.status_code == 400 and "location" not in r.headers, (r.status_code, r.headers)
    assert "text/html" in r.headers["content-type"]
    assert "Error code: <code>invalid_request</code>" in r.text
    assert f"Redirect URI {uri} is not supported by client." in r.text
    assert "code=" not in r.text


def test_userinfo_loopback_uri_gets_an_error_page_and_no_code(seed, browser) -> None:  # ISSUE-9.12
    c = seed.client("installed")
    assert c.redirect_uris == ["http://127.0.0.1"]
    seed.user("u@example.org")
    _v, ch = pkce_pair()
    # The real loopback URI reaches consent, which names the parsed host and port.
    page = browser.authorize(auth_params(c, ch, f"openid {MAIL}", redirect_uri="http://127.0.0.1:5555/"))
    page = browser.sign_in(page, "u@example.org", PASSWORD)
    assert page.status_code == 200 and 'class="redirect-host">127.0.0.1:5555<' in page.text
    q = query_of(browser.consent(page, [MAIL]).headers["location"])
    assert "code" in q
    # Signed in and consented: prompt=none would hand out a code at once, but not to evil.com@.
    r = _authorize(browser, auth_params(c, ch, f"openid {MAIL}", redirect_uri=EVIL, prompt="none"))
    _assert_refused_page(r, EVIL)
    r = _authorize(browser, auth_params(c, ch, f"openid {MAIL}", redirect_uri=EVIL))
    _assert_refused_page(r, EVIL)


@pytest.mark.parametrize("uri", BAD_PORTS)
def test_bad_ports_get_an_error_page(seed, browser, uri: str) -> None:  # ISSUE-9.12
    c = seed.client("installed")
    seed.user("u@example.org")
    _v, ch = pkce_pair()
    browser.login_and_consent(auth_params(c, ch, "openid"), "u@example.org", PASSWORD)
    _assert_refused_page(
        _authorize(browser, auth_params(c, ch, "openid", redirect_uri=uri, prompt="none")), uri
    )


def test_picker_refuses_the_userinfo_uri_too(seed, browser) -> None:  # ISSUE-9.12: one matcher everywhere
    c = seed.client("installed")
    r = browser.get(f"{ISSUER}/picker?" + urlencode({"client_id": c.client_id, "redirect_uri": EVIL}))
    assert r.status_code == 400 and "location" not in r.headers
    assert "did not register that address" in r.text


@pytest.mark.parametrize(
    ("client_type", "uri", "why"),
    [
        ("installed", "http://localhost/cb", "127.0.0.1 or [::1] (RFC 8252 §7.3, §8.3)"),  # RFC 8252 §8.3
        ("installed", "http://localhost:8080", "127.0.0.1 or [::1] (RFC 8252 §7.3, §8.3)"),
        ("installed", EVIL, "user information"),
        ("web", "https://evil.com@app.example.org/cb", "user information"),
        ("web", "https://app.example.org:443:evil.com/cb", "port"),
        ("web", "https://app.example.org:99999/cb", "port"),
    ],
)
def test_registration_refuses_userinfo_bad_ports_and_localhost(seed, client_type, uri, why) -> None:
    """ISSUE-9.12: the same parser guards registration, so no such URI is ever stored."""
    with pytest.raises(DomainError) as err:
        seed.client(client_type, redirect_uris=[uri])
    assert err.value.code == "invalid_redirect_uri" and why in err.value.message, err.value.message
