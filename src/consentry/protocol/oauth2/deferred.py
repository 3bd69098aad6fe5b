"""Token-lane requests run Authlib with everything already read and every write held back.

Authlib's hooks are synchronous. On the token lane they run on the event loop, so they must
not touch the database: the lane fetches what they will read beforehand (a client snapshot,
token rows) and publishes it here; the hooks leave the rows to write and the refresh token to
claim here too, and the lane commits them in a group commit before answering. Outside the lane
(no :class:`Deferred` published) the same hooks read and write through the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from consentry.domain.clients.cache import ClientSnapshot

_current: ContextVar[Deferred | None] = ContextVar("consentry_deferred", default=None)


@dataclass
class Deferred:
    #: Snapshot of each client the request may name, by client_id.
    clients: dict[str, ClientSnapshot] = field(default_factory=dict)
    #: Token rows found for the presented token, by kind ("access_token", "refresh_token").
    tokens: dict[str, Any] = field(default_factory=dict)
    #: Token rows to insert (column -> value).
    writes: list[dict[str, Any]] = field(default_factory=list)
    #: The refresh-token row this request rotates, set only once every check has passed (a
    #: refused request leaves it None); the commit claims it or reports reuse.
    claim: Any = None


def current() -> Deferred | None:
    return _current.get()


@contextmanager
def deferring(deferred: Deferred) -> Iterator[Deferred]:
    token = _current.set(deferred)
    try:
        yield deferred
    finally:
        _current.reset(token)
