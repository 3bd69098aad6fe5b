"""App-specific passwords on real storage (ACCT-4): shown once, stored hashed, named, limited,
revocable one by one, and accepted only by :func:`verify` (the legacy protocols' check)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from consentry.domain.accounts import app_passwords
from consentry.domain.audit.tags import Channel
from consentry.domain.secrets import Hasher
from consentry.errors import DomainError, NotFound
from consentry.storage.tables import AppPassword, AuditEvent, User
from consentry.storage.tables.base import now
from tests.support.accounts import seeded_user, two_step_on
from tests.support.seed import Seeder

ADA, BOB = "ada@example.org", "bob@example.org"
WEB = Channel.WEB


def _user(seed: Seeder, email: str, *, two_step: bool = True) -> User:
    user = seeded_user(seed, email)
    if two_step:
        two_step_on(seed, email)
    return user


@pytest.fixture
def hasher(seed: Seeder) -> Hasher:
    return app_passwords.hasher_for(seed.settings.secret_key)


def _create(
    seed: Seeder, hasher: Hasher, user: User, name: str = "Mail on my laptop"
) -> app_passwords.Created:
    with seed.db.unit_of_work() as s:
        return app_passwords.create(s, hasher, s.merge(user), name, channel=WEB)


def test_shown_once_stored_as_a_keyed_hash_and_verified(seed: Seeder, hasher: Hasher) -> None:  # ACCT-4
    ada = _user(seed, ADA)
    made = _create(seed, hasher, ada, "  Mail   on my laptop ")
    assert re.fullmatch(r"[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}", made.password)
    assert made.row.name == "Mail on my laptop" and made.row.last_used_at is None
    plain = made.password.replace(" ", "")
    with seed.db.unit_of_work() as s:
        [row] = s.scalars(select(AppPassword))
        assert row.secret_hash == hasher.hash(plain) and plain not in row.secret_hash
        # its own purpose key: the platform's other keyed hashes never match
        assert row.secret_hash != Hasher(seed.settings.secret_key).hash(plain)
    for typed in (made.password, plain, plain.upper(), f" {plain[:8]}  {plain[8:]}\t"):
        with seed.db.unit_of_work() as s:
            user = app_passwords.verify(s, hasher, " ADA@example.org ", typed)
            assert user is not None and user.email == ADA
    with seed.db.unit_of_work() as s:
        [listed] = app_passwords.list_for(s, ada.id)
        assert listed.last_used_at is not None and listed.last_used_at >= now() - 5


def test_verify_refuses_what_is_not_exactly_the_users_app_password(seed: Seeder, hasher: Hasher) -> None:
    # ACCT-4: another account's address, a near miss, the account password, a disabled account
    ada = _user(seed, ADA)
    _user(seed, BOB)
    plain = _create(seed, hasher, ada).password.replace(" ", "")
    near = plain[:-1] + ("a" if plain[-1] != "a" else "b")
    with seed.db.unit_of_work() as s:
        assert app_passwords.verify(s, hasher, BOB, plain) is None
        assert app_passwords.verify(s, hasher, ADA, near) is None
        assert app_passwords.verify(s, hasher, ADA, "correct-horse-battery") is None
        assert app_passwords.verify(s, hasher, ADA, plain + "a") is None
        assert app_passwords.verify(s, Hasher(seed.settings.secret_key), ADA, plain) is None
        assert app_passwords.list_for(s, ada.id)[0].last_used_at is None  # nothing was marked used
        s.execute(update(User).where(User.id == ada.id).values(disabled=True))
    with seed.db.unit_of_work() as s:
        assert app_passwords.verify(s, hasher, ADA, plain) is None


def test_only_accounts_with_two_step_may_create_them(seed: Seeder, hasher: Hasher) -> None:  # ACCT-4
    bob = _user(seed, BOB, two_step=False)
    with pytest.raises(DomainError) as refused:
        _create(seed, hasher, bob)
    assert refused.value.code == "two_step_required"
    assert refused.value.message.startswith("App passwords are for accounts with two-step verification.")
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(AppPassword)).all() == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the app password a name, such as the app or device that will use it."),
        (" \t ", "Give the app password a name, such as the app or device that will use it."),
        ("x" * 101, "Keep the name to 100 characters or fewer (it has 101)."),
        ("mail\x00app", "The name cannot hold control characters."),
    ],
)
def test_a_name_is_required_and_short(
    seed: Seeder, hasher: Hasher, name: str, message: str
) -> None:  # ACCT-4
    ada = _user(seed, ADA)
    with pytest.raises(DomainError) as refused:
        _create(seed, hasher, ada, name)
    assert (refused.value.code, refused.value.message) == ("invalid_name", message)
    assert _create(seed, hasher, ada, "x" * 100).row.name == "x" * 100


def test_at_most_twenty_per_account(seed: Seeder, hasher: Hasher) -> None:  # ACCT-4
    ada, bob = _user(seed, ADA), _user(seed, BOB)
    _create(seed, hasher, ada, "App 0")
    with seed.db.unit_of_work() as s:  # the other 19 straight into the table: the count is the point
        s.add_all(AppPassword(user_id=ada.id, name=f"App {i}", secret_hash=f"{i:064x}") for i in range(1, 20))
    with pytest.raises(DomainError) as refused:
        _create(seed, hasher, ada, "One too many")
    assert refused.value.code == "limit"
    assert refused.value.message == (
        "An account holds at most 20 app passwords. Revoke one you no longer use, then create the new one."
    )
    assert _create(seed, hasher, bob, "Bob's own").row.name == "Bob's own"  # per account
    with seed.db.unit_of_work() as s:
        listed = app_passwords.list_for(s, ada.id)
        assert len(listed) == 20 and listed[0].name == "App 19"  # newest first


def test_revoked_one_by_one_and_never_someone_elses(seed: Seeder, hasher: Hasher) -> None:  # ACCT-4
    ada, bob = _user(seed, ADA), _user(seed, BOB)
    first, second = _create(seed, hasher, ada, "Laptop"), _create(seed, hasher, ada, "Phone")
    bobs = _create(seed, hasher, bob, "Bob's")
    with seed.db.unit_of_work() as s:
        with pytest.raises(NotFound):
            app_passwords.revoke(s, ada.id, bobs.row.id, actor=ADA, channel=WEB)
        assert app_passwords.revoke(s, ada.id, first.row.id, actor=ADA, channel=WEB) == "Laptop"
    with seed.db.unit_of_work() as s:
        assert app_passwords.verify(s, hasher, ADA, first.password) is None
        assert app_passwords.verify(s, hasher, ADA, second.password) is not None
        assert app_passwords.verify(s, hasher, BOB, bobs.password) is not None
        tags = list(s.scalars(select(AuditEvent.tag).where(AuditEvent.tag.like("user:app-password:%"))))
        assert tags == ["user:app-password:create"] * 3 + ["user:app-password:revoke"]
        with pytest.raises(NotFound):  # already revoked
            app_passwords.revoke(s, ada.id, first.row.id, actor=ADA, channel=WEB)
    with seed.db.unit_of_work() as s:
        assert app_passwords.revoke_all(s, ada.id, actor=ADA, channel=WEB) == 1
        assert app_passwords.verify(s, hasher, ADA, second.password) is None
        assert [p.name for p in app_passwords.list_for(s, bob.id)] == ["Bob's"]
