"""Screenshots at the two widths every page must look finished at: desktop and a 390 px phone.

``at_both_widths`` holds what every page shares: a full-page PNG at each width that is a rendered
page (not a blank one), and nothing wider than the screen (tables scroll or stack). Most suites
first check that the page's own stylesheet applied, which differs per page (``main_is_styled``, or
the page background); ``shoot_console`` does both for the consoles.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

#: A PNG smaller than this is a blank or unstyled page.
MIN_BYTES = 5 * 1024


def at_both_widths(page: Page, directory: Path, stem: str, *, wide: str = "1280") -> list[Path]:
    """``<stem>-<wide>.png`` at desktop width and ``<stem>-390.png`` at a phone's; the page is left
    at desktop width. ``wide`` names the desktop file (older suites call it "desktop")."""
    page.wait_for_load_state("load")
    shots = []
    for label, viewport in ((wide, DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        path = directory / f"{stem}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > MIN_BYTES, path
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path.name}: the page is {overflow}px wider than the screen"
        shots.append(path)
    page.set_viewport_size(DESKTOP)
    return shots


def main_is_styled(page: Page, max_width: str) -> None:
    """The page's own stylesheet applied (the CSP admits only ours): ``<main>`` has the width that
    stylesheet gives it, which differs per console, so it also tells which sheet it was."""
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == max_width, page.url


def shoot_console(
    page: Page, directory: Path, stem: str, max_width: str, *, wide: str = "desktop"
) -> list[Path]:
    """A console page (its ``<main>`` ``max_width`` wide) at both widths."""
    main_is_styled(page, max_width)
    return at_both_widths(page, directory, stem, wide=wide)
