"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright, against a live uvicorn server.

Fixtures here:
- ``chromium``: one browser per test session (per xdist worker);
- ``context`` / ``page``: a fresh profile per test, so cookies never leak between tests;
- ``app_callback``: a tiny HTTP server standing in for the app's redirect URI, recording each hit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.helpers import query_of

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Fail fast: every page here is local, so anything slower than this is a hang, not a slow network.
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    """Skip on a developer machine without Chromium; in CI a missing browser is a broken build."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(
            f"{CHROMIUM} not found; install Debian's chromium package (scripts/install-test-deps.sh)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the dev extras install it
        _unavailable(f"Python Playwright is not installed: {exc}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    ctx = chromium.new_context(viewport={"width": 1200, "height": 860}, locale="en-US")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


class AppCallback:
    """The app's redirect URI: a real listener on a loopback port, so Chromium really lands there."""

    PAGE = b"<!doctype html><title>Example app</title><h1>Back at the app</h1>"

    def __init__(self) -> None:
        hits: list[str] = []
        page = self.PAGE

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.hits = hits
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.origin = f"http://127.0.0.1:{self.port}"
        self.url = self.origin + "/cb"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def landed(self, url: str) -> bool:
        return url.startswith(self.url)

    def queries(self) -> list[dict[str, str]]:
        """The query of every hit on the redirect URI (codes, states, errors)."""
        return [query_of(p) for p in self.hits if p.startswith("/cb")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def app_callback() -> Iterator[AppCallback]:
    cb = AppCallback()
    try:
        yield cb
    finally:
        cb.close()
