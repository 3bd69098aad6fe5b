"""Two Consentry server processes on one database, and bursts of requests released together.

What a load balancer in front of several workers looks like: every test that needs real
parallel requests or several processes (scale-out, concurrency of counters, codes, refreshes)
starts its servers here, on PostgreSQL or on one SQLite file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from threading import Barrier
from typing import TypeVar

import pytest

from consentry.settings import Settings
from tests.support.databases import SECRET
from tests.support.live import LiveServer, start_server
from tests.support.postgres import drop_database
from tests.support.seed import Seeder

T = TypeVar("T")


@contextmanager
def two_servers(
    request: pytest.FixtureRequest, engine: str, issuer: str, env: dict[str, str] | None = None
) -> Iterator[tuple[LiveServer, LiveServer, Seeder, str]]:
    """Two processes on a fresh database of ``engine``, one issuer, one secret; and a seeder on it."""
    dropper = None
    if engine == "postgres":
        templates = request.getfixturevalue("pg_templates")
        name, url = templates.fresh()
        dropper = lambda: drop_database(templates.server, name)  # noqa: E731
    else:
        url = request.getfixturevalue("sqlite_templates").fresh()  # the engine turns on WAL per connection
    seeder = Seeder(Settings(database_url=url, issuer=issuer, secret_key=SECRET, environment="test"))
    servers: list[LiveServer] = []
    try:
        for _ in range(2):
            servers.append(
                start_server(url, issuer=issuer, env={"CONSENTRY_SECRET_KEY": SECRET, **(env or {})})
            )
        yield servers[0], servers[1], seeder, url
    finally:
        for server in servers:
            server.stop()
        seeder.close()
        if dropper:
            dropper()


def burst(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, all released at the same moment; results in order."""
    start = Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
