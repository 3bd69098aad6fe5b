"""The headers of a protocol answer after its type and length, assembled once per distinct list.

Every answer of the protocol adapter carries the security headers, ``no-store`` caching, and
whatever its endpoint or Authlib added (as text pairs); uvicorn needs them lowercased and encoded.
The same few lists come back on nearly every answer (Authlib's token response gives the same three
pairs every time), so each distinct list is assembled once: 2 us per answer otherwise, measured
with bench/ab_cpu.py (bench/README.md). The table keeps ``KEPT`` lists; a list that varies from
answer to answer (a ``Retry-After`` countdown) is assembled each time once the table is full.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consentry.web.security import NO_STORE

#: Set by the adapter itself from the body, so an answer's own are dropped.
FRAMING = (b"content-type", b"content-length")
#: Distinct header lists remembered.
KEPT = 256

Pairs = Sequence[tuple[str, str]] | Sequence[tuple[bytes, bytes]]


class AnswerHeaders:
    """``tail(pairs)``: an answer's own pairs (text or bytes), then ``no-store`` and the security
    headers, as uvicorn takes them. The lists it returns are shared: callers copy, never change."""

    def __init__(self, security: Sequence[tuple[bytes, bytes]]) -> None:
        self.security = list(security)
        self._assembled: dict[tuple[Any, ...], list[tuple[bytes, bytes]]] = {}

    def tail(self, pairs: Pairs) -> list[tuple[bytes, bytes]]:
        key = tuple(pairs)
        found = self._assembled.get(key)
        if found is None:
            found = self._assemble([_encoded(name, value) for name, value in pairs])
            if len(self._assembled) < KEPT:
                self._assembled[key] = found
        return found

    def _assemble(self, own: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        names = {name for name, _ in own}
        kept = [pair for pair in own if pair[0] not in FRAMING]
        # ``no-store`` unless the answer sets its own: nothing a protocol answer says may be cached.
        return kept + [pair for pair in NO_STORE if pair[0] not in names] + self.security


def _encoded(name: str | bytes, value: str | bytes) -> tuple[bytes, bytes]:
    if isinstance(name, bytes) and isinstance(value, bytes):
        return name.lower(), value
    return str(name).lower().encode("latin-1"), str(value).encode("latin-1")
