"""A migrated template per engine, copied for each test: real schema, isolated state, fast."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from consentry.domain.keys.envelope import Envelope
from consentry.domain.keys.manager import ensure_keys
from consentry.storage.db import Database
from consentry.storage.migrate import upgrade
from tests.support.postgres import (
    PostgresServer,
    _admin_execute,
    _sqlalchemy_url,
    drop_database,
    server_version,
)

_counter = itertools.count()
#: The root secret every test settings object uses (keys in the templates are sealed with it).
SECRET = "test-secret-key-0123456789abcdefghijklmnop"


def _migrate_with_keys(url: str) -> None:
    """Migrate, then create signing keys once: RSA generation would otherwise cost every test."""
    upgrade(url)
    db = Database(url)
    with db.unit_of_work() as session:
        ensure_keys(session, Envelope(SECRET))
    db.dispose()


class SqliteTemplates:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        _migrate_with_keys(f"sqlite:///{self.template}")

    def fresh(self) -> str:
        target = self.root / f"t{next(_counter)}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def remove(self, url: str) -> None:
        """A copy's files, once its test is over (a server killed mid-test may have left them)."""
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(path + suffix).unlink(missing_ok=True)


class PostgresTemplates:
    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.template = f"tmpl_{worker}"
        drop_database(server, self.template)
        _admin_execute(server, f'CREATE DATABASE "{self.template}"')
        _migrate_with_keys(self._url(self.template))
        self.worker = worker
        # PostgreSQL 15 copies a template through the WAL by default: 56 ms per test database here,
        # against 35 ms copying its files. That takes a checkpoint, cheap only on our own cluster
        # (fsync off); an external server (CONSENTRY_TEST_POSTGRES_URL) keeps the default.
        private = server.datadir is not None
        self.strategy = " STRATEGY FILE_COPY" if private and server_version(server) >= 150000 else ""

    def _url(self, name: str) -> str:
        return _sqlalchemy_url(self.server.url).set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> tuple[str, str]:
        name = f"t_{self.worker}_{next(_counter)}"
        _admin_execute(self.server, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"{self.strategy}')
        return name, self._url(name)
