"""Fixtures of the account tests: the operator's sign-up policy, a second browser, a passkey
authenticator. The app is the real one (tests/conftest.py), every account page mounted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from consentry.settings import Settings
from tests.conftest import ISSUER
from tests.support.browserless import Browser
from tests.support.webauthn_authenticator import Authenticator


@pytest.fixture
def signup_mode(request: pytest.FixtureRequest) -> str:
    """``CONSENTRY_SIGNUP`` for the test's app: the default unless a test parametrizes it
    (``@pytest.mark.parametrize("signup_mode", [...], indirect=True)``) or a module overrides this."""
    return str(getattr(request, "param", Settings.model_fields["signup"].default))


@pytest.fixture
def settings(settings: Settings, signup_mode: str) -> Settings:
    if settings.signup == signup_mode:
        return settings
    return settings.model_copy(update={"signup": signup_mode})


@pytest.fixture
def other_browser(app: FastAPI) -> Iterator[Browser]:
    """A second browser (its own cookies) on the same app."""
    with TestClient(app, base_url=ISSUER) as c:
        yield Browser(c, ISSUER)


@pytest.fixture
def auth() -> Authenticator:
    """A software passkey authenticator, answering for this issuer's origin."""
    return Authenticator(origin=ISSUER)
