"""The use-case choice of the verification form in real Chromium (USE-1..5): beside "What features
will you use?" the developer sees each asked API's uses that are never approved, and for calendar,
which has no list, that the reviewers decide. Screenshotted at desktop and phone width."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from consentry.domain.verification.use_cases import DISALLOWED, USE_CASES
from consentry.settings import Settings
from tests.browser.console_helpers import (
    PageErrors,
    add_scope,
    create_project,
    open_tab,
    screenshot_dir,
    shoot,
    sign_in_to_console,
)
from tests.support.databases import SECRET
from tests.support.live import LiveServer, start_server
from tests.support.seed import Seeder

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PROJECT = "Desk Helper"
DEV = "dev@example.org"


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    live = start_server(database_url, env={"CONSENTRY_SECRET_KEY": SECRET})
    seeder = Seeder(Settings(database_url=database_url, issuer=live.url, secret_key=SECRET))
    try:
        yield live, seeder
    finally:
        live.stop()
        seeder.close()


def test_the_form_shows_the_disallowed_uses_beside_the_choice(
    server: tuple[LiveServer, Seeder], page: Page, tmp_path: Path
) -> None:  # USE-1, USE-2, USE-3
    live, seeder = server
    base = live.url
    seeder.user(DEV)
    errors = PageErrors().watch(page)
    sign_in_to_console(page, base, DEV)
    create_project(page, base, PROJECT, status="production")
    for scope in ("mail.readonly", "files.readonly", "calendar.readonly"):
        add_scope(page, base, PROJECT, scope)
    open_tab(page, base, PROJECT, "verification")

    choice = page.get_by_label("What features will you use?")
    values = choice.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert values == ["", *USE_CASES["files"], *USE_CASES["mail"]]  # calendar adds no choice
    limits = page.locator("#use-case-limits")
    assert limits.is_visible()
    for api in ("files", "mail"):
        shown = limits.locator(f".disallowed[data-api={api}] .use").all_inner_texts()
        assert shown == list(DISALLOWED[api]), api
    assert limits.locator(".disallowed").count() == 2  # no chat or meetings list
    assert limits.locator(".reviewers-decide").inner_text() == (
        "Calendar: no list of approved or disallowed uses; the reviewers decide from your answers."
    )
    assert "Never approved, whatever the answers:" in page.locator("#help-app_type").inner_text()
    # The lists sit right under the choice, as the video checklist sits under its field.
    field, listed = page.locator("#use-case").bounding_box(), limits.bounding_box()
    assert field is not None and listed is not None
    assert 0 <= listed["y"] - (field["y"] + field["height"]) < 24

    limits.scroll_into_view_if_needed()
    shoot(page, screenshot_dir(tmp_path / "screenshots"), "verification-use-cases")
    assert errors.unexpected() == []
