"""RFC 9700 §4.2 Credential Leakage via Referer Headers (and RFC 6819 §4.6.7).

The pages of the authorization flow must not leak their URL (flow handles, codes, hints) to other
sites through the Referer header, and the authorization response carries only the code: a token
in a URL would leak through Referer, history and logs.
"""

from __future__ import annotations

from tests.security.support import MAIL, USER, redirect_params, single
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import Seeder

#: Response parameters RFC 6749 §4.1.2 and RFC 9207 allow in a code response's query.
CODE_RESPONSE = {"code", "state", "iss"}


def test_4_2_sign_in_and_consent_pages_send_no_referrer_and_the_response_carries_only_the_code(
    seed: Seeder, browser: Browser
) -> None:
    """RFC 9700 §4.2.4: ``Referrer-Policy: no-referrer`` on the sign-in and consent pages (so a link
    or sub-resource on them never reveals their URL), and the redirect to the client carries the
    code, state and iss in the query: no access, refresh or ID token, nothing in a fragment."""
    c = seed.client("web")
    seed.user(USER)
    _verifier, challenge = pkce_pair()
    params = auth_params(c, challenge, f"openid email {MAIL}", access_type="offline", nonce="n-4.2")
    signin = browser.authorize(params)
    assert signin.status_code == 200 and 'action="/signin"' in signin.text
    consent = browser.sign_in(signin, USER, PASSWORD)
    assert consent.status_code == 200 and 'action="/authorize/consent"' in consent.text
    for name, page in (("sign-in", signin), ("consent", consent)):
        assert page.headers.get("referrer-policy") == "no-referrer", (name, dict(page.headers))
        # Nothing on the page is fetched from elsewhere, so no other origin even gets a request.
        assert "default-src 'self'" in page.headers["content-security-policy"], name
    back = browser.consent(consent, [MAIL])
    assert back.headers.get("referrer-policy") == "no-referrer"
    location = back.headers["location"]
    assert location.startswith(c.redirect_uris[0] + "?") and "#" not in location, location
    query = redirect_params(back)
    assert set(query) <= CODE_RESPONSE and "code" in query, query
    assert single(query, "state") == "xyz"
    for secret_name in ("access_token", "refresh_token", "id_token", "token", "client_secret"):
        assert secret_name not in location, location
