"""The per-route body limit table (ISSUE-9.3): exact paths, one-segment names, subtrees, a default."""

from __future__ import annotations

from consentry.web.body_rules import (
    BROWSER_FORM,
    DEFAULT,
    FILE_UPLOAD,
    JSON_API,
    MAIL_MESSAGE,
    PROTOCOL_FORM,
    BodyRule,
    KiB,
    MiB,
    RouteTable,
    Style,
)


def test_the_shipped_table_sizes_each_kind_of_endpoint():  # ISSUE-9.3 body limit, per route
    table = RouteTable()
    for path in ("/token", "/revoke", "/introspect", "/device/code"):
        assert table.rule(path) == PROTOCOL_FORM == BodyRule(16 * KiB, Style.OAUTH)
    for path in ("/signin", "/device", "/authorize/consent", "/accounts/choose", "/picker"):
        assert table.rule(path) == BROWSER_FORM and BROWSER_FORM.style is Style.PAGE
    assert table.rule("/data/v1/calendar/events") == JSON_API == BodyRule(1 * MiB, Style.API)
    assert table.rule("/data/v1/files/abc123/permissions") == JSON_API  # only creating a file is big
    assert table.rule("/data/v1/files") == FILE_UPLOAD and FILE_UPLOAD.max_bytes >= 5 * MiB * 4 // 3
    assert table.rule("/data/v1/mail/messages/send") == MAIL_MESSAGE
    assert table.rule("/api/v1/scopes/advice") == JSON_API
    # Anything not listed is bounded like a form, and refused as a page or JSON as the caller accepts.
    assert table.rule("/somewhere/new") == DEFAULT == BodyRule(16 * KiB, Style.AUTO)
    assert table.rule("/token/") == DEFAULT and table.rule("/data/v1") == JSON_API


def test_patterns_name_segments_and_subtrees_and_the_first_written_wins():  # ISSUE-9.3 table as data
    logo = BodyRule(2 * MiB, Style.PAGE)
    table = RouteTable(
        {
            "/console/projects/{project}/logo": logo,
            "/console/*": BROWSER_FORM,
            "/console/projects/{project}/export": JSON_API,  # below a wider pattern: never reached
            "/console/projects/x/export": PROTOCOL_FORM,  # exact paths always win
        },
        default=DEFAULT,
    )
    assert table.rule("/console/projects/p-1/logo") == logo
    assert table.rule("/console/projects/p-1/logo/extra") == BROWSER_FORM
    assert table.rule("/console/projects/a/b/logo") == BROWSER_FORM  # {name} is one segment
    assert table.rule("/console") == BROWSER_FORM and table.rule("/console/x") == BROWSER_FORM
    assert table.rule("/console/projects/p-1/export") == BROWSER_FORM
    assert table.rule("/console/projects/x/export") == PROTOCOL_FORM
    assert table.rule("/consoles") == DEFAULT
    assert RouteTable({"/a.b/*": logo}).rule("/axb/c") == DEFAULT  # literal parts are not regexes
