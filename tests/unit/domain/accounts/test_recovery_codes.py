"""Recovery codes: ten, shown once, stored as keyed hashes, each usable once (ACCT-3)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from consentry.domain.accounts.recovery_codes import ALPHABET, RecoveryCodes, normalize
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.secrets import Hasher
from consentry.storage.tables import AuditEvent, OutboxMail, RecoveryCode, User
from tests.support.accounts import seeded_user
from tests.support.seed import Seeder

ROOT = "k" * 40
SHAPE = re.compile(rf"^[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}$")


def _codes() -> RecoveryCodes:
    return RecoveryCodes(Hasher(ROOT, "recovery-code"), operator="Acme ID", issuer="https://id.acme.test")


def _use(seed: Seeder, user: User, code: str) -> bool:
    with seed.db.unit_of_work() as s:
        return _codes().use(s, user, code, channel=Channel.WEB)


def test_ten_codes_shown_grouped_stored_only_as_keyed_hashes(seed: Seeder) -> None:  # ACCT-3
    user = seeded_user(seed, "codes@example.org")
    with seed.db.unit_of_work() as s:
        codes = _codes().generate(s, user, actor=user.email, channel=Channel.WEB)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(SHAPE.match(c) for c in codes), codes
    assert not set("01ilo") & set("".join(codes))  # no look-alikes
    with seed.db.unit_of_work() as s:
        stored = [r.code_hash for r in s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id))]
        assert len(stored) == 10
        assert not any(c.replace("-", "") in h or c in h for c in codes for h in stored)
        # keyed by the root secret under its own purpose: the plain token hasher gives other values
        assert Hasher(ROOT).hash(f"{user.id}:{codes[0].replace('-', '')}") not in stored
        assert s.scalar(select(AuditEvent.tag).where(AuditEvent.tag == AuditTag.USER_RECOVERY_CODES.value))


def test_a_code_works_once_and_the_owner_is_told(seed: Seeder) -> None:  # ACCT-3
    user = seeded_user(seed, "once@example.org")
    with seed.db.unit_of_work() as s:
        codes = _codes().generate(s, user, actor=user.email, channel=Channel.WEB)
    assert _use(seed, user, codes[0].upper())  # as typed: capitals are fine
    assert not _use(seed, user, codes[0])  # the second time: refused
    assert _use(seed, user, " " + codes[1].replace("-", "") + " ")  # without the dash
    assert not _use(seed, user, "aaaaa-aaaaa") and not _use(seed, user, "") and not _use(seed, user, "0" * 10)
    with seed.db.unit_of_work() as s:
        assert _codes().left(s, user.id) == 8
        used = s.scalars(select(AuditEvent).where(AuditEvent.tag == AuditTag.USER_RECOVERY_USED.value)).all()
        assert [e.data["left"] for e in used] == [9, 8]
        mails = s.scalars(
            select(OutboxMail).where(OutboxMail.reason == AuditTag.USER_RECOVERY_USED.value)
        ).all()
        assert len(mails) == 2 and mails[0].recipients == ["once@example.org"]
        assert "recovery code was used" in mails[0].subject and "9 of your codes are left" in mails[0].body


def test_another_accounts_code_does_not_work(seed: Seeder) -> None:  # ACCT-3
    ann, bob = seeded_user(seed, "ann@example.org"), seeded_user(seed, "bob@example.org")
    with seed.db.unit_of_work() as s:
        anns = _codes().generate(s, ann, actor=ann.email, channel=Channel.WEB)
    assert not _use(seed, bob, anns[0])
    assert _use(seed, ann, anns[0])


def test_new_codes_replace_every_old_one(seed: Seeder) -> None:  # ACCT-3
    user = seeded_user(seed, "again@example.org")
    with seed.db.unit_of_work() as s:
        old = _codes().generate(s, user, actor=user.email, channel=Channel.WEB)
    with seed.db.unit_of_work() as s:
        new = _codes().generate(s, user, actor=user.email, channel=Channel.WEB)
    assert not set(old) & set(new)
    assert not _use(seed, user, old[3])
    assert _use(seed, user, new[3])
    with seed.db.unit_of_work() as s:
        assert _codes().left(s, user.id) == 9


def test_racing_uses_of_one_code_let_exactly_one_through(seed: Seeder) -> None:  # ACCT-3
    user = seeded_user(seed, "race@example.org")
    with seed.db.unit_of_work() as s:
        code = _codes().generate(s, user, actor=user.email, channel=Channel.WEB)[0]
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda _: _use(seed, user, code), range(8)))
    assert won.count(True) == 1


def test_normalize() -> None:  # ACCT-3
    assert normalize("ABCDE-FGHJK") == "abcdefghjk"
    for bad in ("abcde-fghj", "abcde-fghjkm", "abcd0-fghjk", "abcde fghjl", "\x00" * 10):
        assert normalize(bad) is None, bad
