"""Fixtures for the peer-client tests: a browser on the live server, and http allowed for oauthlib."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.browserless import Browser


@pytest.fixture
def live_browser(live_server) -> Iterator[Browser]:
    """The user's browser, on the live server's URL (its own cookie jar, no shared state)."""
    server, _seed = live_server
    with httpx.Client(timeout=20) as http:
        yield Browser(http, server.url)


@pytest.fixture
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses http endpoints unless told otherwise; the live server is http on loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
