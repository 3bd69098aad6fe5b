"""Settings, database and hasher for a CLI command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher
from consentry.errors import DomainError
from consentry.settings import Settings
from consentry.storage.db import Database


@contextmanager
def unit_of_work(as_json: bool) -> Iterator[tuple[Session, Settings, Hasher]]:
    from consentry.cli.output import fail

    try:
        settings = Settings()
    except ValidationError as err:
        fail("invalid_settings", "; ".join(e["msg"] for e in err.errors()), as_json)
        raise
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as session:
            yield session, settings, Hasher(settings.secret_key)
    except DomainError as err:
        fail(err.code, err.message, as_json, exit_code=2 if err.callers_fault else 1)
    except SQLAlchemyError as err:  # unreachable, not migrated (`consentry db upgrade`), ...
        fail("database_error", str(getattr(err, "orig", None) or err).splitlines()[0], as_json)
    finally:
        db.dispose()
