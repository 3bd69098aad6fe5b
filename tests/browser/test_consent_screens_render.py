"""The consent, unverified-app and testing screens and the data help page in a real Chromium.

The pages are served by tests/browser/consent_screens.py: the templates rendered with a
``Disclosure`` over seeded rows, behind the platform's CSP, static files, logo route and help
page; forms post to an echo route, so each test reads exactly what a browser sends.
Screenshots at 1280 px and 390 px go to ``$CONSENTRY_SCREENSHOTS`` when set, else the test's
temporary directory; any console error, CSP violation or failed load fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.consent_screens import (
    BRAND,
    CSRF,
    DOMAIN,
    FLOW,
    OPERATOR,
    Site,
    Watch,
    checkboxes,
    scopes_query,
    sent_form,
    serve,
    shoot,
)
from tests.browser.console_helpers import screenshot_dir
from tests.browser.screenshots import DESKTOP

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    with serve(database_url) as running:
        yield running


# --- the consent screen ---------------------------------------------------------------------------


def test_consent_screen_discloses_the_app_and_each_scope_before_asking(
    site: Site, page: Page, tmp_path: Path
) -> None:  # CONSENT-1 CONSENT-2 CONSENT-3 CONSENT-4 CONSENT-5 CONSENT-7
    watch = Watch(page)
    page.set_viewport_size(DESKTOP)
    page.goto(
        site.url
        + "/t/consent/verified"
        + scopes_query(site, "mail.readonly", "calendar.readonly", "files.file")
    )
    assert page.title() == f"Mail Sorter wants access to your account - {OPERATOR}"
    # Who is asking, with its logo (really loaded through the logo route), domain and developer.
    assert page.locator("h1").inner_text() == "Mail Sorter wants to access your account"
    assert page.locator(".app-name").inner_text() == "Mail Sorter"
    logo = page.locator("img.app-logo")
    assert logo.get_attribute("alt") == "Mail Sorter logo"
    assert page.evaluate("document.querySelector('img.app-logo').naturalWidth") == 120
    meta = page.locator(".app-head .app-meta").inner_text()
    assert DOMAIN in meta and f"Developer: dev@{DOMAIN}" in meta
    assert f"Verified by {OPERATOR}: a review checked" in page.locator(".badge-verified").inner_text()
    assert page.locator(".notice.warn").count() == 0
    account = page.locator("p.account").inner_text()
    assert "Signed in as ann@example.org" in account and "to continue to Mail Sorter" in account
    assert page.get_by_role("link", name="Use another account").get_attribute("href") == "/t/switch"

    # Sign-in scopes first, with no checkbox: they come with Allow.
    assert page.locator("#signin-h").inner_text() == "When you click Allow, Mail Sorter can"
    basic = page.locator(".scope-list.basic li")
    assert basic.count() == 3 and basic.locator("input").count() == 0
    assert "See your primary email address" in basic.nth(1).inner_text()
    first_section = page.evaluate(
        "document.querySelector('#signin-h').compareDocumentPosition(document.querySelector('fieldset.asked'))"
    )
    assert first_section & 4  # DOCUMENT_POSITION_FOLLOWING: the data scopes come after

    # Each data scope on its own, unticked, with its data, risk and the developer's declared use.
    mail, cal, files = site.scope("mail.readonly"), site.scope("calendar.readonly"), site.scope("files.file")
    assert checkboxes(page) == {mail: False, cal: False, files: False}
    items = page.locator("li.scope")
    mail_text = items.nth(0).inner_text()
    assert "View your email messages and settings" in mail_text
    assert "Email message bodies and attachments" in mail_text
    assert "Highest risk" in mail_text
    assert "Sorts new mail into folders you choose" in mail_text
    assert f"(as the developer told {OPERATOR})" in mail_text
    assert "Shared with others: Only to our hosting provider" in mail_text
    assert "Read by people: Nobody, unless you ask support" in mail_text
    assert "Higher risk" in items.nth(1).inner_text()
    files_text = items.nth(2).inner_text()
    assert "Lower risk" in files_text
    assert "The developer has not said how it uses this data." in files_text
    assert page.get_by_label("See and download any calendar you can access").count() == 1

    # The links: privacy policy, terms, help; and what Allow and Cancel mean.
    assert (
        page.get_by_role("link", name="Mail Sorter's privacy policy").get_attribute("href")
        == BRAND["privacy_policy"]
    )
    assert page.get_by_role("link", name="Terms of service").get_attribute("href") == BRAND["terms"]
    assert (
        page.get_by_role("link", name="How to see, remove and delete what apps hold").get_attribute("href")
        == "/help/data"
    )
    decision = page.locator(".decision").inner_text()
    assert (
        "Only Allow grants anything" in decision
        and "Cancel, closing this page or going back shares nothing" in decision
    )
    buttons = page.locator("form button[type=submit]")
    assert [buttons.nth(i).inner_text() for i in range(buttons.count())] == ["Cancel", "Allow"]

    # Nothing moves by itself: no auto-submit, no message that goes away.
    notices = page.locator(".badge-verified").inner_text()
    page.wait_for_timeout(1500)
    assert page.url.endswith(scopes_query(site, "mail.readonly", "calendar.readonly", "files.file"))
    assert page.locator(".badge-verified").inner_text() == notices
    shoot(page, screenshot_dir(tmp_path), "verified")
    assert watch.errors == []


def test_select_all_then_allow_posts_the_ticked_scopes_and_the_disclosure_digest(
    site: Site, page: Page
) -> None:  # CONSENT-6 CONSENT-8
    watch = Watch(page)
    query = scopes_query(site, "mail.readonly", "calendar.readonly", "files.file")
    page.goto(site.url + "/t/consent/verified" + query)
    select_all = page.get_by_label("Select all")
    assert select_all.is_visible() and not select_all.is_checked()
    select_all.check()
    assert set(checkboxes(page).values()) == {True}
    page.get_by_label("See and download any calendar you can access").uncheck()
    assert not select_all.is_checked()
    assert page.evaluate("document.querySelector('[data-select-all]').indeterminate") is True
    page.get_by_role("button", name="Allow").click()
    posted = sent_form(page)
    expected = page.request.get(site.url + "/t/digest/verified" + query).json()["digest"]
    assert posted == {
        "csrf": [CSRF],
        "flow": [FLOW],
        "disclosure": [expected],
        "scope": [site.scope("mail.readonly"), site.scope("files.file")],
        "action": ["allow"],
    }
    assert watch.errors == []


def test_cancel_sends_no_scope_and_without_javascript_each_box_is_ticked_alone(
    site: Site, chromium: Browser
) -> None:  # CONSENT-6
    ctx = chromium.new_context(java_script_enabled=False, viewport=DESKTOP)
    try:
        page = ctx.new_page()
        query = scopes_query(site, "mail.readonly", "calendar.readonly")
        page.goto(site.url + "/t/consent/verified" + query)
        assert not page.get_by_text("Select all").is_visible()  # no dead control without the script
        page.get_by_role("button", name="Cancel").click()
        posted = sent_form(page)
        assert posted["action"] == ["deny"] and "scope" not in posted

        page.goto(site.url + "/t/consent/verified" + query)
        page.get_by_label("See and download any calendar you can access").check()
        page.get_by_role("button", name="Allow").click()
        posted = sent_form(page)
        assert posted["scope"] == [site.scope("calendar.readonly")] and posted["action"] == ["allow"]
    finally:
        ctx.close()


def test_unreviewed_app_asking_for_private_data_carries_the_unverified_notice(
    site: Site, page: Page, tmp_path: Path
) -> None:  # CONSENT-1 CONSENT-3
    watch = Watch(page)
    page.goto(site.url + "/t/consent/plain" + scopes_query(site, "mail.readonly", "mail.send"))
    assert page.locator(".app-name").inner_text() == "Calendar Buddy"
    assert page.locator(".app-logo.placeholder").inner_text() == "C"
    assert page.locator(".badge-verified").count() == 0
    assert page.locator(".notice.warn").inner_text().startswith(f"{OPERATOR} has not verified this app.")
    assert page.locator(".app-meta").inner_text().startswith("No website given")
    assert "Calendar Buddy has not published a privacy policy" in page.locator(".app-links").inner_text()
    assert page.get_by_text("The developer has not said how it uses this data.").count() == 2
    shoot(page, screenshot_dir(tmp_path), "unverified-app")
    assert watch.errors == []


def test_device_flow_consent_posts_the_user_code_instead_of_a_flow(
    site: Site, page: Page
) -> None:  # CONSENT-6
    page.goto(site.url + "/t/consent/verified" + scopes_query(site, "files.file", device="WXYZ-1234"))
    assert page.get_by_label("Select all").count() == 0  # one data scope: nothing to select all
    page.get_by_label("See, edit, create, and delete only the specific files you use with this app").check()
    page.get_by_role("button", name="Allow").click()
    posted = sent_form(page)
    assert posted["user_code"] == ["WXYZ-1234"] and posted["step"] == ["decide"]
    assert "flow" not in posted and posted["scope"] == [site.scope("files.file")]


# --- the unverified-app and testing screens ---------------------------------------------------------------


def test_unverified_screen_defaults_to_going_back(
    site: Site, page: Page, tmp_path: Path
) -> None:  # CONSENT-6
    watch = Watch(page)
    page.goto(site.url + "/t/unverified/plain" + scopes_query(site, "mail.readonly"))
    assert page.locator("h1").inner_text() == f"This app has not been verified by {OPERATOR}"
    assert "View your email messages and settings" in page.locator(".scope-list").inner_text()
    back = page.get_by_role("button", name="Back to safety")
    assert back.evaluate("b => b.classList.contains('primary') && document.activeElement === b")
    unsafe = page.get_by_role("button", name="Go to Calendar Buddy (unsafe)")
    assert not unsafe.is_visible()  # behind "Advanced"
    # Enter in the form takes the focused first button: back, never on to the app.
    page.keyboard.press("Enter")
    posted = sent_form(page)
    assert posted == {"csrf": [CSRF], "screen": ["unverified"], "flow": [FLOW], "action": ["back"]}

    page.goto(site.url + "/t/unverified/plain" + scopes_query(site, "mail.readonly"))
    shoot(page, screenshot_dir(tmp_path), "unverified-screen")
    page.get_by_text("Advanced").click()
    assert page.get_by_role("button", name="Go to Calendar Buddy (unsafe)").is_visible()
    shoot(page, screenshot_dir(tmp_path), "unverified-screen-advanced")

    page.goto(site.url + "/t/unverified/plain" + scopes_query(site, "mail.readonly", device="WXYZ-1234"))
    page.get_by_text("Advanced").click()
    page.get_by_role("button", name="Go to Calendar Buddy (unsafe)").click()
    posted = sent_form(page)
    assert posted == {
        "csrf": [CSRF],
        "screen": ["unverified"],
        "user_code": ["WXYZ-1234"],
        "step": ["screen"],
        "action": ["continue"],
    }
    assert watch.errors == []


def test_testing_screen_names_the_developer(site: Site, page: Page, tmp_path: Path) -> None:  # CONSENT-1
    watch = Watch(page)
    page.goto(site.url + "/t/testing/testing" + scopes_query(site, "calendar.readonly"))
    assert page.locator("h1").inner_text() == "This app is being tested"
    body = page.locator("main").inner_text()
    assert "Continue only if you know the developer" in body
    developer = page.get_by_role("link", name="maker@trips.example.net")
    assert developer.count() == 2  # under the app's name, and in the warning itself
    assert developer.nth(1).get_attribute("href") == "mailto:maker@trips.example.net"
    buttons = page.locator("form button[type=submit]")
    assert [buttons.nth(i).inner_text() for i in range(buttons.count())] == ["Back to safety", "Continue"]
    shoot(page, screenshot_dir(tmp_path), "testing-screen")
    page.get_by_role("button", name="Continue").click()
    assert sent_form(page) == {"csrf": [CSRF], "screen": ["testing"], "flow": [FLOW], "action": ["continue"]}
    # The consent screen of an app in testing says so too.
    page.goto(site.url + "/t/consent/testing" + scopes_query(site, "calendar.readonly"))
    assert "This app is being tested." in page.locator(".notice.warn").nth(1).inner_text()
    shoot(page, screenshot_dir(tmp_path), "testing-consent")
    assert watch.errors == []


# --- the help page -----------------------------------------------------------------------------------------


def test_help_page_reads_well_on_both_widths(site: Site, page: Page, tmp_path: Path) -> None:  # CONSENT-7
    watch = Watch(page)
    page.goto(site.url + "/t/consent/verified" + scopes_query(site, "mail.readonly"))
    with page.expect_popup() as popup:
        page.get_by_role("link", name="How to see, remove and delete what apps hold").click()
    help_page = popup.value
    help_watch = Watch(help_page)
    help_page.wait_for_load_state("load")
    assert help_page.url == site.url + "/help/data"
    assert help_page.locator("h1").inner_text() == "See, remove and delete what apps hold"
    assert f"your {OPERATOR} account" in help_page.locator(".lead").inner_text()
    assert (
        help_page.get_by_role("link", name="your consent receipts").get_attribute("href")
        == "/account/receipts"
    )
    shoot(help_page, screenshot_dir(tmp_path), "help-data")
    assert page.url.startswith(site.url + "/t/consent/")  # the consent screen stays where it was
    help_page.reload()
    assert watch.errors == [] and help_watch.errors == []
