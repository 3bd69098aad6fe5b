"""The developer console in real Chromium: a developer builds an app's project step by step, and the
project page says at each step what verification still needs; every console page is screenshotted
at desktop and phone width, with no CSP violation or script error on any of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.review import Review
from consentry.domain.verification.service import Verification
from consentry.settings import Settings
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.tables import DomainProof, Project
from tests.browser.console_helpers import (
    Brand,
    PageErrors,
    add_scope,
    answer_reviewers,
    check_domain,
    create_client,
    create_project,
    fill_consent_screen,
    fill_submission,
    headline,
    logo_png,
    missing_codes,
    next_action,
    open_tab,
    project_url,
    save_draft,
    screenshot_dir,
    shoot,
    sign_in_to_console,
    txt_record,
)
from tests.browser.helpers import path_of
from tests.support.databases import SECRET
from tests.support.dns_server import DnsServer
from tests.support.live import LiveServer, start_server
from tests.support.seed import Seeder

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PROJECT = "Mail Sorter"
DOMAIN = "mailsorter.example.com"
BRAND = Brand(
    app_name="Mail Sorter",
    support_email="help@mailsorter.example.com",
    home_page=f"https://{DOMAIN}/",
    privacy_policy=f"https://{DOMAIN}/privacy",
    terms=f"https://{DOMAIN}/terms",
    domains=(DOMAIN,),
    contacts=("dev@example.org",),
)


@pytest.fixture
def console_server(database_url: str) -> Iterator[tuple[LiveServer, Seeder, DnsServer]]:
    """A live server whose domain checks ask a local DNS server (CONSENTRY_DNS_NAMESERVERS)."""
    with DnsServer() as dns:
        env = {
            "CONSENTRY_SECRET_KEY": SECRET,
            "CONSENTRY_DNS_NAMESERVERS": f"127.0.0.1:{dns.port}",
            "CONSENTRY_FETCH_TIMEOUT": "1",  # the file check fails fast: no web server in this test
        }
        server = start_server(database_url, env=env)
        seeder = Seeder(Settings(database_url=database_url, issuer=server.url, secret_key=SECRET))
        try:
            yield server, seeder, dns
        finally:
            server.stop()
            seeder.close()


def _submit_then_ask(seeder: Seeder, issuer: str, question: str) -> None:
    """What the developer's Submit and a reviewer's question do, through the domain services (the
    pre-checks fetch real web sites, which this test has none of; the reviewer console is tested
    on its own)."""
    catalogue = Catalogue(issuer)
    for email, role, act in (("dev@example.org", "user", "submit"), ("rev@example.org", "reviewer", "ask")):
        with seeder.db.unit_of_work() as s:
            repo = SqlConsole(s)
            user = repo.user(email)
            assert user is not None
            verification = Verification(Projects(repo, Actor(email, user.id, role, Channel.WEB), catalogue))
            project = repo.project(PROJECT)
            assert project is not None
            if act == "submit":
                verification.submit(project, [])
            else:
                Review(verification).ask(PROJECT, question)


def _challenge(seeder: Seeder) -> str:
    with seeder.db.unit_of_work() as s:
        project_id = s.scalar(select(Project.id).where(Project.name == PROJECT))
        return str(s.scalar(select(DomainProof.challenge).where(DomainProof.project_id == project_id)))


def _logo_width(page: Page) -> int:
    img = page.locator("#current-logo")
    img.evaluate("i => i.decode()")
    return int(img.evaluate("i => i.naturalWidth"))


def test_developer_builds_a_project_and_the_page_says_what_is_missing(
    console_server: tuple[LiveServer, Seeder, DnsServer], page: Page, tmp_path: Path
) -> None:
    server, seeder, dns = console_server
    base = server.url
    shots = screenshot_dir(tmp_path / "screenshots")
    seeder.user("dev@example.org")
    seeder.user("ann@example.org")
    seeder.user("rev@example.org", role="reviewer")
    errors = PageErrors().watch(page)

    # Signed out, the console sends the developer to sign in and back.
    sign_in_to_console(page, base, "dev@example.org")
    assert "no projects yet" in page.locator("main").inner_text()
    shoot(page, shots, "index-empty")

    # A new project asks only sign-in scopes: nothing to verify (VERIFY-10: Testing is an exception too).
    create_project(page, base, PROJECT)
    assert "Project created" in page.locator(".alert.ok").inner_text()
    assert headline(page) == "No verification needed: the app asks only non-sensitive scopes."
    assert page.locator("#missing").count() == 0
    shoot(page, shots, "overview-new")

    # A restricted scope: the page lists everything the review needs (VERIFY-2, VERIFY-6, SEC-5).
    add_scope(page, base, PROJECT, "mail.readonly")
    assert page.locator("#group-restricted tr[data-scope='mail.readonly']").count() == 1
    assert "restricted scope review + security assessment" in page.locator("#group-restricted").inner_text()
    shoot(page, shots, "scopes")
    assert missing_codes(page, base, PROJECT) == [
        "logo",
        "support_email",
        "home_page",
        "privacy_policy",
        "developer_contacts",
        "authorized_domains",
        "scopes_unapproved",
        "assessment_missing",
    ]
    assert next_action(page) == "Upload a logo (a square PNG, JPEG, GIF or WebP image)."
    assert "Verification needed for 1 scope(s)" in headline(page)
    assert page.locator("#exemptions li[data-code=testing]").count() == 1  # VERIFY-10
    shoot(page, shots, "overview-missing")
    # Each missing item links to the section where it is fixed.
    with page.expect_navigation():
        page.locator("#missing li[data-code=logo] a").click()
    assert path_of(page.url) == path_of(project_url(base, PROJECT, "consent-screen"))

    # A bad value is refused beside the form, the input kept (VERIFY-2).
    page.locator("#brand-form input[name=home_page]").fill("javascript:alert(1)")
    with page.expect_navigation():
        page.locator("#brand-form").get_by_role("button", name="Save consent screen").click()
    assert "javascript: links are not allowed" in page.locator(".alert.error").inner_text()
    assert page.locator("#brand-form input[name=home_page]").input_value() == "javascript:alert(1)"
    assert errors.refused_posts == [400]
    shoot(page, shots, "consent-screen-error")

    # The consent screen with a logo: the logo comes back re-encoded at 120x120.
    fill_consent_screen(page, base, PROJECT, replace(BRAND, logo=logo_png(tmp_path / "logo.png")))
    assert _logo_width(page) == 120
    assert page.locator(".preview .mock-title").inner_text() == "Mail Sorter wants to access your account"
    shoot(page, shots, "consent-screen")
    assert missing_codes(page, base, PROJECT) == [
        f"domain_unverified:{DOMAIN}",
        "scopes_unapproved",
        "assessment_missing",
    ]
    assert next_action(page) == f"Prove you own {DOMAIN} (a DNS TXT record or a file on the site)."

    # Domain ownership (VERIFY-3): the exact record, a failed check saying what to publish, then success.
    record = txt_record(page, base, PROJECT, DOMAIN)
    assert record == "consentry-site-verification=" + _challenge(seeder)
    dns.records[DOMAIN] = ["v=spf1 -all"]
    message = check_domain(page, base, PROJECT, DOMAIN)
    assert "has no consentry-site-verification TXT record yet" in message and record in message
    assert page.locator(f"section[data-domain='{DOMAIN}']").get_attribute("data-verified") == "no"
    shoot(page, shots, "domains-unverified")
    dns.records[DOMAIN] = ["v=spf1 -all", record]
    assert f"{DOMAIN} is verified by its DNS TXT record." in check_domain(page, base, PROJECT, DOMAIN)
    shoot(page, shots, "domains-verified")
    assert missing_codes(page, base, PROJECT) == ["scopes_unapproved", "assessment_missing"]

    # The submission: answers per scope, the video checklist, declarations, a draft (VERIFY-6, LIMIT-2..4).
    fill_submission(
        page, base, PROJECT, video_url="https://video.example.com/watch/mail-sorter", server_access=False
    )
    assert page.locator("#video-checklist li").count() == 5
    assert (
        page.locator("fieldset.scope-answer[data-scope='mail.readonly'] aside.advice")
        .inner_text()
        .count("mail.metadata")
        == 1
    )  # the least-privilege advisor's narrower scope beside the answers
    save_draft(page)
    assert "Draft saved" in page.locator(".alert.ok").inner_text()
    shoot(page, shots, "verification-draft")
    # Restricted data stays off the app's servers: no assessment, and the next step is to submit (SEC-5).
    assert missing_codes(page, base, PROJECT) == ["scopes_unapproved"]
    assert next_action(page) == "Submit the app for verification."

    # Clients (VERIFY-8): the secret is shown once; rotating and deleting are confirmed on a page.
    client_id, secret = create_client(
        page,
        base,
        PROJECT,
        "web",
        name="Mail Sorter web",
        redirect_uris=(f"https://{DOMAIN}/oauth/callback",),
    )
    assert secret and len(secret) >= 32
    assert "shown only this once" in page.locator("#client-secret").inner_text()
    shoot(page, shots, "client-created")
    open_tab(page, base, PROJECT, "clients")
    assert secret not in page.content()  # never again
    assert page.locator(f"tr[data-client-id='{client_id}']").count() == 1
    shoot(page, shots, "clients")
    page.goto(project_url(base, PROJECT, f"clients/{client_id}/rotate"))
    shoot(page, shots, "client-rotate-confirm")
    page.goto(project_url(base, PROJECT, f"clients/{client_id}/delete"))
    shoot(page, shots, "client-delete-confirm")

    # Test users, members and publishing.
    open_tab(page, base, PROJECT, "test-users")
    page.locator("#add-test-users textarea").fill("tester1@example.org\ntester2@example.org")
    with page.expect_navigation():
        page.locator("#add-test-users").get_by_role("button", name="Add test users").click()
    assert page.locator("#test-user-count").inner_text() == "2 of 100"
    shoot(page, shots, "test-users")
    open_tab(page, base, PROJECT, "members")
    page.locator("#add-member input[name=email]").fill("ann@example.org")
    page.locator("#add-member select[name=role]").select_option("viewer")
    with page.expect_navigation():
        page.locator("#add-member").get_by_role("button", name="Add member").click()
    assert page.locator("tr[data-member='ann@example.org'] select").input_value() == "viewer"
    shoot(page, shots, "members")
    open_tab(page, base, PROJECT, "publishing")
    shoot(page, shots, "publishing")

    # Submitted, then the reviewers ask (VERIFY-7): the page says the review is paused, with an answer form.
    _submit_then_ask(seeder, base, "Please show the sorting rules screen in the video.")
    open_tab(page, base, PROJECT)
    assert page.locator("#review").get_attribute("data-state") == "waiting_for_developer"
    assert headline(page).startswith("Paused: the reviewers asked you something.")
    assert next_action(page) == "Answer the reviewers' question below."
    assert "Please show the sorting rules screen" in page.locator("#thread").inner_text()
    shoot(page, shots, "overview-waiting")
    open_tab(page, base, PROJECT, "verification")
    assert page.locator("#submitted").count() == 1 and page.locator("#submission-form").count() == 0
    shoot(page, shots, "verification-submitted")
    answer_reviewers(page, base, PROJECT, "Done: the video now shows the sorting rules at 1:20.")
    assert "Answer sent" in page.locator(".alert.ok").inner_text()
    assert headline(page) == "A reviewer is looking at it."
    assert page.locator("#thread li.developer").count() == 1
    shoot(page, shots, "overview-in-review")

    page.goto(base + "/console")
    assert page.locator("#projects tbody tr").count() == 1
    shoot(page, shots, "index")

    assert errors.unexpected() == []  # no CSP violation, script error or failed load on any page
