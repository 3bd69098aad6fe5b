"""One request's exchange with the token store, as Authlib's hooks see it.

The rule for every Authlib hook registered in this package (grants, endpoints, client
authentication, OpenID extensions): **read only** :attr:`Exchange.found`, **write only** into
:attr:`Exchange.changes`, and never open a database session. The protocol adapter
(``web/protocol_adapter.py``) looks up everything a request can need before Authlib runs, binds
the exchange while Authlib runs (synchronously, on the event loop), then commits the changes once
through the token store. :func:`bound` also forbids the database for that span, so a hook that
reaches for a session fails loudly in every test instead of blocking the event loop in production.

Authlib's ``query_client(client_id)`` receives no request, hence a context variable rather than an
attribute of the request; there is no other mode: outside :func:`bound`, :func:`current` raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from consentry.domain.tokens.store import Changes, Found
from consentry.storage.db import database_forbidden

_current: ContextVar[Exchange | None] = ContextVar("consentry_exchange", default=None)


@dataclass
class Exchange:
    found: Found
    changes: Changes = field(default_factory=Changes)


class NoExchange(RuntimeError):
    """An Authlib hook ran outside the protocol adapter: it has nothing prefetched to read."""


def current() -> Exchange:
    exchange = _current.get()
    if exchange is None:
        raise NoExchange("Authlib ran without an exchange: call it through the protocol adapter")
    return exchange


@contextmanager
def bound(exchange: Exchange) -> Iterator[Exchange]:
    token = _current.set(exchange)
    try:
        with database_forbidden():
            yield exchange
    finally:
        _current.reset(token)
