"""Approved use cases per data API (USE-1..5): the choices of "What features will you use?"."""

from __future__ import annotations

USE_CASES: dict[str, dict[str, str]] = {
    "mail": {
        "mail.client": "Mail client",
        "mail.backup": "Automatic backup",
        "mail.productivity": "Productivity (CRM, delayed send, mail merge, AI summaries)",
        "mail.reporting": "Reporting and monitoring for the user (itineraries, parcel tracking)",
    },
    "files": {
        "files.sync": "Local sync or automatic backup of the user's files",
        "files.productivity": "Productivity or education app working on files through its own UI",
        "files.reporting": "Reporting and security on sharing and access",
    },
    "chat": {
        "chat.client": "Chat client",
        "chat.productivity": "Productivity",
        "chat.reporting": "Reporting and monitoring (e.g. out-of-office notice)",
        "chat.import": "Import of messages, members or groups",
        "chat.interop": "Interoperability with other messaging products",
    },
    "meetings": {
        "meetings.media": "Real-time processing, streaming or storage of participants' audio/video in a UI",
        "meetings.productivity": "Productivity",
        "meetings.reporting": "Reporting (insights, talk time)",
        "meetings.interop": "Interoperability with other video products",
    },
}


def choices(apis: set[str]) -> dict[str, str]:
    """The use cases an app asking these APIs may pick ("" = let the reviewers decide)."""
    out: dict[str, str] = {}
    for api in sorted(apis):
        out.update(USE_CASES.get(api, {}))
    return out
