"""The approved use cases of each data API (USE-1..5), as pure data.

The lists are what the developer picks from at "What features will you use?" and what the
server accepts; here each is held against the requirement's own words, both ways: every approved
use is offered, and no disallowed use ever is (a developer must not be able to pick "mobile
keyboard" or "CDN" from the list and call it approved).
"""

from __future__ import annotations

import pytest

from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.use_cases import (
    DISALLOWED as SHOWN_DISALLOWED,
)
from consentry.domain.verification.use_cases import (
    USE_CASES,
    choices,
    disallowed,
    refusal,
    reviewers_decide,
)

#: Per API: use-case key -> words its label must carry (the requirement's wording, USE-2..5).
APPROVED: dict[str, dict[str, tuple[str, ...]]] = {
    "mail": {  # USE-2
        "mail.client": ("mail client",),
        "mail.backup": ("automatic backup",),
        "mail.productivity": ("productivity", "crm", "delayed send", "mail merge", "ai summaries"),
        "mail.reporting": ("reporting", "monitoring", "for the user", "itineraries", "parcel tracking"),
    },
    "files": {  # USE-3
        "files.sync": ("local sync", "automatic backup", "the user's files"),
        "files.productivity": ("productivity", "education", "its own ui"),
        "files.reporting": ("reporting", "security", "sharing", "access"),
    },
    "chat": {  # USE-4
        "chat.client": ("chat client",),
        "chat.productivity": ("productivity",),
        "chat.reporting": ("reporting", "monitoring", "out-of-office"),
        "chat.import": ("import", "messages", "members", "groups"),
        "chat.interop": ("interoperability", "messaging products"),
    },
    "meetings": {  # USE-5
        "meetings.media": ("real-time", "processing", "streaming", "storage", "audio/video", "ui"),
        "meetings.productivity": ("productivity",),
        "meetings.reporting": ("reporting", "insights", "talk time"),
        "meetings.interop": ("interoperability", "video products"),
    },
}

#: Per API: words of its disallowed uses (USE-2..5) that no offered use case may carry.
DISALLOWED: dict[str, tuple[str, ...]] = {
    "mail": ("keyboard", "export", "non-mail", "multi-account", "spam", "bulk", "unsolicited"),
    "files": (
        "developer's own",
        "mining",
        "crypto",
        "copyright",
        "distribution",
        "cdn",
        "clon",
        "quota",
        "multi-account",
        "spam",
    ),
    "chat": ("cdn", "content delivery", "multi-account", "spam"),
    "meetings": (
        "monitor",
        "distribut",
        "illegal",
        "copyright",
        "multi-account",
        "deepfake",
        "mislead",
    ),
}


def test_the_apis_with_approved_lists_are_the_four_the_requirements_name() -> None:  # USE-1
    assert set(USE_CASES) == set(APPROVED) == {"mail", "files", "chat", "meetings"}
    # Each is a data API of the catalogue whose sensitive or restricted scopes need a use case, so
    # renaming an API in the catalogue cannot leave its list unreachable.
    catalogue = Catalogue("https://id.example.com")
    risky_apis = {i.api for i in catalogue.by_uri.values() if i.scope_class in ("sensitive", "restricted")}
    assert set(USE_CASES) <= risky_apis


@pytest.mark.parametrize("api", sorted(APPROVED))
def test_each_api_offers_exactly_its_approved_use_cases(api: str) -> None:  # USE-2, USE-3, USE-4, USE-5
    offered = USE_CASES[api]
    assert set(offered) == set(APPROVED[api])
    for key, words in APPROVED[api].items():
        label = offered[key].lower()
        missing = [w for w in words if w not in label]
        assert not missing, f"{key}: {offered[key]!r} lacks {missing}"
    assert len(set(offered.values())) == len(offered)  # no two choices read the same


@pytest.mark.parametrize("api", sorted(DISALLOWED))
def test_no_disallowed_use_is_ever_offered(api: str) -> None:  # USE-2, USE-3, USE-4, USE-5
    for key, label in USE_CASES[api].items():
        text = f"{key} {label}".lower()
        hits = [w for w in DISALLOWED[api] if w in text]
        assert not hits, f"{api} offers {label!r}, which reads as a disallowed use ({hits})"


def test_a_use_case_belongs_to_one_api_and_blank_is_never_a_choice() -> None:  # USE-1
    every = [key for cases in USE_CASES.values() for key in cases]
    assert len(every) == len(set(every))
    for api, cases in USE_CASES.items():
        assert all(key.startswith(f"{api}.") for key in cases)
    # "" is how the developer leaves the choice to the reviewers; it must not be a stored case.
    assert "" not in every


def test_choices_are_the_union_of_the_apis_asked_and_nothing_for_none() -> None:  # USE-1
    assert choices(set()) == {}
    assert choices({"mail"}) == USE_CASES["mail"]
    both = choices({"mail", "files"})
    assert both == {**USE_CASES["files"], **USE_CASES["mail"]}
    assert "chat.client" not in both and "meetings.media" not in both
    assert choices({"sign-in"}) == {}  # an API without sensitive data offers nothing to pick


