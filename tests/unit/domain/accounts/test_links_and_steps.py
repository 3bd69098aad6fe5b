"""Single-use mailed links and half-done sign-ins, on real storage (ACCT-1, ACCT-3, ACCT-6).

Both are used up by one conditional statement, so two racing clicks or posts cannot both win.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from consentry.domain.accounts.links import Links, Purpose
from consentry.domain.accounts.steps import SigninSteps, StepPurpose
from consentry.domain.secrets import Hasher
from consentry.storage.tables import AccountLink, SigninStep
from consentry.storage.tables.base import now
from tests.support.accounts import seeded_user
from tests.support.seed import Seeder

HASHER = Hasher("k" * 40)


def _user_id(seed: Seeder, email: str) -> int:
    return seeded_user(seed, email).id


def test_link_is_stored_hashed_and_redeemed_once(seed: Seeder) -> None:  # ACCT-1
    uid, links = _user_id(seed, "link@example.org"), Links(HASHER)
    with seed.db.unit_of_work() as s:
        issued = links.issue(s, Purpose.RESET, " Link@Example.org ", ttl=600, user_id=uid)
    with seed.db.unit_of_work() as s:
        stored = [r.token_hash for r in s.scalars(select(AccountLink))]
        assert issued.token not in stored and len(stored) == 1
        facts = links.peek(s, Purpose.RESET, issued.token)
        assert facts is not None and facts.email == "link@example.org" and facts.user_id == uid
        assert links.peek(s, Purpose.INVITE, issued.token) is None  # a reset link is not an invitation
    with seed.db.unit_of_work() as s:
        assert links.redeem(s, Purpose.RESET, issued.token) is not None
    with seed.db.unit_of_work() as s:
        assert links.redeem(s, Purpose.RESET, issued.token) is None
        assert links.peek(s, Purpose.RESET, issued.token) is None


def test_racing_redemptions_let_exactly_one_through(seed: Seeder) -> None:  # ACCT-1
    links = Links(HASHER)
    with seed.db.unit_of_work() as s:
        token = links.issue(s, Purpose.INVITE, "race@example.org", ttl=600).token

    def redeem(_: int) -> bool:
        with seed.db.unit_of_work() as s:
            return links.redeem(s, Purpose.INVITE, token) is not None

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(redeem, range(8)))
    assert won.count(True) == 1


def test_expired_garbage_and_voided_links_are_refused(seed: Seeder) -> None:  # ACCT-1
    links = Links(HASHER)
    with seed.db.unit_of_work() as s:
        old = links.issue(s, Purpose.RESET, "old@example.org", ttl=600).token
        other = links.issue(s, Purpose.RESET, "old@example.org", ttl=600).token
        s.execute(update(AccountLink).values(expires_at=now() - 1).where(AccountLink.email == "x"))
    with seed.db.unit_of_work() as s:
        s.execute(
            update(AccountLink)
            .where(AccountLink.token_hash == links._key(Purpose.RESET, old))
            .values(expires_at=now() - 1)
        )
    with seed.db.unit_of_work() as s:
        assert links.redeem(s, Purpose.RESET, old) is None
        assert (
            links.redeem(s, Purpose.RESET, "") is None and links.redeem(s, Purpose.RESET, "x" * 500) is None
        )
        assert links.void(s, Purpose.RESET, email="OLD@example.org") == 1
    with seed.db.unit_of_work() as s:
        assert links.redeem(s, Purpose.RESET, other) is None


def test_step_is_bound_to_its_browser_and_taken_once(seed: Seeder) -> None:  # ACCT-3
    uid, steps = _user_id(seed, "step@example.org"), SigninSteps(HASHER, ttl=300, max_attempts=3)
    with seed.db.unit_of_work() as s:
        step_id = steps.begin(s, "browser-a", StepPurpose.SECOND_STEP, user_id=uid, amr="pwd", flow="f1")
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(SigninStep.id_hash)) != step_id  # stored as a keyed hash
        assert steps.read(s, "browser-b", step_id, StepPurpose.SECOND_STEP) is None
        assert steps.read(s, "browser-a", step_id, StepPurpose.PASSKEY_SIGNIN) is None
        step = steps.take(s, "browser-a", step_id, StepPurpose.SECOND_STEP)
        assert step is not None and step.user_id == uid and step.amr == "pwd" and step.flow == "f1"
    with seed.db.unit_of_work() as s:
        assert steps.take(s, "browser-a", step_id, StepPurpose.SECOND_STEP) is None


def test_wrong_answers_void_the_step_at_the_limit(seed: Seeder) -> None:  # ACCT-3
    uid, steps = _user_id(seed, "wrong@example.org"), SigninSteps(HASHER, ttl=300, max_attempts=3)
    with seed.db.unit_of_work() as s:
        step_id = steps.begin(s, "b", StepPurpose.SECOND_STEP, user_id=uid)
    left = []
    for _ in range(3):
        with seed.db.unit_of_work() as s:
            left.append(steps.wrong(s, step_id))
    assert left == [2, 1, 0]
    with seed.db.unit_of_work() as s:
        assert steps.read(s, "b", step_id, StepPurpose.SECOND_STEP) is None
        assert steps.take(s, "b", step_id, StepPurpose.SECOND_STEP) is None


def test_expired_step_is_refused(seed: Seeder) -> None:  # ACCT-3
    steps = SigninSteps(HASHER, ttl=300, max_attempts=3)
    with seed.db.unit_of_work() as s:
        step_id = steps.begin(s, "b", StepPurpose.PASSKEY_SIGNIN, challenge="abc")
        s.execute(update(SigninStep).values(expires_at=now() - 1))
    with seed.db.unit_of_work() as s:
        assert steps.take(s, "b", step_id, StepPurpose.PASSKEY_SIGNIN) is None
