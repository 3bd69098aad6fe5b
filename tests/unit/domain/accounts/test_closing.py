"""Closing one's account, the domain service on real storage (ACCT-6, DATA-4).

The whole step is one transaction: refused (wrong confirmation, sole project owner) it changes
nothing and tells nobody; done, the apps are told before the grants that name them go, the
account is gone with its credentials, and a receipt is queued in the outbox.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from consentry.domain.accounts import closing
from consentry.errors import DomainError
from consentry.storage.tables import (
    AppPassword,
    ConsentGrant,
    OutboxMail,
    Project,
    SecurityEvent,
    TotpFactor,
    User,
)
from consentry.storage.tables.base import now
from tests.support.seed import Seeder

ADA = "ada@example.org"
ISSUER = "https://id.example.com"


def _ada(seed: Seeder) -> int:
    seed.user(ADA)
    with seed.db.unit_of_work() as s:
        uid = s.scalar(select(User.id).where(User.email == ADA))
        assert uid is not None
        return uid


def _close(seed: Seeder, typed: str) -> closing.Closed:
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == ADA))
        assert user is not None
        return closing.close_account(s, user, confirmation=typed, issuer=ISSUER)


def test_the_owner_message_names_each_project_and_what_to_do() -> None:  # ACCT-6
    one = closing.owner_problem(["Weather"])
    assert (one.code, one.status) == ("owns_projects", 409)
    assert one.message == (
        "You are the only owner of the project \u201cWeather\u201d. Before deleting your account, add another "
        "owner to it in the developer console, or delete it there. Your account was not deleted."
    )
    two = closing.owner_problem(["Notes", "Weather"])
    assert two.message.startswith(
        "You are the only owner of the projects \u201cNotes\u201d, \u201cWeather\u201d."
    )
    assert "add another owner to each in the developer console, or delete them there." in two.message


def test_the_receipt_says_when_and_which_apps() -> None:  # ACCT-6
    subject, body = closing.receipt(
        closing.Closed(ADA, 1_767_225_600, ["Cal Buddy", "Mail Pal"], ["Mail Pal"], 2), ISSUER
    )
    assert subject == "Your Consentry account was deleted"
    assert body.startswith(f"Your Consentry account {ADA} was deleted on 1 January 2026 at 00:00 UTC")
    assert "Apps whose access to your account was removed: Cal Buddy, Mail Pal." in body
    assert "so they can delete what they hold about you: Mail Pal." in body
    assert f"contact the people who run {ISSUER}." in body
    _, nothing = closing.receipt(closing.Closed(ADA, 0, [], [], 0), ISSUER)
    assert "removed: none (no app had access to your account)." in nothing


def test_a_wrong_confirmation_changes_nothing(seed: Seeder) -> None:  # ACCT-6
    uid = _ada(seed)
    for typed in ("", "ada@example.com", "ada"):
        with pytest.raises(DomainError) as refused:
            _close(seed, typed)
        assert refused.value.code == "wrong_confirmation"
    with seed.db.unit_of_work() as s:
        assert s.get(User, uid) is not None


def test_a_sole_owner_is_refused_and_nobody_is_told(seed: Seeder) -> None:  # ACCT-6 DATA-4
    uid = _ada(seed)
    listener = seed.client("web", project="Mail Pal")
    seed.client("web", owner=ADA, project="Weather")
    with seed.db.unit_of_work() as s:
        s.add(ConsentGrant(user_id=uid, client_pk=listener.pk, scopes=["openid", "email"]))
        s.execute(update(Project).values(events_endpoint="https://app.example.com/events"))
    with seed.db.unit_of_work() as s:
        user = s.get(User, uid)
        assert user is not None
        seen = closing.preview(s, user)
        assert (seen.apps, seen.sole_owned, seen.blocked) == (["Mail Pal"], ["Weather"], True)
        with pytest.raises(DomainError) as refused:
            closing.close_account(s, user, confirmation=ADA, issuer=ISSUER)
        assert refused.value.code == "owns_projects"
        s.rollback()
    with seed.db.unit_of_work() as s:
        assert s.get(User, uid) is not None
        assert s.scalar(select(func.count()).select_from(SecurityEvent)) == 0


def test_closing_tells_deletes_and_queues_the_receipt(seed: Seeder) -> None:  # ACCT-6 DATA-4
    uid = _ada(seed)
    told = seed.client("web", project="Mail Pal")
    quiet = seed.client("web", project="Cal Buddy")
    with seed.db.unit_of_work() as s:
        s.add(ConsentGrant(user_id=uid, client_pk=told.pk, scopes=["openid", "profile"]))
        s.add(ConsentGrant(user_id=uid, client_pk=quiet.pk, scopes=[f"{ISSUER}/auth/calendar.readonly"]))
        s.execute(update(Project).values(events_endpoint="https://app.example.com/events"))
        s.execute(update(Project).where(Project.name == "Mail Pal").values(app_name="Mail Pal Pro"))
        s.add(TotpFactor(user_id=uid, secret_sealed=b"sealed", confirmed_at=now()))
        s.add(AppPassword(user_id=uid, name="Laptop", secret_hash="a" * 64))
    closed = _close(seed, f" {ADA.upper()} ")
    assert (closed.email, closed.apps, closed.told) == (ADA, ["Cal Buddy", "Mail Pal Pro"], ["Mail Pal Pro"])
    with seed.db.unit_of_work() as s:
        assert s.get(User, uid) is None
        for table in (ConsentGrant, TotpFactor, AppPassword):
            assert s.scalar(select(func.count()).select_from(table)) == 0, table
        [event] = s.scalars(select(SecurityEvent))
        assert event.event_type.endswith("/account-purged") and event.user_id is None
        [mail] = s.scalars(select(OutboxMail))
        assert mail.recipients == [ADA] and mail.subject == "Your Consentry account was deleted"
        assert (
            "told that your account was deleted, so they can delete what they hold about you: Mail Pal Pro."
            in (mail.body)
        )
