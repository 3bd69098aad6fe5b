"""The migrations build exactly the schema the models declare, on both engines: a model changed
without its migration (or the reverse) fails here, not on an operator's ``consentry db upgrade``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.pool import NullPool

from consentry.storage.tables import Base


def test_migrated_database_has_no_drift_from_the_models(database_url: str) -> None:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert drift == []
