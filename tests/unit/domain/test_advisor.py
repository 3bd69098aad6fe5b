"""The least-privilege advisor (SCOPE-3, AUTH0-2)."""

from __future__ import annotations

import pytest

from consentry.domain.scopes.advisor import advise, narrower_alternatives
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import DomainError

ISSUER = "https://id.example.org"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue(ISSUER)


def names(advice) -> list[str]:
    return [s.name for s in advice.suggested]


def test_send_only_app_asking_full_mailbox_gets_mail_send(cat: Catalogue) -> None:  # SCOPE-3
    advice = advise(cat, ["mail.messages.send"], [f"{ISSUER}/auth/mail"])
    assert names(advice) == ["mail.send"]
    assert advice.requested_risk is not None
    assert (advice.requested_risk.highest_class, advice.suggested_risk.highest_class) == (
        "restricted",
        "sensitive",
    )
    assert (advice.requested_risk.points, advice.suggested_risk.points) == (1400, 10)
    assert advice.summary == (
        "asks mail (restricted, 14 operations, 1400 risk points) but needs mail.send (sensitive, 1 operation, "
        "10 risk points): 140x fewer risk points, 13 fewer operations, verification "
        "'restricted scope review + security assessment' -> 'sensitive scope review'"
    )


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        (["mail.messages.list"], ["mail.metadata"]),
        (["mail.messages.get"], ["mail.readonly"]),
        (["mail.messages.list", "mail.labels.create"], ["mail.labels", "mail.metadata"]),
        (["mail.drafts.create", "mail.messages.send"], ["mail.compose"]),
        (["mail.messages.delete"], ["mail"]),
        (["mail.forwarding.create"], ["mail.settings.sharing"]),
        (["calendar.freebusy.query"], ["calendar.freebusy"]),
        (["calendar.events.list", "calendar.freebusy.query"], ["calendar.readonly"]),
        (["calendar.events.create", "calendar.freebusy.query"], ["calendar"]),
        (["chat.messages.create"], ["chat.messages.create"]),
        (["chat.messages.list", "chat.messages.create"], ["chat.messages.create", "chat.messages.readonly"]),
        (["chat.messages.list", "chat.messages.delete"], ["chat.messages"]),
        (["meetings.spaces.create", "meetings.participants.list"], ["meetings.space.created"]),
        (["meetings.media.stream"], ["meetings.media.readonly"]),
        (["files.list", "files.content"], ["files.file"]),
    ],
)
def test_narrowest_cover(cat: Catalogue, operations: list[str], expected: list[str]) -> None:  # SCOPE-3
    assert names(advise(cat, operations)) == expected


def test_narrow_reach_is_explained_and_can_be_declined(cat: Catalogue) -> None:
    advice = advise(cat, ["files.list", "files.content"], ["files.readonly"])
    assert names(advice) == ["files.file"]
    assert advice.conditions == ("files.file sees only files the app created or the user picked for it",)
    everything = advise(cat, ["files.list", "files.content"], ["files.readonly"], narrow_reach=False)
    assert names(everything) == ["files.readonly"] and everything.conditions == ()
    assert everything.summary.endswith("the requested scopes are already the narrowest")


def test_uncovered_and_unneeded(cat: Catalogue) -> None:
    advice = advise(
        cat, ["calendar.events.create"], ["openid", "calendar.readonly", f"{ISSUER}/auth/mail.send"]
    )
    assert advice.uncovered == ("calendar.events.create",)
    assert advice.unneeded == ("calendar.readonly", "mail.send")
    assert names(advice) == ["openid", "calendar.events"]  # sign-in scopes asked are kept
    assert "do not allow calendar.events.create" in advice.summary


def test_unknown_input_is_a_clear_error(cat: Catalogue) -> None:
    with pytest.raises(DomainError, match="unknown operation"):
        advise(cat, ["mail.messages.teleport"])
    with pytest.raises(DomainError, match="unknown scope"):
        advise(cat, ["mail.messages.send"], ["mail.everything"])


def test_narrower_alternatives_are_subsets_at_lower_or_equal_class(cat: Catalogue) -> None:
    mail = cat.by_name["mail"]
    alternatives = narrower_alternatives(cat, mail)
    assert [s.name for s in alternatives][:2] == ["mail.labels", "mail.send"]
    assert all(set(s.operations) < set(mail.operations) and s.rank <= mail.rank for s in alternatives)
    assert narrower_alternatives(cat, cat.by_name["mail.send"]) == []
