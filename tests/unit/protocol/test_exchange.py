"""Authlib's hooks run on prefetched records only: the database is forbidden while they run (ISSUE-10)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from consentry.domain.tokens.store import Found
from consentry.protocol.oauth2 import exchange
from consentry.protocol.oauth2.exchange import Exchange, NoExchange, bound
from consentry.storage.db import Database, DatabaseForbidden


def test_a_hook_outside_the_adapter_has_no_exchange_to_read() -> None:  # ISSUE-10: no second mode
    with pytest.raises(NoExchange):
        exchange.current()


def test_inside_an_exchange_no_unit_of_work_or_statement_runs(tmp_path) -> None:  # ISSUE-10
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        bound_exchange = Exchange(Found())
        with bound(bound_exchange):
            assert exchange.current() is bound_exchange
            with pytest.raises(DatabaseForbidden), db.unit_of_work():
                pass
            with pytest.raises(DatabaseForbidden):
                conn.execute(text("SELECT 1"))
        assert conn.execute(text("SELECT 1")).scalar() == 1  # allowed again once Authlib returned
    db.dispose()
