"""The whole verification path in real Chromium, with real DNS and SMTP servers (issue 11, "Proof").

A developer creates a project, configures its branding, proves its domain (a local DNS server
answers the TXT query), and submits a restricted scope; a reviewer, in another browser, asks for
more information; the developer answers on the project page; the reviewer approves. Each step's
mail arrives at a real SMTP server (aiosmtpd) through the outbox, and the project page says where
verification stands at every step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from consentry.settings import Settings
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.console_helpers import (
    Brand,
    PageErrors,
    add_scope,
    answer_reviewers,
    check_domain,
    create_project,
    fill_consent_screen,
    fill_submission,
    headline,
    logo_png,
    next_action,
    open_tab,
    screenshot_dir,
    sign_in_to_console,
    submit_for_verification,
    txt_record,
)
from tests.browser.helpers import path_of, sign_in
from tests.browser.screenshots import at_both_widths
from tests.support.databases import SECRET
from tests.support.dns_server import DnsServer
from tests.support.live import LiveServer, start_server
from tests.support.seed import Seeder
from tests.support.smtp import Received, SmtpServer, smtp_server

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PROJECT = "Inbox Zero"
DOMAIN = "inboxzero-app.com"
DEV, REVIEWER, SUPPORT = "dev@example.org", "rita@example.org", "help@inboxzero-app.com"
BRAND = Brand(
    app_name="Inbox Zero",
    support_email=SUPPORT,
    home_page=f"https://{DOMAIN}/",
    privacy_policy=f"https://{DOMAIN}/privacy",
    domains=(DOMAIN,),
    contacts=(DEV,),
)
QUESTION = "Please show the archive rule screen in the video."


@pytest.fixture
def journey(database_url: str) -> Iterator[tuple[LiveServer, Seeder, DnsServer, SmtpServer]]:
    with DnsServer() as dns, smtp_server() as smtp:
        env = {
            "CONSENTRY_SECRET_KEY": SECRET,
            "CONSENTRY_DNS_NAMESERVERS": f"127.0.0.1:{dns.port}",
            "CONSENTRY_FETCH_TIMEOUT": "1",  # the pre-checks find no web site here: fail fast
            "CONSENTRY_SMTP_URL": smtp.url(),
            "CONSENTRY_MAIL_INTERVAL": "1",
            "CONSENTRY_MAIL_FROM": "Consentry <no-reply@consentry.test>",
        }
        server = start_server(database_url, env=env)
        seeder = Seeder(Settings(database_url=database_url, issuer=server.url, secret_key=SECRET))
        try:
            yield server, seeder, dns, smtp
        finally:
            server.stop()
            seeder.close()


def _mail(smtp: SmtpServer, n: int, subject_has: str) -> Received:
    """The n-th mail (1-based), once it has arrived, checked to be the one expected."""
    received = smtp.wait_for(n, timeout=15)
    assert len(received) >= n, [m.message["Subject"] for m in received]
    mail = received[n - 1]
    assert subject_has in str(mail.message["Subject"]), mail.message["Subject"]
    assert sorted(mail.rcpt_tos) == sorted([DEV, SUPPORT])  # developer contacts and support (VERIFY-7)
    assert smtp.count(mail.message_id) == 1  # never sent twice
    return mail


def _state(page: Page, base: str) -> str:
    open_tab(page, base, PROJECT)
    return str(page.locator("#review").get_attribute("data-state"))


def _shoot(page: Page, directory: Path, name: str) -> None:
    at_both_widths(page, directory, f"journey-{name}", wide="desktop")


def test_developer_and_reviewer_take_an_app_through_verification(
    journey: tuple[LiveServer, Seeder, DnsServer, SmtpServer], chromium: Browser, tmp_path: Path
) -> None:  # VERIFY-2, VERIFY-3, VERIFY-6, VERIFY-7, ISSUE-11 mail
    server, seeder, dns, smtp = journey
    base = server.url
    shots = screenshot_dir(tmp_path / "screenshots")
    seeder.user(DEV)
    seeder.user(REVIEWER, role="reviewer")
    dev_ctx, rev_ctx = chromium.new_context(locale="en-US"), chromium.new_context(locale="en-US")
    for ctx in (dev_ctx, rev_ctx):
        ctx.set_default_timeout(TIMEOUT_MS)
    dev, rev = dev_ctx.new_page(), rev_ctx.new_page()
    errors = PageErrors().watch(dev)
    rev_errors = PageErrors().watch(rev)

    # The developer: a project in production asking a restricted scope is not public until verified.
    sign_in_to_console(dev, base, DEV)
    create_project(dev, base, PROJECT, status="production")
    add_scope(dev, base, PROJECT, "mail.readonly")
    open_tab(dev, base, PROJECT)
    assert "Verification needed for 1 scope(s)" in headline(dev)
    fill_consent_screen(dev, base, PROJECT, replace(BRAND, logo=logo_png(tmp_path / "logo.png")))
    open_tab(dev, base, PROJECT)
    assert next_action(dev) == f"Prove you own {DOMAIN} (a DNS TXT record or a file on the site)."

    # The domain, proven through the local DNS server (VERIFY-3).
    dns.records[DOMAIN] = [txt_record(dev, base, PROJECT, DOMAIN)]
    assert f"{DOMAIN} is verified by its DNS TXT record." in check_domain(dev, base, PROJECT, DOMAIN)
    open_tab(dev, base, PROJECT)
    assert next_action(dev) == "Submit the app for verification."

    # Submitted (VERIFY-6): the page says it waits for reviewers; the contacts get a receipt by mail.
    fill_submission(
        dev, base, PROJECT, video_url="https://videos-host.com/watch/inbox-zero", server_access=False
    )
    submit_for_verification(dev)
    assert _state(dev, base) == "submitted"
    assert headline(dev) == "Submitted; waiting for a reviewer to pick it up."
    assert "mail.readonly" in _mail(smtp, 1, "verification request received").message.get_content()
    _shoot(dev, shots, "developer-submitted")

    # The reviewer, in another browser: the queue, the review page, a question (VERIFY-7).
    rev.goto(base + "/review")
    assert path_of(rev.url) == "/signin"
    sign_in(rev, REVIEWER)
    assert path_of(rev.url) == "/review"
    assert PROJECT in rev.locator("#queue").inner_text()
    _shoot(rev, shots, "reviewer-queue")
    rev.goto(f"{base}/review/{PROJECT}")
    _shoot(rev, shots, "reviewer-review-page")
    form = rev.locator("#ask-form")
    form.get_by_label("Ask for more information").fill(QUESTION)
    with rev.expect_navigation():
        form.get_by_role("button", name="Send question").click()
    assert QUESTION in _mail(smtp, 2, "need more information").message.get_content()

    # The developer sees the review paused, with the question, and answers on the page.
    assert _state(dev, base) == "waiting_for_developer"
    assert headline(dev).startswith("Paused: the reviewers asked you something.")
    assert QUESTION in dev.locator("main").inner_text()
    _shoot(dev, shots, "developer-question")
    answer_reviewers(dev, base, PROJECT, "Done: the new video shows the archive rules at 0:42.")
    assert _state(dev, base) == "in_review"

    # The reviewer sees the answer and approves (the decision is per scope).
    rev.goto(f"{base}/review/{PROJECT}")
    assert "the new video shows the archive rules" in rev.locator("main").inner_text()
    with rev.expect_navigation():
        rev.locator("#approve-form").get_by_role("button", name="Approve ticked scopes").click()
    assert "mail.readonly" in _mail(smtp, 3, "verification approved").message.get_content()

    # The project page tells the truth: verified, nothing left to do.
    assert _state(dev, base) == "approved"
    assert headline(dev) == "Verified: every sensitive and restricted scope is approved."
    assert dev.locator("#missing li").count() == 0
    _shoot(dev, shots, "developer-verified")
    assert errors.unexpected() == [] and rev_errors.unexpected() == []
    dev_ctx.close()
    rev_ctx.close()