#: The "Disallowed:" lists of USE-2..5, one entry per item of the requirement, as words each
#: shown line must carry, in the requirement's order.
REQUIRED_DISALLOWED: dict[str, list[tuple[str, ...]]] = {
    "mail": [  # USE-2
        ("mobile keyboard",),
        ("one-off", "manual export"),
        ("storing non-mail data in mail",),
        ("multi-account abuse",),
        ("spam", "unsolicited commercial mail", "bulk mail", "opt-in"),
    ],
    "files": [  # USE-3
        ("backing up the developer's own content", "users' storage"),
        ("crypto mining",),
        ("large-scale distribution", "copyrighted video"),
        ("cdn",),
        ("cloning tools", "split storage", "evade quotas"),
        ("multi-account abuse",),
        ("spam",),
    ],
    "chat": [("cdn",), ("multi-account abuse",), ("spam",)],  # USE-4
    "meetings": [  # USE-5
        ("monitoring", "distributing meeting data", "legal authority", "consent"),
        ("large-scale distribution", "illegal", "copyrighted video"),
        ("multi-account abuse", "deepfakes", "misleading users"),
    ],
}


@pytest.mark.parametrize(
    "api",
    [
        pytest.param("mail", id="USE-2"),
        pytest.param("files", id="USE-3"),
        pytest.param("chat", id="USE-4"),
        pytest.param("meetings", id="USE-5"),
    ],
)
def test_each_disallowed_list_is_the_requirements_list_item_by_item(api: str) -> None:  # USE-2..USE-5
    shown = SHOWN_DISALLOWED[api]
    assert len(shown) == len(REQUIRED_DISALLOWED[api]), shown
    for line, words in zip(shown, REQUIRED_DISALLOWED[api], strict=True):
        missing = [w for w in words if w not in line.lower()]
        assert not missing, f"{api}: {line!r} lacks {missing}"
    assert len(set(shown)) == len(shown)
    # Every word the "never offered" check above guards against is shown as disallowed.
    text = " ".join(shown).lower()
    assert [w for w in DISALLOWED[api] if w not in text and w != "content delivery"] == []


def test_the_disallowed_lists_cover_the_same_apis_as_the_approved_ones() -> None:  # USE-1
    assert set(SHOWN_DISALLOWED) == set(USE_CASES)


def test_disallowed_gives_the_lists_of_the_apis_asked_and_nothing_else() -> None:  # USE-2, USE-4
    assert disallowed(set()) == {}
    assert disallowed({"mail"}) == {"mail": SHOWN_DISALLOWED["mail"]}
    both = disallowed({"chat", "mail", "calendar", "sign-in"})
    assert list(both) == ["chat", "mail"]  # sorted; calendar and sign-in have no list
    assert both["chat"] == SHOWN_DISALLOWED["chat"]


def test_calendar_is_left_to_the_reviewers() -> None:  # USE-1
    # Calendar has sensitive scopes but the requirements approve no use of it in advance.
    catalogue = Catalogue("https://id.example.com")
    risky_apis = {i.api for i in catalogue.by_uri.values() if i.scope_class in ("sensitive", "restricted")}
    assert reviewers_decide(risky_apis) == ["calendar"]
    assert reviewers_decide({"mail", "files"}) == []
    assert choices({"calendar"}) == {} and disallowed({"calendar"}) == {}


def test_a_refusal_names_the_value_and_what_would_do() -> None:  # USE-1
    message = refusal("mail.keyboard", USE_CASES["mail"])
    assert message == (
        "'mail.keyboard' is not an approved use case of the APIs this app asks for. Pick one of the "
        "listed use cases (mail.backup, mail.client, mail.productivity, mail.reporting), or leave it blank"
    )
    # Nothing to pick (calendar only): the only fix is blank.
    assert refusal("calendar.sync", {}) == (
        "'calendar.sync' is not an approved use case of the APIs this app asks for. They have no list "
        "of approved use cases: leave it blank and the reviewers decide"
    )
    # A pasted essay is not echoed back whole.
    long = refusal("x" * 500, USE_CASES["chat"])
    assert long.startswith("'" + "x" * 77 + "...'") and len(long) < 300


def test_a_refusal_shows_no_control_characters() -> None:  # USE-1
    """A newline, an escape sequence or a bidi override typed into the field is not echoed back."""
    message = refusal("mail.\x1b[31mkey\nboard\u202e\x00", USE_CASES["mail"])
    assert message.startswith("'mail.[31mkeyboard' is not an approved use case")
    assert all(c.isprintable() for c in message)
    # The cut still applies to what is shown, not to the raw value.
    long = refusal("\n" * 100 + "y" * 100, USE_CASES["mail"])
    assert long.startswith("'" + "y" * 77 + "...'")
