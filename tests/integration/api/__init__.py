"""Tests of the console and review JSON APIs (``/api/v1``), and the helpers they share.

``sign_in`` signs an account in through the sign-in form, as a browser would, and reads the CSRF
token from ``GET /api/v1/session``; ``snapshot`` reads every table a console write touches, so a
refused request can be shown to have changed nothing.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import text
from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.support.browserless import CSRF_RE, FLOW_RE, form_value
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

#: Every table a console or review write may change.
TABLES = (
    "projects",
    "project_members",
    "clients",
    "domain_proofs",
    "verification_requests",
    "review_messages",
    "security_assessments",
    "audit_events",
    "outbox_mail",
)


@dataclass
class Api:
    """One signed-in browser session speaking JSON; writes carry the X-CSRF-Token header."""

    http: TestClient
    csrf: str
    email: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def write(self, method: str, path: str, json: Any = None, *, csrf: str | None = "") -> httpx.Response:
        """``csrf=""`` sends this session's token, ``None`` sends none, anything else is sent as is."""
        token = self.csrf if csrf == "" else csrf
        headers = {} if token is None else {"X-CSRF-Token": token}
        return self.http.request(method, path, json=json, headers=headers)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.write("POST", path, json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.write("PATCH", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.write("PUT", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.write("DELETE", path, **kw)


def sign_in(app: Any, email: str, password: str = PASSWORD) -> Api:
    """A new cookie jar signed in as ``email`` through the sign-in form."""
    http = TestClient(app, base_url=ISSUER)
    page = http.get("/signin")
    form = {
        "csrf": form_value(page.text, CSRF_RE),
        "flow": form_value(page.text, FLOW_RE),
        "email": email,
        "password": password,
        "next": "",
    }
    done = http.post("/signin", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    me = http.get("/api/v1/session")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == email
    return Api(http, me.json()["csrf_token"], email)


class FakeCheckers:
    """Stands in for web/console/checkers.py: no network; records what the pre-checks were given."""

    PRECHECKS = [{"check": "home_page_reachable", "passed": True, "evidence": {"status": 200}}]

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def prove(self, domain: str, challenge: str) -> Any:
        from consentry.domain.verification.domain_ownership import ProofResult

        return ProofResult(False, "dns", "no_record", f"{domain} has no record yet (fake).")

    def prechecks(self, **brand: Any) -> list[dict[str, Any]]:
        self.calls.append(brand)
        return list(self.PRECHECKS)


def fake_checkers(app: Any) -> FakeCheckers:
    from consentry.web.console.checkers import console_checkers

    fake = FakeCheckers()
    app.dependency_overrides[console_checkers] = lambda: fake
    return fake


def snapshot(seed: Seeder) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a console write may touch."""
    with seed.db.unit_of_work() as s:
        return {t: [tuple(r) for r in s.execute(text(f"SELECT * FROM {t} ORDER BY id"))] for t in TABLES}


def rows(seed: Seeder, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with seed.db.unit_of_work() as s:
        return [tuple(r) for r in s.execute(text(sql), params)]


def loaded(value: Any) -> Any:
    """A JSON column as read by raw SQL: text on SQLite, already parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def png(size: tuple[int, int] = (200, 200), *, comment: str = "") -> bytes:
    """A PNG, with a text chunk when ``comment`` is given (it must not survive re-encoding)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if comment:
        info.add_text("Comment", comment)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def error(resp: httpx.Response) -> str:
    """The error code of a JSON error answer (asserting it is one)."""
    body = resp.json()
    assert set(body) == {"error", "error_description"}, body
    return str(body["error"])
