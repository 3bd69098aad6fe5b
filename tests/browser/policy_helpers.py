"""Helpers for the policy-gate browser tests (tests/browser/test_policy_screens.py).

A live server whose settings differ from the shared ``live_server`` fixture (an unverified-user
cap of 2), apps set up as the gate sees them, one browser profile per user, the steps a person
takes on each screen, and peeks at the rows the gate writes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from consentry.domain.projects.logo import reencode_logo
from consentry.settings import Settings
from consentry.storage.tables import Client, ConsentGrant, OutboxMail, Project, UnverifiedPass
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.helpers import authorize_url, path_of, query_of, scope_uri, sign_in
from tests.browser.screenshots import at_both_widths
from tests.support.browserless import pkce_pair
from tests.support.databases import SECRET
from tests.support.live import LiveServer, free_port, start_server
from tests.support.seed import SeededClient, Seeder

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Response

    from tests.browser.conftest import AppCallback

CAL_TITLE = "See and download any calendar you can access"  # calendar.readonly, sensitive
MAIL_TITLE = "View your email messages and settings"  # mail.readonly, restricted
CAP_REFUSAL = "Sign-in to this app is disabled for new users"


# --- the server ------------------------------------------------------------------------------


@contextmanager
def policy_server(database_url: str, **settings: str) -> Iterator[tuple[LiveServer, Seeder]]:
    """uvicorn with extra ``CONSENTRY_*`` settings (``unverified_user_cap="2"``), plus a seeder
    on the same database; the mail and janitor loops are off so the outbox stays as written."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "CONSENTRY_SECRET_KEY": SECRET,
        "CONSENTRY_MAIL_INTERVAL": "0",
        "CONSENTRY_JANITOR_INTERVAL": "0",
        **{f"CONSENTRY_{k.upper()}": v for k, v in settings.items()},
    }
    seeder = Seeder(Settings(database_url=database_url, issuer=url, secret_key=SECRET, environment="test"))
    server = start_server(database_url, port=port, env=env)
    try:
        yield server, seeder
    finally:
        server.stop()
        seeder.close()


# --- apps as the gate sees them --------------------------------------------------------------


def scopes(base: str) -> tuple[str, str]:
    """(calendar.readonly, mail.readonly) on this issuer."""
    return scope_uri(base, "calendar.readonly"), scope_uri(base, "mail.readonly")


def set_project(seeder: Seeder, client: SeededClient, **values: Any) -> int:
    """Set the client's project columns, as the console or a reviewer would have; its id."""
    with seeder.db.unit_of_work() as s:
        project = s.get(Project, s.get(Client, client.pk).project_id)  # type: ignore[union-attr]
        assert project is not None
        for key, value in values.items():
            setattr(project, key, value)
        return project.id


def unverified_app(
    seeder: Seeder, cb: AppCallback, name: str, declared: list[str], **values: Any
) -> tuple[SeededClient, int]:
    """A production External app that declared ``declared`` and had none of it approved."""
    client = seeder.client("web", verified=False, redirect_uris=[cb.url], name=name)
    return client, set_project(seeder, client, declared_scopes=declared, **values)


def logo_png(size: int = 160) -> bytes:
    """A small square logo drawn with Pillow, re-encoded as an upload would be."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, size - 8, size - 8), radius=size // 5, fill=(15, 118, 110))
    draw.ellipse((size * 0.3, size * 0.3, size * 0.7, size * 0.7), fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return reencode_logo(out.getvalue())


# --- one browser profile per person ----------------------------------------------------------


@dataclass
class Visitor:
    """A person with their own browser profile: the page, and every main-frame document answer."""

    page: Page
    documents: list[tuple[str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def last_status(self) -> int:
        return self.documents[-1][1]


def visitor(ctx: BrowserContext) -> Visitor:
    page = ctx.new_page()
    v = Visitor(page)

    def on_response(r: Response) -> None:
        if r.request.is_navigation_request() and r.frame == page.main_frame:
            v.documents.append((r.url, r.status))

    page.on("response", on_response)
    page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    return v


@contextmanager
def profile(chromium: Browser) -> Iterator[Visitor]:
    """A fresh browser profile (cookies of its own), closed afterwards."""
    ctx = chromium.new_context(viewport={"width": 1200, "height": 860}, locale="en-US")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield visitor(ctx)
    finally:
        ctx.close()


def unexpected_errors(v: Visitor, *allowed_statuses: int) -> list[str]:
    """Console and script errors, less Chromium's log line for a page answered on purpose with
    one of ``allowed_statuses`` (a 403 refusal page is a "failed load" to Chromium)."""
    excused = tuple(f"the server responded with a status of {s}" for s in allowed_statuses)
    return [e for e in v.errors if not (excused and any(x in e for x in excused))]


# --- the steps a person takes ----------------------------------------------------------------


def start(
    page: Page,
    base: str,
    client: SeededClient,
    cb: AppCallback,
    *,
    email: str,
    scope: str,
    state: str,
    **extra: str,
) -> str:
    """Open the app's authorization request and sign in when asked; the PKCE verifier."""
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(base, client, cb.url, scope=scope, state=state, challenge=challenge, **extra))
    if path_of(page.url) == "/signin":
        sign_in(page, email)
    return verifier


