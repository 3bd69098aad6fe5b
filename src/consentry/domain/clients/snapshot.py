"""The one shape of a client the protocol reads, and a per-process cache of them.

A cached snapshot is only a guess: every write that relies on one re-reads the client's
current :attr:`ClientSnapshot.fingerprint` inside the committing transaction, and a mismatch
(secret rotated, client disabled, project status changed, app suspended) drops the entry and
refuses the write. The cache therefore saves a round trip without outliving such a change; the
project's other policy facts are trusted for at most a minute.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from consentry.domain.policy.facts import AppFacts

DEFAULT_SIZE = 50_000
#: Seconds a cached snapshot is trusted for the facts its fingerprint does not cover.
DEFAULT_TTL = 60.0


@dataclass(frozen=True, slots=True)
class ClientSnapshot:
    """The client fields the protocol reads; attribute names match the ``Client`` table."""

    id: int
    client_id: str
    name: str
    secret_hash: str | None
    client_type: str
    access_token_format: str
    id_token_alg: str
    can_introspect: bool
    disabled: bool
    project_id: int
    project_name: str
    project_status: str
    redirect_uris: tuple[str, ...] = ()
    jwks: dict[str, Any] | None = field(default=None, compare=False)
    #: The project's policy state, for the gate (domain/policy/).
    app: AppFacts = field(default_factory=lambda: AppFacts(project_id=0), compare=False)

    @property
    def fingerprint(self) -> tuple[Any, ...]:
        """What must be unchanged at commit time for a token minted from this snapshot to stand."""
        return (
            self.secret_hash,
            self.disabled,
            self.client_type,
            self.access_token_format,
            self.can_introspect,
            self.project_id,
            self.project_status,
            self.redirect_uris,
            # A suspension, or a change of audience, refuses what relied on the old state. The
            # gate's other facts are read fresh by every request but client credentials', whose
            # cached snapshot lives at most ``ClientCache.ttl`` seconds.
            self.app.user_type,
            self.app.suspended,
        )


class ClientCache:
    """A bounded LRU of snapshots by client_id, each kept at most ``ttl`` seconds (so the policy
    facts outside the fingerprint, e.g. a renewed assessment, are seen within that); safe to share
    between threads."""

    def __init__(self, size: int = DEFAULT_SIZE, ttl: float = DEFAULT_TTL) -> None:
        self._size = size
        self._ttl = ttl
        self._entries: OrderedDict[str, tuple[ClientSnapshot, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, client_id: str) -> ClientSnapshot | None:
        with self._lock:
            entry = self._entries.get(client_id)
            if entry is None:
                return None
            if time.monotonic() - entry[1] > self._ttl:
                del self._entries[client_id]
                return None
            self._entries.move_to_end(client_id)
            return entry[0]

    def put(self, snap: ClientSnapshot) -> None:
        with self._lock:
            self._entries[snap.client_id] = (snap, time.monotonic())
            self._entries.move_to_end(snap.client_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def drop(self, client_id: str) -> None:
        with self._lock:
            self._entries.pop(client_id, None)

    def __len__(self) -> int:
        return len(self._entries)
