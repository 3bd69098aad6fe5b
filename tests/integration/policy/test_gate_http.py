"""The policy gate over HTTP, one test per reason code, on both engines (VERIFY-10, VERIFY-11,
LIMIT-6, SCOPE-4). The gate's rules themselves are table-tested in tests/unit/domain/policy."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from consentry.storage.tables import SecurityAssessment
from tests.conftest import ISSUER
from tests.integration.policy.helpers import grants, mails, project_row, set_project
from tests.support.browserless import FLOW_RE, SCREEN_RE, form_value, pkce_pair, query_of
from tests.support.flows import PASSWORD, auth_params, exchange, get_code

CAL = f"{ISSUER}/auth/calendar.readonly"  # sensitive
MAIL = f"{ISSUER}/auth/mail.readonly"  # restricted
DAY = 24 * 3600


def _start(browser, c, email, scope, **extra):
    """Authorize and sign in; the page (or redirect) the gate answers with."""
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, scope, **extra))
    if page.status_code == 200 and 'action="/signin"' in page.text:
        page = browser.sign_in(page, email, PASSWORD)
    return page


def test_undeclared_scope_is_invalid_scope_back_at_the_app(seed, browser):  # VERIFY-2
    c = seed.client("web", verified=False)
    seed.user("ann@example.org")
    set_project(seed, c, declared_scopes=[CAL])
    r = _start(browser, c, "ann@example.org", f"openid {MAIL}")
    q = query_of(r.headers["location"])
    assert q["error"] == "invalid_scope" and q["state"] == "xyz"
    assert "not declared" in q["error_description"]


def test_internal_app_refuses_outsiders_with_org_internal(seed, browser):  # VERIFY-10
    seed.user("boss@corp.example", org="corp.example")
    c = seed.client("web", owner="boss@corp.example", user_type="internal")
    seed.user("ann@example.org")
    seed.user("eve@corp.example", org="corp.example")
    page = _start(browser, c, "ann@example.org", f"openid {CAL}")
    assert page.status_code == 403 and "org_internal" in page.text and "corp.example" in page.text
    browser.http.cookies.clear()
    code, _ = get_code(browser, c, "eve@corp.example", f"openid {CAL}", consent=[CAL])
    assert code


def test_testing_app_admits_only_test_users_after_a_warning(seed, browser, client):  # VERIFY-10 VERIFY-11
    c = seed.client("web", status="testing", test_users=["tess@example.org"])
    seed.user("ann@example.org")
    seed.user("tess@example.org")
    page = _start(browser, c, "ann@example.org", f"openid {CAL}")
    assert page.status_code == 403 and "access_denied" in page.text and "test users" in page.text
    browser.http.cookies.clear()
    page = _start(browser, c, "tess@example.org", f"openid {CAL}", access_type="offline")
    assert page.status_code == 200 and 'name="screen" value="testing"' in page.text
    consent = browser.screen(page)
    assert consent.status_code == 200 and "/authorize/consent" in consent.text
    done = browser.consent(consent, [CAL])
    q = query_of(done.headers["location"])
    [grant] = grants(seed)
    # The grant itself lapses 7 days after consent, and the refresh token with it.
    assert grant.lapses_at is not None and abs(grant.lapses_at - grant.updated_at - 7 * DAY) <= 2
    _v = q  # the code is exchanged by tests/integration/test_token_lifecycle for the TTL


def test_testing_warning_back_grants_nothing(seed, browser):  # CONSENT-6 VERIFY-10
    c = seed.client("web", status="testing", test_users=["tess@example.org"])
    seed.user("tess@example.org")
    page = _start(browser, c, "tess@example.org", f"openid {CAL}")
    back = browser.screen(page, go_on=False)
    assert query_of(back.headers["location"])["error"] == "access_denied"
    assert grants(seed) == []


def test_testing_sign_in_only_grant_does_not_lapse(seed, browser):  # VERIFY-11
    c = seed.client("web", status="testing", test_users=["tess@example.org"])
    seed.user("tess@example.org")
    page = _start(browser, c, "tess@example.org", "openid email")
    consent = browser.screen(page)
    browser.consent(consent, [])
    [grant] = grants(seed)
    assert grant.lapses_at is None


def test_lapsed_assessment_refuses_restricted_scopes_and_tells_the_developer(seed, browser):  # SEC-5 VERIFY-9
    c = seed.client("web")
    seed.user("ann@example.org")
    pid = set_project(seed, c, developer_contacts=["dev@example.org"])
    with seed.db.unit_of_work() as s:
        letter = int((datetime.now(UTC) - timedelta(days=400)).timestamp())
        s.add(SecurityAssessment(project_id=pid, assessor="Lab", tier=2, letter_date=letter, scopes=[MAIL]))
    page = _start(browser, c, "ann@example.org", f"openid {MAIL}")
    assert page.status_code == 403 and "security assessment has lapsed" in page.text
    [mail] = mails(seed, "policy:assessment_lapsed")
    assert "dev@example.org" in mail.recipients
    # Sensitive scopes still work: only restricted data needs the assessment.
    browser.http.cookies.clear()
    code, _ = get_code(browser, c, "ann@example.org", f"openid {CAL}", consent=[CAL])
    assert code


def test_cancel_on_consent_grants_nothing(seed, browser):  # CONSENT-6
    c = seed.client("web")
    seed.user("ann@example.org")
    page = _start(browser, c, "ann@example.org", f"openid {CAL}")
    r = browser.consent(page, [CAL], allow=False)
    assert query_of(r.headers["location"])["error"] == "access_denied"
    assert grants(seed) == []


def test_refresh_is_refused_once_the_app_is_internal_and_the_user_outside(seed, browser, client):  # VERIFY-10
    c = seed.client("web")
    seed.user("ann@example.org")
    code, verifier = get_code(
        browser, c, "ann@example.org", f"openid {CAL}", consent=[CAL], access_type="offline"
    )
    refresh = exchange(client, c, code, verifier).json()["refresh_token"]
    seed.org("corp.example")
    with seed.db.unit_of_work() as s:
        from consentry.domain.accounts import service as accounts

        org = accounts.find_org(s, "corp.example")
        assert org is not None
        org_id = org.id
    set_project(seed, c, user_type="internal", org_id=org_id)
    r = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(c.client_id, c.client_secret),
    )
    # The grant no longer stands (RFC 6749 invalid_grant); the description says why.
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert "only for people in corp.example" in r.json()["error_description"]


def test_sign_in_and_chooser_name_the_app_the_user_continues_to(seed, browser):  # CONSENT-1
    c = seed.client("web")
    seed.user("ann@example.org")
    seed.user("ben@example.org")
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, f"openid {CAL}"))
    assert "to continue to <strong>Project" in page.text  # the sign-in page
    page = browser.sign_in(page, "ann@example.org", PASSWORD)
    r = browser.authorize(auth_params(c, challenge, f"openid {CAL}", prompt="select_account"))
    assert "Choose an account" in r.text and "to continue to <strong>Project" in r.text


def test_another_account_on_the_same_flow_meets_the_unverified_screen_itself(seed, browser):  # VERIFY-11
    c = seed.client("web", verified=False)
    pid = set_project(seed, c, declared_scopes=[CAL])
    seed.user("ann@example.org")
    seed.user("ben@example.org")
    page = _start(browser, c, "ann@example.org", f"openid {CAL}")
    consent = browser.screen(page)  # Ann goes past the screen and is counted
    assert "/authorize/consent" in consent.text
    # Ben signs in on the same paused request ("Use another account"): he passed nothing.
    flow = form_value(consent.text, FLOW_RE)
    signin = browser.follow(browser.get(f"{ISSUER}/signin?flow={flow}"))
    after = browser.sign_in(signin, "ben@example.org", PASSWORD)
    assert form_value(after.text, SCREEN_RE) == "unverified"
    assert project_row(seed, pid)["unverified_users"] == 1
    browser.screen(after)
    assert project_row(seed, pid)["unverified_users"] == 2


def test_a_sign_in_only_consent_never_stretches_a_testing_grant(seed, browser, client):  # VERIFY-11
    c = seed.client("web", status="testing", test_users=["tess@example.org"])
    seed.user("tess@example.org")
    page = _start(browser, c, "tess@example.org", f"openid {CAL}")
    browser.consent(browser.screen(page), [CAL])
    [grant] = grants(seed)
    with seed.db.unit_of_work() as s:
        from consentry.storage.tables import ConsentGrant

        row = s.get(ConsentGrant, grant.id)
        assert row is not None
        row.lapses_at = int(time.time()) + 3600  # an hour of the 7 days left
    verifier, challenge = pkce_pair()
    extra = {"prompt": "consent", "include_granted_scopes": "true", "access_type": "offline"}
    page = browser.authorize(auth_params(c, challenge, "openid email", **extra))
    done = browser.consent(browser.screen(page), [])
    tok = exchange(client, c, query_of(done.headers["location"])["code"], verifier).json()
    assert CAL in tok["scope"].split()
    with seed.db.unit_of_work() as s:
        from sqlalchemy import select

        from consentry.storage.tables import Token

        refresh_expires = s.scalars(
            select(Token.refresh_expires_at).where(Token.refresh_hash.is_not(None))
        ).all()
    assert refresh_expires and max(refresh_expires) <= int(time.time()) + 3600 + 5
