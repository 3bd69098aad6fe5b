"""Cross-site scripting through names and reflected parameters (CWE-79; RFC 6819 §4.2.1 counts
the pages of the authorization server among what an attacker targets).

A client's name, its project's name, a login hint and a user code are chosen by whoever registers
the client or crafts the link. Every page renders them escaped (Jinja2 autoescape), and CSP allows
no inline script besides.
"""

from __future__ import annotations

from urllib.parse import urlencode

from tests.conftest import ISSUER
from tests.security.support import MAIL, USER
from tests.support.browserless import CSRF_RE, Browser, form_value, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import Seeder

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
]


def _no_raw_payload(html: str, where: str) -> None:
    for raw in ("<script>alert", "<img src=x", "<svg/onload", "onerror=alert(1)>"):
        assert raw not in html, f"{where}: unescaped {raw!r}"


# SEC-7 OWASP A03:2021 Injection: CWE-79: names and reflected parameters are escaped on every page.
def test_cwe_79_names_and_reflected_parameters_are_escaped(seed: Seeder, browser: Browser) -> None:
    """CWE-79: the consent page shows the hostile client and project names escaped
    (``&lt;script&gt;``), the sign-in page escapes a hostile ``login_hint``, the device page a
    hostile ``user_code``; and CSP forbids inline script everywhere."""
    c = seed.client("web", name=PAYLOADS[0] + PAYLOADS[1], project=PAYLOADS[2])
    seed.user(USER)
    _v, challenge = pkce_pair()
    hint = '"><script>alert("hint")</script>'
    signin = browser.authorize(auth_params(c, challenge, f"openid {MAIL}", login_hint=hint))
    assert signin.status_code == 200 and 'action="/signin"' in signin.text
    _no_raw_payload(signin.text, "sign-in page")
    assert '<script>alert("hint")' not in signin.text
    assert "&lt;script&gt;alert(" in signin.text or "&#34;&gt;&lt;script&gt;" in signin.text
    consent = browser.sign_in(signin, USER, PASSWORD)
    assert consent.status_code == 200 and "/authorize/consent" in consent.text
    _no_raw_payload(consent.text, "consent page")
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in consent.text, consent.text[:2000]
    assert "script-src 'self'" in consent.headers["content-security-policy"]
    device_page = browser.get(ISSUER + "/device?" + urlencode({"user_code": PAYLOADS[1]}))
    assert device_page.status_code == 200
    _no_raw_payload(device_page.text, "device page")
    looked_up = browser.http.post(
        ISSUER + "/device",
        data={"csrf": form_value(device_page.text, CSRF_RE), "user_code": PAYLOADS[0], "step": "lookup"},
    )
    assert looked_up.status_code == 400 and "wrong or has expired" in looked_up.text
    _no_raw_payload(looked_up.text, "device lookup")
    for page in (signin, consent, device_page, looked_up):
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
