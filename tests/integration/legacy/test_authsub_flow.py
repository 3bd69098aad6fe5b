"""AuthSub end to end over HTTP (AUTH3-1..4, AUTH3-6, AUTH3-7), on SQLite and PostgreSQL.

The request URL is built the way gdata-python v1 and v2 built it, the header is sent quoted and
unquoted as the client libraries sent it, and the answers are parsed the way they parsed them.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select, update

from consentry.domain.consent import access
from consentry.domain.tokens.store import Outcome
from consentry.storage.tables import Client, ConsentGrant, LegacyRequest, Token, User
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.support.authsub import (
    approve_all,
    decide,
    go_past_screens,
    lines,
    open_request,
    quoted,
    registered_app,
    token_from,
    unquoted,
    v1_url,
    v2_url,
)
from tests.support.races import raced_by_a_twin

ADA = "ada@example.org"
CAL_FEED = "http://www.google.com/calendar/feeds/"
CAL = f"{ISSUER}/auth/calendar"
NEXT = "https://calgulp.example.com/showcalendar.html?view=week&lang=en"
EVENTS = "/data/v1/calendar/events"


def _single_use(browser, seed, url: str = "", scopes: tuple[str, ...] = (CAL,)) -> str:
    back = approve_all(browser, url or v1_url(ISSUER, NEXT, CAL_FEED), ADA, list(scopes))
    assert back.status_code in (302, 303), back.text[:2000]
    return token_from(back.headers["location"])


def _session(client, single: str) -> str:
    r = client.get("/accounts/AuthSubSessionToken", headers={"authorization": unquoted(single)})
    assert r.status_code == 200, r.text
    return lines(r.text)["Token"]


def test_registered_app_journey_request_to_revoke(seed, client, browser) -> None:
    # AUTH3-1..4, AUTH3-7: gdata v2's request URL, the registered app shown by name
    seed.user(ADA)
    registered_app(seed)
    page = open_request(browser, v2_url(ISSUER, NEXT, [CAL_FEED]), ADA)
    assert page.status_code == 200 and "CalGulp" in page.text
    assert "cannot confirm this app" not in page.text  # registered: its own name, no warning
    back = decide(browser, page, [CAL])
    assert back.status_code == 303
    location = back.headers["location"]
    assert location.startswith(
        "https://calgulp.example.com/showcalendar.html?view=week&lang=en&auth_sub_scopes="
    )
    query = parse_qs(urlsplit(location).query)
    assert query["view"] == ["week"] and query["lang"] == ["en"] and query["auth_sub_scopes"] == [CAL_FEED]
    single = token_from(location)

    # AUTH3-2: upgraded with the unquoted header gdata-python sends; the documented body
    upgrade = client.get("/accounts/AuthSubSessionToken", headers={"authorization": unquoted(single)})
    assert upgrade.status_code == 200 and upgrade.headers["content-type"].startswith("text/plain")
    assert re.fullmatch(r"Token=[A-Za-z0-9_-]+\nExpiration=\d{8}T\d{6}Z", upgrade.text)
    session = lines(upgrade.text)["Token"]
    assert "deprecation" in upgrade.headers and "sunset" in upgrade.headers

    # AUTH3-3: TokenInfo
    info = client.get("/accounts/AuthSubTokenInfo", headers={"authorization": quoted(session)})
    assert info.status_code == 200
    assert info.text == f"Target=calgulp.example.com\nScope={CAL}\nSecure=false"

    # AUTH3-7: a data API call, quoted and unquoted
    for header in (quoted(session), unquoted(session)):
        assert client.get(EVENTS, headers={"authorization": header}).status_code == 200
    # Not a Bearer token, and not usable at OAuth 2.0 endpoints
    assert client.get(EVENTS, headers={"authorization": f"Bearer {session}"}).status_code == 401

    # AUTH3-3: revoke; then 401 at the data API, 403 at the token endpoints
    revoked = client.get("/accounts/AuthSubRevokeToken", headers={"authorization": quoted(session)})
    assert revoked.status_code == 200 and revoked.text == ""
    assert client.get(EVENTS, headers={"authorization": quoted(session)}).status_code == 401
    after = client.get("/accounts/AuthSubTokenInfo", headers={"authorization": quoted(session)})
    assert after.status_code == 403 and after.text.startswith("Token revoked")
    again = client.get("/accounts/AuthSubRevokeToken", headers={"authorization": quoted(session)})
    assert again.status_code == 403 and again.headers["content-type"].startswith("text/plain")


def test_the_single_use_token_is_single_use(seed, client, browser) -> None:
    # AUTH3-2: used twice, refused the second time
    seed.user(ADA)
    registered_app(seed)
    single = _single_use(browser, seed)
    assert _session(client, single)
    second = client.get("/accounts/AuthSubSessionToken", headers={"authorization": quoted(single)})
    assert second.status_code == 401 and "already used" in second.text
    assert second.headers["www-authenticate"].startswith("AuthSub")
    # A single-use token is not a data API credential once used, nor a session token
    assert client.get(EVENTS, headers={"authorization": quoted(single)}).status_code == 401


def test_token_info_uses_a_single_use_token_up(seed, client, browser) -> None:
    # AUTH3-3 (the GData Ruby client's note): TokenInfo spends a single-use token
    seed.user(ADA)
    registered_app(seed)
    single = _single_use(browser, seed)
    info = client.get("/accounts/AuthSubTokenInfo", headers={"authorization": quoted(single)})
    assert info.status_code == 200 and lines(info.text) == {
        "Target": "calgulp.example.com",
        "Scope": CAL,
        "Secure": "false",
    }
    upgrade = client.get("/accounts/AuthSubSessionToken", headers={"authorization": quoted(single)})
    assert upgrade.status_code == 401


def test_session_0_token_is_not_upgraded_but_reads_once(seed, client, browser) -> None:
    # AUTH3-2: session=0 asks for a token that never becomes a session token
    seed.user(ADA)
    registered_app(seed)
    single = _single_use(browser, seed, v1_url(ISSUER, NEXT, CAL_FEED, session=False))
    refused = client.get("/accounts/AuthSubSessionToken", headers={"authorization": quoted(single)})
    assert refused.status_code == 403 and "session=0" in refused.text
    assert client.get(EVENTS, headers={"authorization": quoted(single)}).status_code == 200
    assert client.get(EVENTS, headers={"authorization": quoted(single)}).status_code == 401


def test_a_single_use_token_can_be_revoked(seed, client, browser) -> None:
    # AUTH3-3: RevokeToken takes either kind
    seed.user(ADA)
    registered_app(seed)
    single = _single_use(browser, seed)
    assert (
        client.get("/accounts/AuthSubRevokeToken", headers={"authorization": quoted(single)}).status_code
        == 200
    )
    assert (
        client.get("/accounts/AuthSubSessionToken", headers={"authorization": quoted(single)}).status_code
        == 401
    )


def test_unregistered_app_is_shown_by_its_calling_url_with_a_warning(seed, client, browser) -> None:
    # AUTH3-4: no registration for this host: its address, a warning, the unverified-app screen
    seed.user(ADA)
    url = v1_url(ISSUER, "http://unknown-site.example:8080/back?x=1", CAL_FEED)
    page = open_request(browser, url, ADA)
    assert page.status_code == 200
    assert "unknown-site.example:8080" in page.text
    assert (
        "cannot confirm this app&#39;s identity" in page.text
        or "cannot confirm this app's identity" in page.text
    )
    assert 'name="step" value="screen"' in page.text  # calendar is sensitive; nobody verified the app
    consent = go_past_screens(browser, page)
    assert "unknown-site.example:8080" in consent.text and "identity" in consent.text
    back = decide(browser, consent, [CAL])
    assert back.headers["location"].startswith("http://unknown-site.example:8080/back?x=1&token=")
    session = _session(client, token_from(back.headers["location"]))
    info = client.get("/accounts/AuthSubTokenInfo", headers={"authorization": quoted(session)})
    assert lines(info.text)["Target"] == "unknown-site.example:8080"


def test_a_registered_domain_does_not_cover_its_sub_domains(seed, browser) -> None:
    # AUTH3-4: another host under the domain cannot borrow the registered app's name
    seed.user(ADA)
    registered_app(seed, "calgulp.example.com")
    page = open_request(browser, v1_url(ISSUER, "https://evil.calgulp.example.com/cb", CAL_FEED), ADA)
    assert "evil.calgulp.example.com" in page.text and "CalGulp" not in page.text


def test_unknown_scope_gets_a_page_naming_it(seed, browser) -> None:
    # AUTH3-1: a scope this server does not map is named, nothing is asked
    seed.user(ADA)
    registered_app(seed)
    page = open_request(browser, v1_url(ISSUER, NEXT, f"{CAL_FEED} http://www.google.com/m8/feeds/"), ADA)
    assert page.status_code == 400
    assert "http://www.google.com/m8/feeds/" in page.text and "invalid_scope" in page.text
    assert 'name="step"' not in page.text


def test_deny_stays_on_our_page_and_stores_nothing(seed, browser) -> None:
    # AUTH3-1: on deny the user stays on a platform page; the app gets no redirect
    seed.user(ADA)
    registered_app(seed)
    page = open_request(browser, v1_url(ISSUER, NEXT, CAL_FEED), ADA)
    denied = decide(browser, page, [], allow=False)
    assert denied.status_code == 200 and "You denied access" in denied.text
    assert 'href="https://calgulp.example.com/"' in denied.text
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(LegacyRequest)) == 0


def test_nothing_is_stored_for_a_visitor_who_does_not_sign_in(seed, browser) -> None:
    # AUTH3-1: the request travels in the page, not in the database
    registered_app(seed)
    r = browser.get(v1_url(ISSUER, NEXT, CAL_FEED))
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=")
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(LegacyRequest)) == 0


def test_bad_requests_get_a_page_not_a_crash(seed, browser) -> None:
    # AUTH3-1: next must be an absolute http(s) URL
    for url in (
        f"{ISSUER}/accounts/AuthSubRequest?scope={CAL_FEED}",
        f"{ISSUER}/accounts/AuthSubRequest?next=/relative&scope={CAL_FEED}",
        f"{ISSUER}/accounts/AuthSubRequest?next=javascript:alert(1)&scope={CAL_FEED}",
        f"{ISSUER}/accounts/AuthSubRequest?next=https://a.example/&scope={CAL_FEED}&secure=2",
        f"{ISSUER}/accounts/AuthSubRequest?next=https://a.example/",
    ):
        r = browser.get(url)
        assert r.status_code == 400 and "text/html" in r.headers["content-type"], url


def test_eleventh_session_token_revokes_the_oldest(seed, client, browser) -> None:
    # AUTH3-6: at most ten live session tokens per user per app
    seed.user(ADA)
    registered_app(seed)
    sessions = [_session(client, _single_use(browser, seed)) for _ in range(11)]
    oldest, *rest = sessions
    assert client.get(EVENTS, headers={"authorization": quoted(oldest)}).status_code == 401
    for s in (rest[0], rest[-1]):
        assert client.get(EVENTS, headers={"authorization": quoted(s)}).status_code == 200
    with seed.db.unit_of_work() as db:
        live = db.scalar(
            select(func.count())
            .select_from(Token)
            .where(Token.grant_type == "legacy:authsub", Token.revoked_at.is_(None))
        )
    assert live == 10


def test_missing_and_malformed_headers_are_plain_text_401(seed, client) -> None:
    # AUTH3-7: a clear message, never a 500
    for path in (
        "/accounts/AuthSubSessionToken",
        "/accounts/AuthSubTokenInfo",
        "/accounts/AuthSubRevokeToken",
    ):
        for headers in ({}, {"authorization": "Bearer x"}, {"authorization": 'AuthSub token="x'}):
            r = client.get(path, headers=headers)
            assert r.status_code == 401, (path, headers, r.text)
            assert r.headers["content-type"].startswith("text/plain") and r.text.startswith("Token invalid")
        unknown = client.get(path, headers={"authorization": quoted("no-such-token")})
        assert unknown.status_code == (403 if path.endswith("RevokeToken") else 401)
        assert "Invalid AuthSub token" in unknown.text


def test_remove_access_takes_back_session_and_pending_single_use_tokens(seed, client, browser) -> None:
    # AUTH3-3, AUTH0-3: the account page's "Remove access" ends AuthSub tokens too, and a
    # single-use token still in flight can no longer be upgraded
    seed.user(ADA)
    app = registered_app(seed)
    session = _session(client, _single_use(browser, seed))
    pending = _single_use(browser, seed)
    with seed.db.unit_of_work() as db:
        user_id = db.scalar(select(User.id).where(User.email == ADA))
        project_id = db.scalar(select(Client.project_id).where(Client.id == app.pk))
        access.revoke(db, user_id=user_id, project_id=project_id, actor=ADA, issuer=ISSUER)
    assert client.get(EVENTS, headers={"authorization": quoted(session)}).status_code == 401
    upgrade = client.get("/accounts/AuthSubSessionToken", headers={"authorization": quoted(pending)})
    # Remove access used the pending single-use token up: it is no token any more.
    assert upgrade.status_code == 401 and upgrade.text.startswith("Token invalid")
    assert client.get(EVENTS, headers={"authorization": quoted(pending)}).status_code == 401


def test_a_single_use_token_whose_grant_lapsed_is_used_up_not_upgraded(seed, client, browser) -> None:
    # AUTH3-2 (ISSUE-10: used up through the token store): the user's grant lapsed while
    # the single-use token waited, so the upgrade says so (403) and the token is spent all the same.
    seed.user(ADA)
    app = registered_app(seed)
    single = _single_use(browser, seed)
    with seed.db.unit_of_work() as db:
        user_id = db.scalar(select(User.id).where(User.email == ADA))
        db.execute(
            update(ConsentGrant)
            .where(ConsentGrant.user_id == user_id, ConsentGrant.client_pk == app.pk)
            .values(lapses_at=now())
        )
    refused = client.get("/accounts/AuthSubSessionToken", headers={"authorization": quoted(single)})
    assert refused.status_code == 403
    assert refused.text.strip() == "Token revoked - the user removed this app's access."
    again = client.get("/accounts/AuthSubSessionToken", headers={"authorization": quoted(single)})
    assert again.status_code == 401 and again.text.startswith("Token invalid")
    with seed.db.unit_of_work() as db:
        assert db.scalar(select(func.count()).select_from(Token).where(Token.user_id == user_id)) == 0


def test_of_two_revocations_racing_one_gets_200_and_the_other_403(seed, client, browser) -> None:
    # AUTH3-3 (ISSUE-10: the revocation is a claim of the token store): a twin request revoked the
    # token between this one's check and its commit, so this one revoked nothing and says so.
    seed.user(ADA)
    registered_app(seed)
    session = _session(client, _single_use(browser, seed))
    with raced_by_a_twin(client.app) as outcomes:
        lost = client.get("/accounts/AuthSubRevokeToken", headers={"authorization": quoted(session)})
    assert outcomes == [Outcome.COMMITTED, Outcome.ALREADY_REVOKED]
    assert lost.status_code == 403
    assert lost.text.strip() == "Token revoked - this AuthSub token was already revoked."
    assert client.get(EVENTS, headers={"authorization": quoted(session)}).status_code == 401
