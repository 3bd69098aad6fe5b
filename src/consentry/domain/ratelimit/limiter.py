"""Apply a :class:`Limit` to a subject over the shared counters."""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain.ratelimit.counters import RateCounters
from consentry.domain.ratelimit.limits import Limit
from consentry.domain.secrets import Hasher


@dataclass(frozen=True)
class Verdict:
    """The outcome of one counted hit: whether it is within the limit, and how long to wait if not."""

    allowed: bool
    count: int
    retry_after: int = 0


class Limiter:
    """Counts hits per (limit, subject); subjects are hashed so counters hold no address or email."""

    def __init__(self, hasher: Hasher) -> None:
        self.hasher = hasher

    def key(self, limit: Limit, subject: str) -> str:
        return self.hasher.hash(f"ratelimit:{limit.name}:{subject}")

    def hit(self, counters: RateCounters, limit: Limit, subject: str, now: int) -> Verdict:
        """Count one hit first and judge after: concurrent requests can never all slip under the limit."""
        key = self.key(limit, subject)
        got = counters.hit(key, limit.window, now)
        if got.count <= limit.max:
            return Verdict(True, got.count)
        expires_at = got.expires_at
        if limit.backoff:
            until = now + limit.penalty(got.count - limit.max)
            if until > expires_at:
                counters.extend(key, until)
                expires_at = until
        return Verdict(False, got.count, max(1, expires_at - now))

    def first_refusal(
        self, counters: RateCounters, hits: list[tuple[Limit, str]], now: int
    ) -> Verdict | None:
        """Count a hit on each (limit, subject) in turn; the first one over its limit, or None."""
        for limit, subject in hits:
            verdict = self.hit(counters, limit, subject, now)
            if not verdict.allowed:
                return verdict
        return None

    def release(self, counters: RateCounters, limit: Limit, subject: str, now: int) -> None:
        counters.release(self.key(limit, subject), now)

    def count(self, counters: RateCounters, limit: Limit, subject: str, now: int) -> int:
        return counters.peek(self.key(limit, subject), now)
