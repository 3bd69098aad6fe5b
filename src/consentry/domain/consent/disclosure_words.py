"""The plain words of the consent screen (CONSENT-3): risk per class, data reached, declared sharing.

Kept apart from the data model so the wording can be read and changed in one place; any change
here changes what users read, so bump ``DISCLOSURE_VERSION`` in disclosure.py with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: One sentence per scope class, without the catalogue's jargon ("restricted", "sensitive").
RISK: dict[str, str] = {
    "non-sensitive": "Lower risk: this reaches only a narrow part of your account.",
    "sensitive": (
        "Higher risk: this reaches private information about you or lets the app act for you. "
        "Allow it only if you trust this app."
    ),
    "restricted": (
        "Highest risk: this reaches your most private data, such as what your messages, files or "
        "meetings contain. Allow it only if you trust this app and its developer."
    ),
}

#: A developer's declaration shown on the page is cut here: the page stays readable, and the
#: receipt stores exactly what was shown.
MAX_DECLARED = 600

_SPACES = re.compile(r"\s+")


def risk_of(scope_class: str) -> str:
    """Unknown classes read as the highest risk: never understate what an app can reach."""
    return RISK.get(scope_class, RISK["restricted"])


def reaches(data_types: Iterable[str], labels: Mapping[str, str]) -> str:
    """The data a scope reaches, as one sentence built from the catalogue's labels."""
    items = [labels.get(d, d) for d in data_types]
    if not items:
        return ""
    tail = [i[:1].lower() + i[1:] for i in items[1:]]
    return "; ".join([items[0], *tail]) + "."


def declared(text: object) -> str:
    """A developer's free text, as one clipped line (whitespace collapsed); "" for anything else."""
    if not isinstance(text, str):
        return ""
    line = _SPACES.sub(" ", text).strip()
    if len(line) > MAX_DECLARED:
        line = line[: MAX_DECLARED - 1].rstrip() + "\u2026"
    return line


def sharing(transfers: object, human_access: object) -> str:
    """The declared transfers and human access (LIMIT-2, LIMIT-3), in words users can read."""
    parts = []
    if given := declared(transfers):
        parts.append(f"Shared with others: {given}")
    if given := declared(human_access):
        parts.append(f"Read by people: {given}")
    return " ".join(p if p.endswith((".", "!", "?", "\u2026")) else p + "." for p in parts)
