"""The retry schedule of security events: exponential from 30 s, capped at an hour, about four days.

# DATA-2, DATA-4: an event is retried until the app acknowledges it, without hammering a dead
endpoint, and given up on (``failed``) after MAX_ATTEMPTS.
"""

from __future__ import annotations

from consentry.domain.events.deliver import BACKOFF_CAP, BACKOFF_FIRST, MAX_ATTEMPTS, backoff


def test_backoff_doubles_from_thirty_seconds_to_an_hour() -> None:  # DATA-4
    assert [backoff(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert BACKOFF_FIRST == 30 and BACKOFF_CAP == 3600


def test_backoff_never_overflows_or_goes_below_the_first_step() -> None:
    assert backoff(0) == backoff(1) == 30
    assert backoff(10_000) == 3600


def test_retries_span_about_four_days_before_giving_up() -> None:  # DATA-2
    waited = sum(backoff(n) for n in range(1, MAX_ATTEMPTS))
    assert 3.5 * 86_400 < waited < 4.5 * 86_400
