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

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from consentry.domain.tokens.store import Changes, Found
from consentry.storage.db import database_forbidden

_current: ContextVar[Exchange | None] = ContextVar("consentry_exchange", default=None)


@dataclass
class Exchange:
    found: Found
    changes: Changes = field(default_factory=Changes)
    #: The key this request's ID token is signed with, taken once: Authlib asks for the header's
    #: ``kid`` and for the key in two hooks, and a key set reloaded in between (by a thread, as a
    #: rotation takes effect) must not give a header that names another key than the signature's.
    id_token_key: Any = None


class NoExchange(RuntimeError):
    """An Authlib hook ran outside the protocol adapter: it has nothing prefetched to read."""


def current() -> Exchange:
    exchange = _current.get()
    if exchange is None:
        raise NoExchange("Authlib ran without an exchange: call it through the protocol adapter")
    return exchange


class bound:
    """``with bound(exchange):`` Authlib's hooks see ``exchange`` and the database is forbidden."""

    __slots__ = ("_exchange", "_forbidden", "_token")

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange
        self._forbidden = database_forbidden()

    def __enter__(self) -> Exchange:
        self._token = _current.set(self._exchange)
        self._forbidden.__enter__()
        return self._exchange

    def __exit__(self, *_exc: object) -> None:
        try:
            self._forbidden.__exit__()
        finally:
            _current.reset(self._token)
