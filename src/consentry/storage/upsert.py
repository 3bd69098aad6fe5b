"""The dialect's INSERT, for ``ON CONFLICT`` statements: SQLAlchemy spells them per dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session) -> Any:
    """``postgresql.insert`` or ``sqlite.insert``; both offer ``on_conflict_do_update``."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
