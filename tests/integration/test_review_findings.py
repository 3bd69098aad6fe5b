"""Issue 10 review findings, each proven on both engines."""

from __future__ import annotations

import asyncio
import base64
import json

from sqlalchemy import func, select, update

from consentry.domain.tokens.store import Found, Lookup
from consentry.errors import DomainError
from consentry.storage.tables import Client, Interaction
from tests.conftest import ISSUER
from tests.support.browserless import pkce_pair
from tests.support.flows import PASSWORD, auth_params, tokens_for
from tests.support.loops import own_loop

MAIL = f"{ISSUER}/auth/mail.readonly"


def _consent_page(seed, browser, c, email):
    _verifier, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, f"openid {MAIL}"))
    page = browser.sign_in(page, email, PASSWORD)
    assert "/authorize/consent" in page.text
    return page


def test_consent_after_the_client_was_disabled_is_a_page_not_a_crash(seed, browser):
    # ISSUE-10 review 1: the refusal used to await the database inside the exchange (500).
    c = seed.client("web")
    seed.user("d@example.org")
    page = _consent_page(seed, browser, c, "d@example.org")
    with seed.db.unit_of_work() as s:
        s.execute(update(Client).where(Client.id == c.pk).values(disabled=True))
    r = browser.consent(page, [MAIL])
    assert r.status_code == 400 and "invalid_client" in r.text
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 0  # the flow is finished


def test_the_same_consent_sent_twice_issues_one_code(seed, browser):
    # ISSUE-10 review 4: the second POST finds the flow taken and gets the expired page.
    c = seed.client("web")
    seed.user("t@example.org")
    page = _consent_page(seed, browser, c, "t@example.org")
    first = browser.consent(page, [MAIL])
    assert first.status_code == 303 and "code=" in first.headers["location"]
    second = browser.consent(page, [MAIL])
    assert second.status_code == 400 and "expired" in second.text


def test_a_nonce_longer_than_its_column_is_refused_alone(seed, browser, client, app):
    # ISSUE-10 review 3: on PostgreSQL the batched insert failed for every request of the batch.
    c = seed.client("web")
    seed.user("n@example.org")
    tokens_for(browser, client, c, "n@example.org", "openid")  # signed in and consented
    _verifier, challenge = pkce_pair()
    r = browser.get(ISSUER + "/authorize", params=auth_params(c, challenge, "openid", nonce="n" * 600))
    assert r.status_code == 400 and "nonce longer than 512 characters" in r.text


def test_an_assertion_naming_an_unencodable_client_fails_only_itself(seed, app, client):
    # ISSUE-10 review 2: a lone surrogate in an unverified sub failed its whole read batch (PostgreSQL).
    svc = seed.client("service")
    claims = base64.urlsafe_b64encode(json.dumps({"sub": "\ud800"}).encode()).decode().rstrip("=")
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": f"e30.{claims}.sig",
    }
    refused = client.post("/token", data=form)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    store = app.state.runtime.token_store

    async def both() -> list[Found | BaseException]:
        return await asyncio.gather(
            store.lookup(Lookup(client_id="\ud800")),
            store.lookup(Lookup(client_id=svc.client_id)),
            return_exceptions=True,
        )

    bad, good = own_loop(both)
    assert isinstance(bad, DomainError)
    assert isinstance(good, Found) and good.client is not None and good.client.client_id == svc.client_id


def test_a_disabled_apps_tokens_are_dead_at_userinfo_and_introspection(seed, browser, client):
    # ISSUE-10 review 6: as /tokeninfo and the data APIs already did.
    c = seed.client("web")
    rs = seed.client("service", can_introspect=True, project="Resource server")
    seed.user("x@example.org")
    tok = tokens_for(browser, client, c, "x@example.org", "openid email")
    bearer = {"Authorization": f"Bearer {tok['access_token']}"}
    asked = {"token": tok["access_token"]}
    assert client.get("/userinfo", headers=bearer).status_code == 200
    assert client.post("/introspect", data=asked, auth=(rs.client_id, rs.client_secret)).json()["active"]
    with seed.db.unit_of_work() as s:
        s.execute(update(Client).where(Client.id == c.pk).values(disabled=True))
    r = client.get("/userinfo", headers=bearer)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    gone = client.post("/introspect", data=asked, auth=(rs.client_id, rs.client_secret))
    assert gone.json() == {"active": False}
