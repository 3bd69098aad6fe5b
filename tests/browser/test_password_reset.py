"""Forgotten password to new password in real Chromium, the link read from a real SMTP server
(ACCT-1, issue 13 "Proof"); and the sign-up and invitation pages a person meets (ACCT-6).

Screenshots at 1280 and 390 px of every page of the reset, sign-up and invitation journeys go to
``$CONSENTRY_SCREENSHOTS`` when set (else the test's temporary directory); none may be wider than
the screen, and no page may log a console error or a CSP violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.console_helpers import screenshot_dir
from tests.browser.helpers import PASSWORD, path_of, query_of
from tests.browser.screenshots import at_both_widths
from tests.support.accounts import served
from tests.support.live import LiveServer
from tests.support.seed import Seeder
from tests.support.smtp import Received, SmtpServer, smtp_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

EMAIL = "rosa@example.org"
NEW_PASSWORD = "marble kettle sunrise hedgehog"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/[a-z/]+\?token=[A-Za-z0-9_-]+)")


@contextmanager
def running(database_url: str, signup: str) -> Iterator[tuple[LiveServer, Seeder, SmtpServer]]:
    with smtp_server() as smtp:
        env = {
            "CONSENTRY_SMTP_URL": smtp.url(),
            "CONSENTRY_MAIL_INTERVAL": "1",
            "CONSENTRY_MAIL_FROM": "Consentry <no-reply@consentry.test>",
            "CONSENTRY_SIGNUP": signup,
        }
        with served(database_url, env) as (server, seeder):
            yield server, seeder, smtp


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[LiveServer, Seeder, SmtpServer]]:
    """A server with open sign-up, a real SMTP server, and a seeder on its database."""
    with running(database_url, "open") as w:
        yield w


class Watch:
    """Console errors, page errors and 5xx answers seen by the page (a CSP violation is an error)."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        ok = ("status of 400", "status of 401", "status of 403")  # pages that answer an error on purpose
        page.on(
            "console",
            lambda m: (
                self.errors.append(m.text) if m.type == "error" and not any(s in m.text for s in ok) else None
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)


def shoot(page: Page, directory: Path, name: str) -> None:
    at_both_widths(page, directory, f"join-{name}", wide="desktop")


def mail_to(smtp: SmtpServer, n: int, to: str, subject_has: str) -> Received:
    received = smtp.wait_for(n, timeout=15)
    assert len(received) >= n, [m.message["Subject"] for m in received]
    mail = received[n - 1]
    assert mail.rcpt_tos == [to] and subject_has in str(mail.message["Subject"]), mail.message["Subject"]
    return mail


def link_of(mail: Received) -> str:
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    m = LINK.search(body.get_content())
    assert m, body.get_content()
    return m.group(1)


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def choose(page: Page, password: str, button: str, *, name: str = "") -> None:
    """Fill in a mailed link's form (the name when it asks one, the password twice) and send it."""
    if name:
        page.get_by_label("Your name").fill(name)
    page.get_by_label("New password").fill(password)
    page.get_by_label("Type it again").fill(password)
    submit(page, button)


def test_forgotten_password_to_new_password_by_the_mailed_link(
    world, page: Page, tmp_path: Path
) -> None:  # ACCT-1
    server, seeder, smtp = world
    shots = screenshot_dir(tmp_path / "shots")
    seeder.user(EMAIL)
    watch = Watch(page)

    page.goto(server.url + "/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    assert path_of(page.url) == "/password/forgot"
    shoot(page, shots, "forgot")
    page.get_by_label("Email").fill("not an address")  # the browser's own check first
    page.get_by_label("Email").fill(EMAIL)
    submit(page, "Send the link")
    assert "If an account uses the address you typed" in page.get_by_role("status").inner_text()
    shoot(page, shots, "forgot-sent")

    link = link_of(mail_to(smtp, 1, EMAIL, "Reset your Consentry password"))
    assert link.startswith(server.url + "/password/reset?token=")
    page.goto(link)
    assert page.get_by_role("heading", name="Choose a new password").is_visible()
    assert EMAIL in page.locator(".account-line").inner_text()
    shoot(page, shots, "reset")

    choose(page, "password1234", "Save the new password")
    assert "common" in page.get_by_role("alert").inner_text()  # refused with the reason; the link is kept
    shoot(page, shots, "reset-refused")

    choose(page, NEW_PASSWORD, "Save the new password")
    assert path_of(page.url) == "/signin"
    assert query_of(page.url) == {"email": EMAIL, "notice": "password-changed"}

    notice = mail_to(smtp, 2, EMAIL, "Your Consentry password was changed")
    assert "If it was not you" in str(notice.message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)  # the old one: refused
    submit(page, "Sign in")
    assert path_of(page.url) == "/signin"
    page.get_by_label("Password").fill(NEW_PASSWORD)
    submit(page, "Sign in")
    assert path_of(page.url) == "/account"

    page.goto(link)  # used once: the page says so and offers a new one
    assert page.get_by_role("heading", name="This link no longer works").is_visible()
    shoot(page, shots, "reset-expired")
    assert watch.errors == []


def test_signup_and_invitation_pages(world, page: Page, tmp_path: Path) -> None:  # ACCT-6
    server, seeder, smtp = world
    shots = screenshot_dir(tmp_path / "shots")
    seeder.user("admin@acme.example", org="acme.example", role="admin")
    watch = Watch(page)

    # Sign-up (open on this server): address, mail, name and password, signed in.
    page.goto(server.url + "/signup")
    shoot(page, shots, "signup")
    page.get_by_label("Email").fill("nia@example.org")
    submit(page, "Send the link")
    shoot(page, shots, "signup-sent")
    link = link_of(mail_to(smtp, 1, "nia@example.org", "Confirm your address"))
    page.goto(link)
    shoot(page, shots, "signup-complete")
    choose(page, NEW_PASSWORD, "Create the account", name="Nia Newcomer")
    assert path_of(page.url) == "/account"
    page.goto(link)
    shoot(page, shots, "signup-expired")

    # The organization page: an admin invites; the invitee joins from the mailed link.
    page.context.clear_cookies()
    page.goto(server.url + "/signin?next=/account/organization")
    page.get_by_label("Email").fill("admin@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Sign in")
    assert path_of(page.url) == "/account/organization"
    page.get_by_label("E-mail address").fill("a-rather-long-address.for-the-phone-layout@acme.example")
    submit(page, "Send invitation")
    page.get_by_label("E-mail address").fill("nadia@acme.example")
    page.get_by_label("Role").select_option("admin")
    submit(page, "Send invitation")
    assert page.get_by_role("status").inner_text().startswith("Invitation sent")
    assert page.locator("ul.invitations li").count() == 2
    shoot(page, shots, "organization")
    invite = link_of(mail_to(smtp, 3, "nadia@acme.example", "Join acme.example on Consentry"))

    page.context.clear_cookies()
    page.goto(invite)
    assert page.get_by_role("heading", name="Join acme.example on Consentry").is_visible()
    shoot(page, shots, "invite-accept")
    choose(page, NEW_PASSWORD, "Join acme.example", name="Nadia")
    assert path_of(page.url) == "/account"
    page.goto(invite)
    shoot(page, shots, "invite-expired")
    page.goto(server.url + "/account/organization")  # nadia is an admin of acme.example now
    assert page.locator("ul.invitations li").count() == 1
    assert watch.errors == []


def test_pages_for_people_who_cannot_sign_up_or_invite(
    database_url: str, page: Page, tmp_path: Path
) -> None:  # ACCT-6
    shots = screenshot_dir(tmp_path / "shots")
    with running(database_url, "invite") as (server, seeder, _smtp):
        seeder.user("member@acme.example", org="acme.example")
        watch = Watch(page)
        page.goto(server.url + "/signup")
        assert page.get_by_role("heading", name="Accounts are by invitation").is_visible()
        assert page.locator("form").count() == 0
        shoot(page, shots, "signup-by-invitation")
        page.goto(server.url + "/signin?next=/account/organization")
        page.get_by_label("Email").fill("member@acme.example")
        page.get_by_label("Password").fill(PASSWORD)
        submit(page, "Sign in")
        assert path_of(page.url) == "/account/organization"
        assert "Ask an administrator of acme.example" in page.locator("#not-admin").inner_text()
        shoot(page, shots, "organization-not-admin")
        assert watch.errors == []
