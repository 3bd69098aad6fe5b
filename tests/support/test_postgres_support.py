"""Proves the PostgreSQL helper end to end: server, fresh database, a real table round trip, cleanup."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from tests.support.postgres import PostgresServer

# Idempotent with the main conftest's registration; lets this file also run on its own. The helpers are
# imported inside the tests so the plugin module is first imported by pytest (keeps assert rewriting).
pytest_plugins = ["tests.support.postgres"]

pytestmark = pytest.mark.postgres


def test_database_round_trip(postgres_server: PostgresServer) -> None:
    from tests.support.postgres import create_database, drop_database

    name = f"support_{uuid.uuid4().hex[:12]}"
    url = create_database(postgres_server, name)
    assert url.startswith("postgresql+psycopg://") and url.endswith(f"/{name}")

    metadata = sa.MetaData()
    items = sa.Table(
        "items",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(50), nullable=False),
    )
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(items.insert().values(id=1, label="héllo"))
        with engine.connect() as conn:
            assert conn.execute(sa.select(items.c.label).where(items.c.id == 1)).scalar_one() == "héllo"
            assert conn.execute(sa.text("SHOW fsync")).scalar_one() == "off"
            assert conn.execute(sa.text("SELECT current_database()")).scalar_one() == name
    finally:
        engine.dispose()

    drop_database(postgres_server, name)
    admin = sa.create_engine(postgres_server.url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            remaining = conn.execute(
                sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar_one()
    finally:
        admin.dispose()
    assert remaining == 0


def test_rejects_unsafe_database_names(postgres_server: PostgresServer) -> None:
    from tests.support.postgres import create_database

    with pytest.raises(ValueError):
        create_database(postgres_server, 'x"; DROP DATABASE postgres; --')
