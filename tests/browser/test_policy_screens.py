"""The policy gate's screens in a real Chromium: the unverified-app screen and its user cap, the
testing warning, granular consent after them, and what Cancel and Back grant (nothing).

The HTTP versions of these flows are tests/integration/policy/test_gate_http.py; here a person
clicks through the real pages on a live server. The cap tests run their own server (the cap is a
deployment setting, 2 here); the others use the shared ``live_server``. Screenshots at 1280 px
and 390 px go to ``$CONSENTRY_SCREENSHOTS`` when set (named ``policy-*.png``), else the test's
temporary directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest

from tests.browser.console_helpers import screenshot_dir
from tests.browser.helpers import codes_issued, exchange_code, path_of, query_of
from tests.browser.policy_helpers import (
    CAL_TITLE,
    CAP_REFUSAL,
    MAIL_TITLE,
    allow,
    checkboxes,
    go_past_unverified,
    grants,
    logo_png,
    mails,
    on_consent_page,
    on_unverified_screen,
    open_advanced,
    policy_server,
    profile,
    scopes,
    set_project,
    shoot,
    start,
    unexpected_errors,
    unverified_app,
    unverified_count,
)

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

    from tests.browser.conftest import AppCallback
    from tests.support.live import LiveServer
    from tests.support.seed import Seeder

# One engine is enough here: the gate's storage runs on both engines in tests/integration/policy.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

APP = "Calendar Buddy"
DEV = "dev@buddy.example"
CAP_MAIL = "policy:unverified_cap_reached"


@pytest.fixture
def capped(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    """A deployment whose unverified apps may each admit 2 users (CONSENTRY_UNVERIFIED_USER_CAP=2)."""
    with policy_server(database_url, unverified_user_cap="2") as running:
        yield running


def test_unverified_screen_admits_users_up_to_the_cap_then_refuses_new_ones(
    capped: tuple[LiveServer, Seeder], chromium: Browser, app_callback: AppCallback
) -> None:  # VERIFY-11 VERIFY-10 CONSENT-6
    server, seeder = capped
    cal, _mail = scopes(server.url)
    client, project = unverified_app(
        seeder, app_callback, "Buddy web", [cal], app_name=APP, developer_contacts=[DEV]
    )
    for email in ("ann@example.org", "bob@example.org", "cid@example.org"):
        seeder.user(email)

    with ExitStack() as stack:
        ann = stack.enter_context(profile(chromium))
        # Users 1 and 2: the screen, Advanced, the unsafe way on, consent, Allow, a code at the app.
        for n, (email, who) in enumerate(
            (("ann@example.org", ann), ("bob@example.org", stack.enter_context(profile(chromium)))),
            start=1,
        ):
            page = who.page
            verifier = start(
                page,
                server.url,
                client,
                app_callback,
                email=email,
                scope=f"openid email {cal}",
                state=f"u{n}",
            )
            assert on_unverified_screen(page, APP) and who.last_status() == 200
            assert page.locator("h1").inner_text() == "This app has not been verified by Consentry"
            assert CAL_TITLE in page.locator("ul.scope-list").inner_text()  # what it asks, in words
            back = page.get_by_role("button", name="Back to safety")
            assert back.evaluate("b => b.classList.contains('primary') && document.activeElement === b")
            go_past_unverified(page, APP)
            assert on_consent_page(page) and checkboxes(page) == {cal: False}
            q = allow(page, app_callback, CAL_TITLE)
            assert q["state"] == f"u{n}" and q["code"] and "error" not in q
            tok = exchange_code(server.url, client, q["code"], app_callback.url, verifier)
            assert cal in tok["scope"].split()
            assert unverified_count(seeder, project) == (n, n)  # each distinct user counts once
            assert unexpected_errors(who) == []
        assert len(app_callback.queries()) == 2

        # User 3, new to the app, with the cap full: refused before any screen, with a page.
        with profile(chromium) as cid:
            start(
                cid.page,
                server.url,
                client,
                app_callback,
                email="cid@example.org",
                scope=f"openid email {cal}",
                state="u3",
            )
            assert cid.last_status() == 403
            assert path_of(cid.page.url) == "/authorize/continue"
            assert cid.page.locator("h1").inner_text() == f"Sign-in to {APP} is disabled for new users"
            body = cid.page.locator("main").inner_text()
            assert CAP_REFUSAL in body and "Its developer has been told." in body
            assert cid.page.locator("code").all_inner_texts() == ["access_denied", "unverified_cap_reached"]
            assert cid.page.locator("details.advanced").count() == 0
            assert unexpected_errors(cid, 403) == []
        assert len(app_callback.queries()) == 2  # nothing reached the app for user 3
        assert unverified_count(seeder, project) == (2, 2)  # the refused user was not counted

        # User 1 comes back (prompt=consent asks again): counted before, so still let in.
        page = ann.page
        verifier = start(
            page,
            server.url,
            client,
            app_callback,
            email="ann@example.org",
            scope=f"openid email {cal}",
            state="u1-again",
            prompt="consent",
        )
        assert on_unverified_screen(page, APP)  # the screen again: the app is still unverified
        go_past_unverified(page, APP)
        assert on_consent_page(page) and checkboxes(page) == {cal: False}
        q = allow(page, app_callback, CAL_TITLE)
        assert q["state"] == "u1-again" and q["code"]
        exchange_code(server.url, client, q["code"], app_callback.url, verifier)
        assert unverified_count(seeder, project) == (2, 2)  # ann is not counted twice
        assert unexpected_errors(ann) == []

    # The developer was told, once (the mail repeats at most once a day), at their contact address.
    [(recipients, subject, text)] = mails(seeder, CAP_MAIL)
    assert DEV in recipients and "owner@example.com" in recipients
    assert subject == f"[{APP}] Users are being refused: unverified_cap_reached"
    assert "reached its limit of 2 users without verification" in text
    assert len(grants(seeder, client)) == 2  # ann's and bob's; none for cid


def test_back_to_safety_sends_the_app_access_denied_and_counts_nobody(
    live_server: tuple[LiveServer, Seeder], page: Page, app_callback: AppCallback
) -> None:  # VERIFY-11 CONSENT-6
    server, seeder = live_server
    cal, _mail = scopes(server.url)
    client, project = unverified_app(seeder, app_callback, APP, [cal])
    seeder.user("dan@example.org")
    start(page, server.url, client, app_callback, email="dan@example.org", scope=f"openid {cal}", state="b1")
    assert on_unverified_screen(page, APP)
    open_advanced(page, APP)  # looking at the unsafe way is not taking it
    page.get_by_role("button", name="Back to safety").click()
    page.wait_for_url(app_callback.landed)
    q = query_of(page.url)
    assert q["error"] == "access_denied" and q["state"] == "b1" and "code" not in q
    assert app_callback.queries() == [q]
    assert codes_issued(seeder, client) == 0 and grants(seeder, client) == []
    assert unverified_count(seeder, project) == (0, 0)


def test_testing_warning_for_test_users_and_refusal_for_others(
    live_server: tuple[LiveServer, Seeder], chromium: Browser, app_callback: AppCallback
) -> None:  # VERIFY-10 VERIFY-11
    server, seeder = live_server
    cal, _mail = scopes(server.url)
    client = seeder.client(
        "web", status="testing", test_users=["tess@example.org"], redirect_uris=[app_callback.url], name=APP
    )
    seeder.user("tess@example.org")
    seeder.user("ann@example.org")

    with profile(chromium) as tess:
        page = tess.page
        verifier = start(
            page,
            server.url,
            client,
            app_callback,
            email="tess@example.org",
            scope=f"openid {cal}",
            state="t1",
        )
        assert tess.last_status() == 200
        assert page.locator("h1").inner_text() == "This app is being tested"
        assert "Continue only if you know the developer" in page.locator("main").inner_text()
        buttons = page.locator("form button[type=submit]")
        assert buttons.all_inner_texts() == ["Back to safety", "Continue"]
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        assert on_consent_page(page) and checkboxes(page) == {cal: False}
        assert "This app is being tested." in page.locator(".notice.warn").last.inner_text()
        q = allow(page, app_callback, CAL_TITLE)
        assert q["state"] == "t1" and q["code"]
        tok = exchange_code(server.url, client, q["code"], app_callback.url, verifier)
        assert cal in tok["scope"].split()
        assert unexpected_errors(tess) == []

    with profile(chromium) as ann:
        start(
            ann.page,
            server.url,
            client,
            app_callback,
            email="ann@example.org",
            scope=f"openid {cal}",
            state="t2",
        )
        assert ann.last_status() == 403
        body = ann.page.locator("main").inner_text()
        assert "only its developer's test users can use it" in body
        assert ann.page.locator("code").all_inner_texts() == ["access_denied", "not_a_test_user"]
        assert ann.page.locator("h1").inner_text() != "This app is being tested"  # no warning for outsiders
        assert unexpected_errors(ann, 403) == []
    assert [x["state"] for x in app_callback.queries()] == ["t1"]  # nothing reached the app for ann
    assert len(grants(seeder, client)) == 1


def test_granular_consent_after_the_unverified_screen_grants_only_what_is_ticked(
    live_server: tuple[LiveServer, Seeder], page: Page, app_callback: AppCallback
) -> None:  # CONSENT-6 VERIFY-11
    server, seeder = live_server
    cal, mail = scopes(server.url)
    client, _project = unverified_app(seeder, app_callback, APP, [cal, mail])
    seeder.user("gus@example.org")
    verifier = start(
        page,
        server.url,
        client,
        app_callback,
        email="gus@example.org",
        scope=f"openid email {cal} {mail}",
        state="g1",
    )
    assert on_unverified_screen(page, APP)
    risky = page.locator("ul.scope-list").inner_text()
    assert CAL_TITLE in risky and MAIL_TITLE in risky
    go_past_unverified(page, APP)
    assert on_consent_page(page)
    # Each data scope its own checkbox, none ticked in advance.
    assert checkboxes(page) == {cal: False, mail: False}

    # "Select all" (the page's script) ticks both, and unticks both; it never submits.
    select_all = page.get_by_label("Select all")
    assert select_all.is_visible() and not select_all.is_checked()
    select_all.check()
    assert checkboxes(page) == {cal: True, mail: True}
    select_all.uncheck()
    assert checkboxes(page) == {cal: False, mail: False}
    assert on_consent_page(page) and app_callback.hits == []

    q = allow(page, app_callback, CAL_TITLE)
    assert q["state"] == "g1" and q["code"]
    granted = set(exchange_code(server.url, client, q["code"], app_callback.url, verifier)["scope"].split())
    assert cal in granted and mail not in granted
    assert granted == {"openid", "email", cal}
    assert grants(seeder, client) == [sorted({"openid", "email", cal})]


def test_cancel_and_back_on_consent_grant_nothing(
    live_server: tuple[LiveServer, Seeder], page: Page, app_callback: AppCallback
) -> None:  # CONSENT-6
    server, seeder = live_server
    cal, _mail = scopes(server.url)
    client, _project = unverified_app(seeder, app_callback, APP, [cal])
    seeder.user("hal@example.org")

    # Cancel, with a scope ticked: the app hears access_denied and nothing is recorded.
    start(page, server.url, client, app_callback, email="hal@example.org", scope=f"openid {cal}", state="c1")
    go_past_unverified(page, APP)
    assert on_consent_page(page)
    page.get_by_label(CAL_TITLE).check()
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(app_callback.landed)
    q = query_of(page.url)
    assert q["error"] == "access_denied" and q["state"] == "c1" and "code" not in q
    assert codes_issued(seeder, client) == 0 and grants(seeder, client) == []

    # Back: a scope ticked, then the browser's Back button; nothing is posted, nothing granted.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    start(page, server.url, client, app_callback, email="hal@example.org", scope=f"openid {cal}", state="c2")
    assert on_unverified_screen(page, APP)  # a new request meets the screen again
    go_past_unverified(page, APP)
    assert on_consent_page(page) and checkboxes(page) == {cal: False}  # the cancelled tick is not kept
    page.get_by_label(CAL_TITLE).check()
    posts.clear()
    page.go_back()
    page.wait_for_load_state("load")
    # Back lands on the request before the consent page: the unverified screen, asking again.
    assert path_of(page.url) == "/authorize" and on_unverified_screen(page, APP)
    page.wait_for_timeout(500)  # nothing submits by itself
    assert posts == []
    assert app_callback.queries() == [q]  # only the Cancel's error ever reached the app
    assert all("code" not in x for x in app_callback.queries())
    assert codes_issued(seeder, client) == 0 and grants(seeder, client) == []


def test_screenshots_of_the_policy_screens(
    capped: tuple[LiveServer, Seeder], chromium: Browser, app_callback: AppCallback, tmp_path: Path
) -> None:  # CONSENT-1 VERIFY-10 VERIFY-11
    server, seeder = capped
    cal, mail = scopes(server.url)
    out = screenshot_dir(tmp_path)
    brand = {
        "app_name": "Trail Planner",
        "home_page": "https://trails.example.net/",
        "privacy_policy": "https://trails.example.net/privacy",
        "terms": "https://trails.example.net/terms",
        "support_email": "help@trails.example.net",
        "developer_contacts": ["maker@trails.example.net"],
        "logo_png": logo_png(),
    }
    client, _project = unverified_app(seeder, app_callback, "Trail web", [cal, mail], **brand)
    tester = seeder.client(
        "web",
        status="testing",
        test_users=["tess@example.org"],
        redirect_uris=[app_callback.url],
        name="Trail beta",
    )
    set_project(seeder, tester, **{**brand, "app_name": "Trail Planner Beta"})
    for email in ("ann@example.org", "tess@example.org", "zoe@example.org"):
        seeder.user(email)
    taken: list[Path] = []

    with profile(chromium) as ann:
        page = ann.page
        start(
            page,
            server.url,
            client,
            app_callback,
            email="ann@example.org",
            scope=f"openid email profile {cal} {mail}",
            state="s1",
        )
        assert on_unverified_screen(page, "Trail Planner")
        open_advanced(page, "Trail Planner")
        taken += shoot(page, out, "unverified-advanced")
        with page.expect_navigation():
            page.get_by_role("button", name="Go to Trail Planner (unsafe)").click()
        assert on_consent_page(page)
        assert page.locator(".app-name").inner_text() == "Trail Planner"
        # The logo really loaded through the logo route.
        assert page.evaluate("document.querySelector('img.app-logo').naturalWidth") > 0
        assert "trails.example.net" in page.locator(".app-head .app-meta").inner_text()
        links = page.locator(".app-links").inner_text()
        assert "Trail Planner's privacy policy" in links and "Support: help@trails.example.net" in links
        taken += shoot(page, out, "consent")
        assert unexpected_errors(ann) == []

    with profile(chromium) as tess:
        start(
            tess.page,
            server.url,
            tester,
            app_callback,
            email="tess@example.org",
            scope=f"openid email {cal}",
            state="s2",
        )
        assert tess.page.locator("h1").inner_text() == "This app is being tested"
        taken += shoot(tess.page, out, "testing-warning")
        assert unexpected_errors(tess) == []

    set_project(seeder, client, unverified_users=2)  # the cap is full (ann took one place)
    with profile(chromium) as zoe:
        start(
            zoe.page,
            server.url,
            client,
            app_callback,
            email="zoe@example.org",
            scope=f"openid email {cal}",
            state="s3",
        )
        assert zoe.last_status() == 403 and CAP_REFUSAL in zoe.page.locator("main").inner_text()
        taken += shoot(zoe.page, out, "cap-refused")
        assert unexpected_errors(zoe, 403) == []

    assert sorted(p.name for p in taken) == sorted(
        f"policy-{name}-{w}.png"
        for name in ("unverified-advanced", "consent", "testing-warning", "cap-refused")
        for w in ("1280", "390")
    )
