"""Fixtures shared by every test: a fresh migrated database per test, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.settings import Settings
from tests.support import route_cache, scratch
from tests.support.browserless import Browser
from tests.support.databases import SECRET, PostgresTemplates, SqliteTemplates
from tests.support.live import LiveServer, start_server
from tests.support.postgres import PostgresServer, drop_database
from tests.support.seed import Seeder
from tests.support.suite_env import SUITE

os.environ.update(SUITE)  # before anything hashes a password (tests/support/suite_env.py)
route_cache.install()  # FastAPI analyses each route once per process, not once per test's app
scratch.use_for_temp_files()  # databases and files of tests in memory when there is room

pytest_plugins = ["tests.support.postgres"]  # also imported above, for its names
ISSUER = "http://testserver.local"


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def pg_templates(postgres_server: PostgresServer) -> PostgresTemplates:
    return PostgresTemplates(postgres_server)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test that uses the database runs on both engines (storage contract, DESIGN.md)."""
    if request.param == "sqlite":
        templates: SqliteTemplates = request.getfixturevalue("sqlite_templates")
        url = templates.fresh()
        yield url
        templates.remove(url)  # scratch space may be memory (tests/support/scratch.py)
        return
    pg: PostgresTemplates = request.getfixturevalue("pg_templates")
    name, url = pg.fresh()
    yield url
    drop_database(pg.server, name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        issuer=ISSUER,
        secret_key=SECRET,
        environment="test",
        janitor_interval=0,
        mail_interval=0,
    )


@pytest.fixture
def seed(settings: Settings) -> Iterator[Seeder]:
    seeder = Seeder(settings)
    yield seeder
    seeder.close()


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url=ISSUER) as c:
        yield c


@pytest.fixture
def browser(app) -> Iterator[Browser]:
    with TestClient(app, base_url=ISSUER) as c:
        yield Browser(c, ISSUER)


@pytest.fixture
def live_server(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    """A uvicorn child process on its own port, plus a seeder on the same database."""
    from tests.support.live import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    seeder = Seeder(Settings(database_url=database_url, issuer=url, secret_key=SECRET, environment="test"))
    server = start_server(database_url, port=port, env={"CONSENTRY_SECRET_KEY": SECRET})
    yield server, seeder
    server.stop()
    seeder.close()
