"""RFC 9700 §4.3 Credential Leakage via Browser History (and RFC 6819 §4.4.1.1, §4.4.2.2).

Whatever a browser keeps of the flow (URLs in history, cached pages) must be worthless: the code
in the redirect URL is short-lived and single-use, tokens never appear in a URL, and neither the
pages of the flow nor the token response may be cached.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from starlette.testclient import TestClient

from tests.security.support import MAIL, USER, code_for
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import auth_params, exchange
from tests.support.seed import Seeder


# SEC-7 OWASP A04:2021 Insecure Design: CWE-525: the flow's pages and the token response are never cached.
def test_4_3_history_holds_only_a_short_lived_single_use_code_and_nothing_is_cached(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §4.3.1: the code in the history entry expires within 10 minutes (RFC 6749 §4.1.2)
    and dies at first use; §4.3.2: the token response and the flow's pages are ``no-store``."""
    c = seed.client("web")
    seed.user(USER)
    _v, challenge = pkce_pair()
    signin = browser.authorize(auth_params(c, challenge, f"openid {MAIL}"))
    assert signin.status_code == 200 and signin.headers["cache-control"] == "no-store"
    started = int(time.time())
    code, verifier = code_for(browser, c, f"openid {MAIL}")
    with seed.db.unit_of_work() as s:
        expiries = list(s.execute(text("SELECT expires_at FROM authorization_codes")).scalars())
    assert len(expiries) == 1 and expiries[0] - started <= 600, expiries
    first = exchange(client, c, code, verifier)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store" and first.headers["pragma"] == "no-cache"
    # The URL an attacker reads from the history later is dead.
    replay = exchange(client, c, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text
    # The consent page is not stored either (a back button must not re-show a live form).
    _v, challenge = pkce_pair()
    again = browser.authorize(auth_params(c, challenge, f"openid {MAIL}", prompt="consent"))
    assert again.status_code == 200 and "/authorize/consent" in again.text
    assert again.headers["cache-control"] == "no-store"
