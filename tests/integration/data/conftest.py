"""A signed-in user with sample data, and a way to get a token for any set of catalogue scopes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ISSUER
from tests.support.flows import tokens_for
from tests.support.seed import SeededClient

USER = "dana@example.com"
FRIEND = "eli@example.com"


def uri(name: str) -> str:
    return name if name in ("openid", "email", "profile") else f"{ISSUER}/auth/{name}"


@dataclass
class Api:
    """Calls /data/v1 with a bearer token."""

    http: Any
    token: str

    def __call__(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kw)


@pytest.fixture
def app_client(seed) -> SeededClient:
    seed.user(USER)
    seed.user(FRIEND)
    seed.sample_data(USER, FRIEND)
    return seed.client("web", project="Data Test App")


@pytest.fixture
def api_for(browser, client, app_client) -> Callable[..., Api]:
    """``api_for("mail.send", "mail.labels")``: the user consents to exactly these scopes."""

    def make(*names: str, email: str = USER) -> Api:
        scope = " ".join(uri(n) for n in names)
        browser.http.cookies.clear()
        tokens = tokens_for(browser, client, app_client, email, scope, prompt="consent")
        return Api(client, tokens["access_token"])

    return make
