"""Quotas on the requests that store rows before anyone has signed in (issue 9 item 11).

One service for every such writer: a paused authorization request and a device code today, the
legacy protocols' request tokens later. Each method counts its hits and returns the refusal, or None.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from consentry.domain.ratelimit.counters import RateCounters
from consentry.domain.ratelimit.limiter import Limiter, Verdict
from consentry.domain.ratelimit.limits import Limits
from consentry.storage.tables.base import now


class AnonymousWriters:
    def __init__(self, limiter: Limiter, limits: Limits, counters: Callable[[Session], RateCounters]) -> None:
        self.limiter = limiter
        self.limits = limits
        self.counters = counters

    def authorize(self, session: Session, address: str, client_id: str) -> Verdict | None:
        """An /authorize request about to store flow state for a visitor who is not signed in."""
        hits = [(self.limits.authorize_address, address), (self.limits.authorize_client, client_id)]
        return self.limiter.first_refusal(self.counters(session), hits, now())

    def device_address(self, session: Session, address: str) -> Verdict | None:
        """A device authorization request, before anything is read: per client address."""
        return self.limiter.first_refusal(
            self.counters(session), [(self.limits.device_address, address)], now()
        )

    def passkey_signin(self, session: Session, address: str) -> Verdict | None:
        """A passkey sign-in about to store its challenge for a browser nobody signed in to yet:
        per client address, within the same budget as a paused authorization request."""
        return self.limiter.first_refusal(
            self.counters(session), [(self.limits.authorize_address, address)], now()
        )

    def device_client(self, session: Session, client_id: str) -> Verdict | None:
        """A device code about to be stored for an authenticated client: per client."""
        return self.limiter.first_refusal(
            self.counters(session), [(self.limits.device_client, client_id)], now()
        )

    def code_guess(self, session: Session, address: str) -> Verdict | None:
        """A short user code typed on a page (OAuth 1.0a device mode): per client address, in the
        device flow's budget, so live codes cannot be found by trying (RFC 8628 5.1)."""
        return self.limiter.first_refusal(
            self.counters(session), [(self.limits.device_address, "code:" + address)], now()
        )
