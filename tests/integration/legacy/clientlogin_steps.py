"""Steps of the ClientLogin tests: the request exactly as the old client libraries sent it, and the
answer parsed as they parsed it (unordered ``key=value`` lines, PLATFORM_RULES §3)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.settings import Settings
from tests.conftest import ISSUER
from tests.support.seed import Seeder

PASSWORD = "correct-horse-battery"
ANSWER = "ACE479"
#: gdata-python-client's field order (gauth.generate_client_login_request_body).
FIELDS = ("Email", "Passwd", "accountType", "service", "source")


def body(email: str, password: str = PASSWORD, service: str = "cl", **extra: str) -> str:
    fields = {"Email": email, "Passwd": password, "accountType": "HOSTED_OR_GOOGLE", "service": service}
    fields["source"] = "Gulp-CalGulp-1.05"
    fields.update(extra)
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())


def login(
    http: TestClient | httpx.Client, email: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    return http.post(
        "/accounts/ClientLogin",
        content=body(email, password, **extra),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def parsed(response: httpx.Response) -> dict[str, str]:
    """As gdata's ``get_client_login_token_string`` and ``get_captcha_challenge`` read it."""
    return dict(line.split("=", 1) for line in response.text.splitlines() if "=" in line)


def calendar(http: TestClient | httpx.Client, authorization: str) -> httpx.Response:
    return http.get("/data/v1/calendar/events", headers={"authorization": authorization})


@pytest.fixture
def small(settings: Settings) -> Settings:
    """Budgets small enough to cross in a test; the rules are the sign-in page's at any size."""
    return settings.model_copy(
        update={"login_max_failures": 3, "login_address_captcha": 50, "login_address_limit": 80}
    )


@pytest.fixture
def legacy_app(small: Settings) -> FastAPI:
    app = create_app(small)
    app.state.runtime.captchas.text = lambda: ANSWER  # the test must know the answer
    return app


@pytest.fixture
def http(legacy_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(legacy_app, base_url=ISSUER) as c:
        yield c


@pytest.fixture
def seeded(small: Settings) -> Iterator[Seeder]:
    seeder = Seeder(small)
    yield seeder
    seeder.close()
