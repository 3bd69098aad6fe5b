"""The catalogue: complete, consistent, and every class proven against SCOPE-2's rule (SCOPE-1, SCOPE-2)."""

from __future__ import annotations

import pytest

from consentry.domain.scopes import catalogue as catalogue_module
from consentry.domain.scopes.catalogue import Catalogue, CatalogueError, ScopeInfo

REQUIRED = [
    "mail",
    "mail.readonly",
    "mail.metadata",
    "mail.modify",
    "mail.compose",
    "mail.insert",
    "mail.send",
    "mail.labels",
    "mail.settings.basic",
    "mail.settings.sharing",
    "files",
    "files.readonly",
    "files.file",
    "files.appdata",
    "files.metadata",
    "files.metadata.readonly",
    "chat.messages",
    "chat.messages.readonly",
    "chat.messages.create",
    "chat.spaces",
    "chat.spaces.readonly",
    "chat.memberships",
    "meetings.space.created",
    "meetings.space.readonly",
    "meetings.media.readonly",
    "calendar",
    "calendar.readonly",
    "calendar.events",
    "calendar.events.readonly",
    "calendar.freebusy",
    "openid",
    "email",
    "profile",
]

# SCOPE-2, written as data the rule reads. A scope is restricted when it exposes any of these
# data types of its API with full reach (the user does not grant each item):
RESTRICTED_DATA = {
    # "reads, creates or changes message bodies (attachments included), metadata or headers,
    #  or controls mailbox access, forwarding or admin settings"
    "mail": {"mail.body", "mail.headers", "mail.metadata", "mail.forwarding", "mail.settings"},
    # "reads, changes or manages file content or metadata without the user granting each file"
    "files": {"files.content", "files.metadata"},
    # "reads, changes or manages message content or metadata"
    "chat": {"chat.content", "chat.metadata"},
    # "reads, changes or manages real-time audio/video"
    "meetings": {"meetings.media"},
}
# Not restricted, and about nothing but the user's identity, labels, or what the user handed
# to the app item by item: non-sensitive. Everything else that touches user data: sensitive.
NON_SENSITIVE_DATA = {
    "account.id",
    "account.email",
    "account.profile",
    "mail.labels",
    "files.app-content",
    "files.appdata",
}


def expected_class(scope: ScopeInfo) -> str:
    if set(scope.data_types) & RESTRICTED_DATA.get(scope.api, set()) and scope.reach == "all":
        return "restricted"
    if set(scope.data_types) <= NON_SENSITIVE_DATA:
        return "non-sensitive"
    return "sensitive"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue("https://id.example.org")


def test_every_required_scope_is_catalogued_with_a_description(cat: Catalogue) -> None:  # SCOPE-1
    assert set(REQUIRED) <= set(cat.by_name)
    assert all(len(s.description) > 10 and s.data_types for s in cat.by_uri.values())
    assert cat.get("https://id.example.org/auth/mail.readonly") is not None
    assert cat.by_name["openid"].uri == "openid" and cat.by_name["openid"].is_sign_in


@pytest.mark.parametrize("name", REQUIRED)
def test_each_class_follows_the_rule(cat: Catalogue, name: str) -> None:  # SCOPE-2
    scope = cat.by_name[name]
    assert scope.scope_class == expected_class(scope), (name, scope.data_types, scope.reach)


def test_the_cases_the_issue_names(cat: Catalogue) -> None:  # SCOPE-2
    classes = {n: s.scope_class for n, s in cat.by_name.items()}
    assert classes["mail.send"] == "sensitive"
    assert classes["files.file"] == "non-sensitive"
    assert classes["mail.metadata"] == classes["mail.readonly"] == "restricted"
    assert classes["meetings.media.readonly"] == "restricted"
    assert all(classes[n] == "sensitive" for n in classes if n.startswith("calendar"))


def test_the_rule_itself_can_fail(cat: Catalogue) -> None:
    """A mislabelled scope is caught: the rule is not a restatement of the labels."""
    from dataclasses import replace

    wrong = replace(cat.by_name["mail.metadata"], scope_class="sensitive")
    assert wrong.scope_class != expected_class(wrong)


def test_operations_and_lookup(cat: Catalogue) -> None:
    assert [s.name for s in cat.allowing("mail.messages.send")] == [
        "mail.send",
        "mail.compose",
        "mail.modify",
        "mail",
    ]
    assert cat.lookup("https://other-issuer.test/auth/files.file") is cat.by_name["files.file"]
    assert cat.lookup("https://other-issuer.test/oauth/files.file") is None
    assert cat.lookup("ftp://x/auth/files") is None
    assert cat.by_name["mail.send"].verification == "sensitive scope review"
    assert cat.by_name["mail"].verification == "restricted scope review + security assessment"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("operations: [mail.nope]", "unknown operations"),
        ("class: secret", "class"),
        ("api: video", "api"),
    ],
)
def test_a_bad_catalogue_stops_start_up(monkeypatch: pytest.MonkeyPatch, broken: str, message: str) -> None:
    from importlib import resources

    import yaml

    raw = yaml.safe_load(resources.files("consentry.domain.scopes").joinpath("catalogue.yaml").read_text())
    key, value = broken.split(": ", 1)
    raw["scopes"][3][key] = yaml.safe_load(value)
    monkeypatch.setattr(catalogue_module, "_source", lambda: yaml.safe_dump(raw))
    catalogue_module._load.cache_clear()
    try:
        with pytest.raises(CatalogueError, match=message):
            Catalogue("https://id.example.org")
    finally:
        monkeypatch.undo()
        catalogue_module._load.cache_clear()
