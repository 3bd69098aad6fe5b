"""Schemathesis over the OpenAPI of ``/api/v1`` and ``/data/v1`` (issue 9: no 5xx on any input).

The schema is the app's own (``app.openapi()``, served at ``/openapi.json``) and the requests go
straight to the ASGI app through schemathesis's Python API. The data routes are called with a
bearer token for a user with sample data who granted every data scope, so generated requests get
past the guard into the handlers. Each operation is fuzzed with valid (positive) and invalid
(negative) inputs; the check is schemathesis's ``not_a_server_error``, plus no traceback in any body.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.settings import Settings
from tests.conftest import ISSUER
from tests.security.conftest import FUZZ, SCALE
from tests.security.support import USER, listing
from tests.support.browserless import Browser
from tests.support.databases import SECRET
from tests.support.flows import tokens_for
from tests.support.postgres import drop_database
from tests.support.seed import Seeder

pytestmark = pytest.mark.fuzz

#: Examples per operation and generation mode; ``make fuzz`` multiplies it.
PER_OPERATION = SCALE


@dataclass
class Api:
    schema: Any
    headers: dict[str, str]
    http: TestClient


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The app on a fresh database, a user with sample data, and a token for every data scope."""
    pg_name = None
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_templates").fresh()
    else:
        templates = request.getfixturevalue("pg_templates")
        pg_name, url = templates.fresh()
    settings_ = Settings(
        database_url=url, issuer=ISSUER, secret_key=SECRET, environment="test", janitor_interval=0
    )
    seed = Seeder(settings_)
    app = create_app(settings_)
    try:
        with (
            TestClient(app, base_url=ISSUER, raise_server_exceptions=False) as http,
            TestClient(app, base_url=ISSUER) as browser_http,
        ):
            seed.user(USER)
            seed.user("friend@example.org")
            seed.sample_data(USER, "friend@example.org")
            c = seed.client("web", project="OpenAPI Fuzz App")
            catalogue = app.state.runtime.ctx.catalogue
            data_scopes = [uri for uri in catalogue.uris() if uri not in SIGN_IN]
            tokens = tokens_for(
                Browser(browser_http, ISSUER), http, c, USER, " ".join(["openid", *data_scopes])
            )
            assert set(data_scopes) <= set(tokens["scope"].split()), tokens["scope"]
            schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
                path_regex=r"^/(api|data)/v1/"
            )
            try:
                yield Api(schema, {"Authorization": f"Bearer {tokens['access_token']}"}, http)
            finally:
                shutdown_lifespans()  # the lifespan schemathesis started for its own requests
    finally:
        seed.close()
        if pg_name is not None:
            drop_database(request.getfixturevalue("pg_templates").server, pg_name)


def _operations(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert any(p.startswith("/api/v1/") for p in paths) and any(p.startswith("/data/v1/") for p in paths), (
        paths
    )
    return operations


# SEC-7 OWASP A04:2021 Insecure Design: CWE-209: no input makes an API answer with a server error or a
#   traceback.
def test_fuzz_openapi_no_server_errors(api: Api) -> None:
    """Issue 9: every operation of /api/v1 and /data/v1, positive and negative inputs: schemathesis's
    ``not_a_server_error`` holds and no body carries a traceback. Failures are collected across all
    operations and reported together."""
    failures: dict[str, str] = {}
    for operation in _operations(api.schema):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                FUZZ,
                max_examples=PER_OPERATION,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[
                    HealthCheck.too_slow,
                    HealthCheck.filter_too_much,
                    HealthCheck.data_too_large,
                    HealthCheck.large_base_example,
                ],
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                response = case.call(headers=api.headers)
                case.validate_response(response, checks=[not_a_server_error])
                assert "Traceback" not in response.text and 'File "' not in response.text, response.text[:500]

            try:
                run()
            except Exception as exc:  # collected: one broken operation must not hide the others
                notes = "\n".join(getattr(exc, "__notes__", []))  # schemathesis adds the curl to reproduce
                failures[f"{operation.label} [{mode.value}]"] = (
                    f"{type(exc).__name__}: {str(exc)[:1000]}\n{notes[-1500:]}"
                )
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())


#: Values the schema allows (an unbounded ``int``, any ``str``) that no database column can hold.
TOO_BIG = 2**63
NUL = "a\x00b"


def test_values_the_schema_allows_but_no_column_holds_are_client_errors(api: Api) -> None:
    """Found by this fuzzer: integers past 64 bits (SQLite: OverflowError; PostgreSQL: out of
    range) and NUL in text (PostgreSQL refuses it) must be refused as the caller's mistake (4xx),
    in query parameters and JSON bodies alike, never reach the database as a 500."""
    event = {"summary": "x", "starts_at": 1, "ends_at": 2}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/data/v1/calendar/events", {"params": {"start": TOO_BIG}}),
        ("GET", "/data/v1/calendar/freebusy", {"params": {"start": 0, "end": TOO_BIG}}),
        ("POST", "/data/v1/calendar/events", {"json": {**event, "starts_at": TOO_BIG}}),
        ("POST", "/data/v1/calendar/events", {"json": {**event, "ends_at": TOO_BIG}}),
        ("POST", "/data/v1/calendar/events", {"json": {**event, "summary": NUL}}),
        ("POST", "/data/v1/mail/labels", {"json": {"name": NUL}}),
        ("POST", "/data/v1/chat/spaces", {"json": {"display_name": NUL}}),
        ("POST", "/data/v1/files", {"json": {"name": NUL, "content": "x"}}),
        ("GET", "/data/v1/mail/messages", {"params": {"label": NUL}}),
        ("GET", "/data/v1/mail/messages/a%00b", {}),
        ("GET", "/api/v1/scopes", {"params": {"api": NUL}}),
        ("GET", "/api/v1/scopes/advice", {"params": {"operation": NUL}}),
    ]
    answers = {}
    for method, path, kwargs in requests:
        r = api.http.request(method, path, headers=api.headers, **kwargs)
        answers[f"{method} {path} {kwargs}"] = r.status_code
        assert "Traceback" not in r.text
    server_errors = {k: v for k, v in answers.items() if v >= 500}
    assert not server_errors, "server errors:\n" + listing(server_errors)
