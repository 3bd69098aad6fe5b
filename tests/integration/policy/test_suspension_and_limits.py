"""Suspension (LIMIT-6, DATA-3), the live refresh-token limit, and consent receipts (CONSENT-8),
over HTTP on both engines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest

from consentry.domain.actor import Actor
from consentry.domain.projects.service import Projects
from consentry.domain.projects.suspension import Suspension
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import Conflict
from consentry.settings import Settings
from consentry.storage.repositories.console import SqlConsole
from tests.conftest import ISSUER
from tests.integration.policy.helpers import mails, receipts
from tests.support.browserless import DISCLOSURE_RE, form_value, pkce_pair, query_of
from tests.support.flows import PASSWORD, auth_params, exchange, get_code
from tests.support.seed import SeededClient, Seeder

CAL = f"{ISSUER}/auth/calendar.readonly"
MAIL = f"{ISSUER}/auth/mail.readonly"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"refresh_tokens_per_client": 2})


def _suspension(seed: Seeder) -> Iterator[Suspension]:
    with seed.db.unit_of_work() as s:
        yield Suspension(Projects(SqlConsole(s, ISSUER), Actor.cli(), Catalogue(ISSUER)))


def _refresh(client, c: SeededClient, token: str):
    data = {"grant_type": "refresh_token", "refresh_token": token}
    return client.post("/token", data=data, auth=(c.client_id, c.client_secret))


def test_suspension_cuts_every_token_and_refuses_every_request(seed, browser, client):  # LIMIT-6 DATA-3
    c = seed.client("web", project="Spammy")
    svc = seed.client("service", project="Spammy")
    seed.user("ann@example.org")
    code, verifier = get_code(
        browser, c, "ann@example.org", f"openid {CAL}", consent=[CAL], access_type="offline"
    )
    tok = exchange(client, c, code, verifier).json()
    bearer = {"Authorization": f"Bearer {tok['access_token']}"}
    assert client.get("/data/v1/calendar/events", headers=bearer).status_code == 200
    assert (
        client.post(
            "/token", data={"grant_type": "client_credentials"}, auth=(svc.client_id, svc.client_secret)
        ).status_code
        == 200
    )

    for sv in _suspension(seed):
        _project, cut = sv.suspend("Spammy", 'sends spam to its users\' contacts (Verstoß, "Limited Use")')
        assert cut.tokens >= 2
        with pytest.raises(Conflict):
            sv.suspend("Spammy", "again")

    assert client.get("/data/v1/calendar/events", headers=bearer).status_code == 401
    assert _refresh(client, c, tok["refresh_token"]).json()["error"] == "invalid_grant"
    cc = client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(svc.client_id, svc.client_secret)
    )
    assert cc.status_code == 400 and cc.json()["error"] == "unauthorized_client"
    # The operator's words reach the app, made safe for RFC 6749's character set.
    assert "sends spam" in cc.json()["error_description"] and "Versto?" in cc.json()["error_description"]
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, f"openid {CAL}"))
    assert page.status_code == 403 and "sends spam to its users" in page.text and "app_suspended" in page.text
    assert mails(seed, "project:suspend")

    for sv in _suspension(seed):
        sv.reinstate("Spammy")
    # Reinstating brings nothing back: the old refresh token stays dead, consent is asked again.
    assert _refresh(client, c, tok["refresh_token"]).json()["error"] == "invalid_grant"
    cc = client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(svc.client_id, svc.client_secret)
    )
    assert cc.status_code == 200, cc.text  # no process keeps answering from a stale snapshot
    page = browser.authorize(auth_params(c, challenge, f"openid {CAL}"))
    assert page.status_code == 200 and "/authorize/consent" in page.text  # never silently re-granted
    done = browser.consent(page, [CAL])
    assert "code" in query_of(done.headers["location"])


def test_past_the_limit_the_oldest_refresh_token_is_revoked(seed, browser, client):  # AUTH2-1
    c = seed.client("web")
    other = seed.client("web")
    seed.user("ann@example.org")
    refresh = []
    for n in range(3):
        code, verifier = get_code(
            browser, c, "ann@example.org", f"openid {CAL}", consent=[CAL], access_type="offline"
        )
        refresh.append(exchange(client, c, code, verifier).json()["refresh_token"])
    code, verifier = get_code(
        browser, other, "ann@example.org", f"openid {CAL}", consent=[CAL], access_type="offline"
    )
    other_refresh = exchange(client, other, code, verifier).json()["refresh_token"]
    # The limit (2 here, 100 by default) counts per user and client: the first of three is gone.
    assert _refresh(client, c, refresh[0]).json()["error"] == "invalid_grant"
    rotated = _refresh(client, c, refresh[2])
    assert rotated.status_code == 200
    # Rotation is not a new grant: it never pushes out the other live token.
    assert _refresh(client, c, refresh[1]).status_code == 200
    assert _refresh(client, other, other_refresh).status_code == 200


def test_every_consent_decision_leaves_a_receipt(seed, browser, client):  # CONSENT-8
    c = seed.client("web")
    seed.user("ann@example.org")
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, f"openid {CAL} {MAIL}"))
    page = browser.sign_in(page, "ann@example.org", PASSWORD)
    digest = form_value(page.text, DISCLOSURE_RE)
    done = browser.consent(page, [CAL])
    assert "code" in query_of(done.headers["location"])
    [allow] = receipts(seed)
    assert (allow.decision, allow.protocol) == ("allow", "oauth2")
    assert allow.granted == ["openid", CAL] and allow.denied == [MAIL]
    assert allow.disclosure_hash == digest and allow.client_id == c.client_id
    canonical = json.dumps(allow.disclosure, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == digest  # the content is what was hashed

    page = browser.authorize(auth_params(c, challenge, f"openid {MAIL}", prompt="consent"))
    deny = browser.consent(page, [MAIL], allow=False)
    assert query_of(deny.headers["location"])["error"] == "access_denied"
    last = receipts(seed)[-1]
    assert (last.decision, last.granted, last.denied) == ("deny", [], [MAIL])


def test_a_forged_or_stale_disclosure_is_shown_again_not_recorded(seed, browser):  # CONSENT-5 CONSENT-8
    c = seed.client("web")
    seed.user("ann@example.org")
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, f"openid {CAL}"))
    page = browser.sign_in(page, "ann@example.org", PASSWORD)
    forged = page.text.replace(form_value(page.text, DISCLOSURE_RE), "0" * 64)
    again = browser.consent(type(page)(200, text=forged, request=page.request), [CAL])
    assert again.status_code == 200 and "/authorize/consent" in again.text
    assert receipts(seed) == []
    done = browser.consent(again, [CAL])
    assert "code" in query_of(done.headers["location"])
