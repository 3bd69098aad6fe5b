"""A passkey or security key as the second step after the password (ACCT-3), over HTTP.

The password sign-in (web/pages/signin.py) begins the SECOND_STEP step and sends the browser to
/signin/verify?step=...; the passkey partial there asks /signin/passkey/options with that step
(the account's own keys, the challenge pinned on the step) and finishes with ``second: true``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from consentry.storage.tables import Organization, SessionAccount
from tests.conftest import ISSUER
from tests.support.accounts import code_claims, consented
from tests.support.browserless import Browser, pkce_pair, query_of
from tests.support.flows import PASSWORD, auth_params
from tests.support.matching import matched
from tests.support.passkey_http import csrf_on, enrolled, post_json, sign_in_with_password
from tests.support.webauthn_authenticator import Authenticator

EMAIL = "katherine@example.org"
STEP_RE = re.compile(r'name="step" value="([^"]+)"')


def _password(browser: Browser, email: str = EMAIL) -> tuple[str, str]:
    """The password, right: the browser lands on /signin/verify. Returns (step, csrf)."""
    done = sign_in_with_password(browser, email)
    where = urlsplit(done.headers["location"])
    assert where.path == "/signin/verify", done.headers["location"]
    step = query_of(done.headers["location"])["step"]
    page = browser.get(f"/signin/verify?step={step}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf, page.text[:1000]
    return step, csrf.group(1)


def _options(browser: Browser, csrf: str, step: str) -> dict[str, Any]:
    r = post_json(browser, "/signin/passkey/options", csrf, {"step": step})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _finish(browser: Browser, csrf: str, step: str, answer: Any) -> Any:
    return post_json(
        browser, "/signin/passkey/finish", csrf, {"step": step, "second": True, "credential": answer}
    )


def test_a_security_key_is_the_second_step_after_the_password(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    step, csrf = _password(browser)
    page = browser.get(f"/signin/verify?step={step}")
    assert "Use your passkey or security key" in page.text and f'data-step="{step}"' in page.text
    opt = _options(browser, csrf, step)
    assert opt["step"] == step and opt["second"] is True
    assert [c["id"] for c in opt["options"]["allowCredentials"]] == [auth.credentials[0].id]
    assert opt["options"]["userVerification"] == "discouraged"
    r = _finish(browser, csrf, step, auth.get(opt["options"], uv=False))  # presence is enough here
    assert r.status_code == 200, r.text
    assert r.json() == {"redirect": "/account"}
    assert browser.get("/account").status_code == 200
    with seed.db.unit_of_work() as db:
        assert "pwd hwk mfa" in set(db.scalars(select(SessionAccount.amr)))


def test_id_token_says_pwd_hwk_mfa(seed, browser, client, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    c = seed.client("web")
    verifier, challenge = pkce_pair()
    page = browser.sign_in(browser.authorize(auth_params(c, challenge, "openid")), EMAIL, PASSWORD)
    assert page.status_code == 200 and "/signin/verify" in str(page.url), page.text[:500]
    step = matched(STEP_RE, page.text)
    csrf = matched(r'data-csrf="([^"]+)"', page.text)
    opt = _options(browser, csrf, step)
    r = _finish(browser, csrf, step, auth.get(opt["options"]))
    back = consented(browser, browser.follow(browser.get(r.json()["redirect"])), ("openid",))
    claims = code_claims(client, c, back, verifier)
    assert claims["amr"] == ["pwd", "hwk", "mfa"] and claims["acr"] == "urn:consentry:acr:2"


def test_another_accounts_key_is_a_wrong_answer_counted_until_the_step_is_void(
    seed, app, browser, auth, settings
):  # ACCT-3
    from starlette.testclient import TestClient

    mallory = Authenticator(origin=ISSUER)
    with TestClient(app, base_url=ISSUER) as http:
        enrolled(seed, Browser(http, ISSUER), mallory, "mallory@example.org")
    enrolled(seed, browser, auth, EMAIL)
    step, csrf = _password(browser)
    limit = settings.second_step_attempts
    for left in range(limit - 1, 0, -1):
        opt = _options(browser, csrf, step)
        r = _finish(browser, csrf, step, mallory.get(opt["options"], credential=mallory.credentials[0]))
        body = r.json()
        assert (r.status_code, body["error"]) == (401, "passkey_unknown")
        assert body["error_description"].endswith(f"{left} {'try' if left == 1 else 'tries'} left.")
        assert "restart" not in body
    opt = _options(browser, csrf, step)
    last = _finish(browser, csrf, step, mallory.get(opt["options"], credential=mallory.credentials[0])).json()
    assert last["restart"] == "/signin" and "enter your password again" in last["error_description"]
    # The step is void: even the right key cannot finish it now.
    r = post_json(browser, "/signin/passkey/options", csrf, {"step": step})
    assert (r.status_code, r.json()["error"]) == (400, "step_expired")


def test_a_second_step_answer_is_accepted_once(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    step, csrf = _password(browser)
    answer = auth.get(_options(browser, csrf, step)["options"])
    assert _finish(browser, csrf, step, answer).status_code == 200
    csrf = csrf_on(browser, "/account/passkeys")  # signed in: a new session id, a new token
    again = _finish(browser, csrf, step, answer)
    assert (again.status_code, again.json()["error"]) == (400, "step_expired")


def test_finishing_before_asking_for_options_is_refused(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    step, csrf = _password(browser)
    r = _finish(browser, csrf, step, {"id": "x"})
    assert (r.status_code, r.json()["error"]) == (400, "passkey_expired")


def test_the_newest_options_are_the_only_ones_answered(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    step, csrf = _password(browser)
    first = _options(browser, csrf, step)
    _options(browser, csrf, step)  # a second click replaces the challenge
    r = _finish(browser, csrf, step, auth.get(first["options"]))
    body = r.json()
    assert (r.status_code, body["error"]) == (400, "passkey_invalid") and "challenge" in body[
        "error_description"
    ]


def test_an_account_without_passkeys_is_told_to_use_another_way(seed, browser):  # ACCT-3
    seed.user(EMAIL, org="strict.example")
    with seed.db.unit_of_work() as db:
        db.execute(update(Organization).values(require_2sv=True))
    step, csrf = _password(browser)
    r = post_json(browser, "/signin/passkey/options", csrf, {"step": step})
    assert (r.status_code, r.json()["error"]) == (400, "no_passkey")
