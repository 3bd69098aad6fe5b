"""Values no column can hold are the caller's mistake, refused before the database sees them.

PostgreSQL refuses text with a NUL character and both engines refuse integers beyond 64 bits;
either would otherwise surface as a driver error, a 500, on whichever endpoint let the value
through (a NUL in a client id, an overflowing timestamp in a data API query). One check on every
statement's parameters, on both engines so that both behave alike, turns them into a domain error
that each endpoint answers in its own format.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, event

from consentry.errors import DomainError

INT64 = (-(2**63), 2**63 - 1)


class UnstorableValue(DomainError):
    def __init__(self, what: str) -> None:
        super().__init__("invalid_request", f"The request holds {what}, which cannot be stored.")


def check(value: Any) -> None:
    """Refuse one value; for writers that bypass SQLAlchemy's events (raw-cursor batches)."""
    _check(value)


def check_row(table: Any, row: Mapping[str, Any]) -> None:
    """Refuse a row for a raw-cursor batch: each value as :func:`check`, and no text longer than its
    column (PostgreSQL refuses it, and the refusal would fail every request of the batch).

    Every token the server issues passes here, so the common value (ASCII text without NUL, within
    its column) is recognised in one test and only the rest goes through :func:`_check`."""
    limits = _text_limits(table)
    for name, value in row.items():
        limit = limits[name]  # a KeyError names a column the table does not have
        if isinstance(value, str):
            if "\x00" in value or not value.isascii():
                _check(value)
            if limit is not None and len(value) > limit:
                raise UnstorableValue(f"a {name.replace('_', ' ')} longer than {limit} characters")
        elif type(value) is int:
            if not INT64[0] <= value <= INT64[1]:
                raise UnstorableValue("a number out of range")
        elif value is not None:
            _check(value)


@functools.cache
def _text_limits(table: Any) -> dict[str, int | None]:
    """Each column's length limit (None: unlimited), read once per table, not once per value."""
    return {column.name: getattr(column.type, "length", None) for column in table.c}


def _check(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise UnstorableValue("text with a NUL character")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise UnstorableValue("text that is not valid Unicode") from None
    elif isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        raise UnstorableValue("a number out of range")


def _values(parameters: Any) -> Iterable[Any]:
    if isinstance(parameters, Mapping):
        return parameters.values()
    if isinstance(parameters, list | tuple):
        return parameters
    return ()


def refuse_unstorable(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _ctx: Any, many: bool
) -> None:
    for params in parameters if many else (parameters,):
        for value in _values(params):
            _check(value)


def install(engine: Engine) -> None:
    event.listen(engine, "before_cursor_execute", refuse_unstorable)
