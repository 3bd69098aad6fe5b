"""The limiter over the real counters table, with the clock given: exact windows and backoff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from consentry.domain.ratelimit import Limit, Limiter
from consentry.domain.secrets import Hasher
from consentry.storage.repositories.rate_counters import SqlRateCounters
from tests.support.databases import SECRET
from tests.support.seed import Seeder

T = 1_000_000


@pytest.fixture
def session(seed: Seeder) -> Iterator[Session]:
    with seed.db.unit_of_work() as s:
        yield s


def test_a_window_admits_max_hits_then_refuses_until_it_ends(session: Session) -> None:
    limiter, counters = Limiter(Hasher(SECRET)), SqlRateCounters(session)
    limit = Limit("test.plain", max=3, window=60)
    verdicts = [limiter.hit(counters, limit, "a", T + i) for i in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert [v.count for v in verdicts] == [1, 2, 3, 4, 5]
    assert verdicts[3].retry_after == 57 and verdicts[4].retry_after == 56  # until T + 60
    assert limiter.hit(counters, limit, "a", T + 60).count == 1  # a new window
    assert limiter.hit(counters, limit, "b", T).count == 1  # subjects count apart


def test_backoff_doubles_the_wait_with_each_hit_past_the_limit(session: Session) -> None:
    # ISSUE-9.2: past the limit an address waits 2, 4, 8 ... seconds more for each further try.
    limiter, counters = Limiter(Hasher(SECRET)), SqlRateCounters(session)
    limit = Limit("test.backoff", max=3, window=60, backoff=True)
    waits = [limiter.hit(counters, limit, "addr", T).retry_after for _ in range(10)]
    # Hits 4-8 wait for the window's end (60 s); from the 9th, 2**6 = 64 s and then 128 s are longer.
    assert waits == [0, 0, 0, 60, 60, 60, 60, 60, 64, 128]
    later = limiter.hit(counters, limit, "addr", T + 100)  # still refused, and the wait grew again
    assert not later.allowed and later.retry_after == 256
    assert limiter.hit(counters, limit, "addr", T + 100 + 256).allowed  # waited it out: a new window


def test_a_released_hit_is_given_back_but_never_below_zero(session: Session) -> None:
    limiter, counters = Limiter(Hasher(SECRET)), SqlRateCounters(session)
    limit = Limit("test.release", max=2, window=60)
    limiter.hit(counters, limit, "s", T)
    limiter.release(counters, limit, "s", T)
    limiter.release(counters, limit, "s", T)
    assert limiter.count(counters, limit, "s", T) == 0
    assert limiter.count(counters, limit, "s", T + 60) == 0  # an ended window counts nothing


def test_first_refusal_stops_at_the_first_limit_exceeded(session: Session) -> None:
    limiter, counters = Limiter(Hasher(SECRET)), SqlRateCounters(session)
    narrow, wide = Limit("test.narrow", 1, 60), Limit("test.wide", 10, 60)
    assert limiter.first_refusal(counters, [(narrow, "x"), (wide, "y")], T) is None
    refused = limiter.first_refusal(counters, [(narrow, "x"), (wide, "y")], T)
    assert refused is not None and refused.count == 2
    assert limiter.count(counters, wide, "y", T) == 1  # not counted once the first refused
