"""The catalogue's classes follow SCOPE-2's definitions (SCOPE-1, SCOPE-2)."""

from consentry.domain.scopes.catalogue import Catalogue

REQUIRED = ["mail", "mail.readonly", "mail.metadata", "mail.modify", "mail.compose", "mail.insert", "mail.send", "mail.labels", "mail.settings.basic", "mail.settings.sharing", "files", "files.readonly", "files.file", "files.appdata", "files.metadata", "files.metadata.readonly", "chat.messages", "chat.messages.readonly", "chat.messages.create", "chat.spaces", "chat.spaces.readonly", "chat.memberships", "meetings.space.created", "meetings.space.readonly", "meetings.media.readonly", "calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly", "calendar.freebusy", "openid", "email", "profile"]


def test_every_required_scope_is_catalogued_with_a_description():  # SCOPE-1
    cat = Catalogue("https://id.example.org")
    names = {s.name for s in cat.by_uri.values()}
    assert set(REQUIRED) <= names
    assert all(s.description for s in cat.by_uri.values())
    assert cat.get("https://id.example.org/auth/mail.readonly") is not None
    assert cat.get("openid").is_sign_in  # type: ignore[union-attr]


def test_classes_follow_the_restricted_definitions():  # SCOPE-2
    cat = {s.name: s.scope_class for s in Catalogue("https://id.example.org").by_uri.values()}
    # mail: anything reading/changing bodies, metadata, headers, or mailbox settings is restricted
    for name in (
        "mail",
        "mail.readonly",
        "mail.metadata",
        "mail.modify",
        "mail.compose",
        "mail.insert",
        "mail.settings.basic",
        "mail.settings.sharing",
    ):
        assert cat[name] == "restricted", name
    assert cat["mail.send"] == "sensitive"
    # files: restricted unless the user grants each file
    assert cat["files.file"] != "restricted" and cat["files.appdata"] != "restricted"
    for name in ("files", "files.readonly", "files.metadata", "files.metadata.readonly"):
        assert cat[name] == "restricted", name
    for name in (
        "chat.messages",
        "chat.messages.readonly",
        "chat.messages.create",
        "meetings.media.readonly",
    ):
        assert cat[name] == "restricted", name
    assert all(cat[n] == "sensitive" for n in cat if n.startswith("calendar"))
    assert all(cat[n] == "non-sensitive" for n in ("openid", "email", "profile"))
