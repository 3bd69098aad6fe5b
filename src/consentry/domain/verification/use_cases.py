"""Approved and disallowed use cases per data API (USE-1..5).

The approved ones are the choices of "What features will you use?"; the disallowed ones are shown
beside them so a developer learns before submitting that, say, a mobile keyboard reading mail is
refused whatever the justification. An API with sensitive scopes but no list (calendar) is left to
the reviewers' judgement: the requirements approve nothing for it in advance.
"""

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

#: The "Disallowed:" lists of USE-2..5, in the requirement's order and words.
DISALLOWED: dict[str, tuple[str, ...]] = {
    "mail": (
        "Mobile keyboards",
        "One-off or manual export",
        "Storing non-mail data in mail",
        "Multi-account abuse",
        "Spam or unsolicited commercial mail (bulk mail only with the recipients' opt-in)",
    ),
    "files": (
        "Backing up the developer's own content into users' storage",
        "Crypto mining",
        "Large-scale distribution of copyrighted video",
        "Use as a CDN",
        "Cloning tools that split storage or evade quotas",
        "Multi-account abuse",
        "Spam",
    ),
    "chat": (
        "Use as a CDN",
        "Multi-account abuse",
        "Spam",
    ),
    "meetings": (
        "Monitoring or distributing meeting data without legal authority or consent",
        "Large-scale distribution of illegal or copyrighted video",
        "Multi-account abuse (including malicious deepfakes and misleading users)",
    ),
}


def choices(apis: set[str]) -> dict[str, str]:
    """The use cases an app asking these APIs may pick ("" = let the reviewers decide)."""
    out: dict[str, str] = {}
    for api in sorted(apis):
        out.update(USE_CASES.get(api, {}))
    return out


def disallowed(apis: set[str]) -> dict[str, tuple[str, ...]]:
    """Per API asked, the uses no review approves (APIs without a list are left out)."""
    return {api: DISALLOWED[api] for api in sorted(apis) if api in DISALLOWED}


def reviewers_decide(apis: set[str]) -> list[str]:
    """The APIs asked that have no approved list (calendar): their use is judged case by case."""
    return sorted(apis - USE_CASES.keys())


def refusal(value: str, allowed: dict[str, str]) -> str:
    """Why ``value`` was refused, naming it and what would be accepted, so the fix is obvious.
    The value is shown without its non-printable characters (a newline or an escape sequence
    must not reach a page, a log line or a terminal as typed)."""
    printable = "".join(c for c in value if c.isprintable())
    shown = printable if len(printable) <= 80 else printable[:77] + "..."
    head = f"'{shown}' is not an approved use case of the APIs this app asks for."
    if not allowed:
        return f"{head} They have no list of approved use cases: leave it blank and the reviewers decide"
    return f"{head} Pick one of the listed use cases ({', '.join(sorted(allowed))}), or leave it blank"
