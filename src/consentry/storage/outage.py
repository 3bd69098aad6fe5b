"""Which exceptions mean the database could not answer (down, restarting, a batch that failed).

Every endpoint answers them the same way, 503 with ``Retry-After`` (``protocol/oauth2/errors.py``,
``app.py``); which driver and library raise what is storage's knowledge, so it is named here.
"""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.exc import SQLAlchemyError

from consentry.storage.db import DatabaseForbidden

STORAGE_ERRORS = (SQLAlchemyError, sqlite3.Error, psycopg.Error, ConnectionError, TimeoutError)


def is_storage_outage(exc: BaseException) -> bool:
    """A refused hook (:class:`DatabaseForbidden`) is a bug, not an outage."""
    return isinstance(exc, STORAGE_ERRORS) and not isinstance(exc, DatabaseForbidden)