def on_unverified_screen(page: Page, app_name: str) -> bool:
    return page.locator("h1").inner_text().startswith("This app has not been verified") and (
        # Behind the closed "Advanced": out of the accessibility tree until opened.
        page.get_by_role("button", name=f"Go to {app_name} (unsafe)", include_hidden=True).count() == 1
    )


def open_advanced(page: Page, app_name: str) -> None:
    unsafe = page.get_by_role("button", name=f"Go to {app_name} (unsafe)")
    assert not unsafe.is_visible()  # hidden until the person opens "Advanced"
    page.locator("details.advanced > summary").click()
    assert unsafe.is_visible()


def go_past_unverified(page: Page, app_name: str) -> None:
    """Open "Advanced" and take the unsafe way on; ends on whatever the server answers."""
    open_advanced(page, app_name)
    with page.expect_navigation():
        page.get_by_role("button", name=f"Go to {app_name} (unsafe)").click()


def on_consent_page(page: Page) -> bool:
    return page.locator("h1").inner_text().endswith("wants to access your account")


def checkboxes(page: Page) -> dict[str, bool]:
    """Data-scope checkbox value -> ticked, as the browser sees them."""
    boxes = page.locator('form input[type="checkbox"][name="scope"]')
    return {
        boxes.nth(i).get_attribute("value") or "": boxes.nth(i).is_checked() for i in range(boxes.count())
    }


def allow(page: Page, cb: AppCallback, *titles: str) -> dict[str, str]:
    """Tick the named data scopes, click Allow, and wait for the app; the callback's query."""
    for title in titles:
        page.get_by_label(title).check()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(cb.landed)
    return query_of(page.url)


# --- the rows the gate writes ----------------------------------------------------------------


def unverified_count(seeder: Seeder, project_id: int) -> tuple[int, int]:
    """(the project's counter, its UnverifiedPass rows): they always agree."""
    with seeder.db.unit_of_work() as s:
        project = s.get(Project, project_id)
        assert project is not None
        rows = s.scalar(
            select(func.count()).select_from(UnverifiedPass).where(UnverifiedPass.project_id == project_id)
        )
        return project.unverified_users, int(rows or 0)


def grants(seeder: Seeder, client: SeededClient) -> list[list[str]]:
    with seeder.db.unit_of_work() as s:
        rows = s.scalars(select(ConsentGrant).where(ConsentGrant.client_pk == client.pk))
        return [sorted(g.scopes) for g in rows]


def mails(seeder: Seeder, reason: str) -> list[tuple[list[str], str, str]]:
    """(recipients, subject, body) of the outbox mails with this reason."""
    with seeder.db.unit_of_work() as s:
        rows = s.scalars(select(OutboxMail).where(OutboxMail.reason == reason).order_by(OutboxMail.id))
        return [(list(m.recipients), m.subject, m.body) for m in rows]


# --- screenshots -----------------------------------------------------------------------------


def shoot(page: Page, directory: Path, name: str) -> list[Path]:
    """``policy-<name>-1280.png`` and ``-390.png``, full page, styled, never wider than a phone."""
    page.wait_for_load_state("load")
    # The stylesheet applied (the CSP allows only our own styles): the grey page background.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 248, 250)"
    return at_both_widths(page, directory, f"policy-{name}")
