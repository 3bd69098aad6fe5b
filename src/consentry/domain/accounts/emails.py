"""The one email-address check, for every place an address arrives (API, pages, CLI).

It replaces a regex that backtracked quadratically: one 20 KB address cost over a second of
CPU (ISSUE-9.5). The length is bounded first (RFC 5321 §4.5.3.1: 254 octets in a path, 64 in
the local part), then the address is split once at its only ``@`` and each part is scanned
once by a pattern that cannot backtrack, so the cost is linear and bounded.

The check is deliberately simple, not RFC 5322: one ``@``, printable characters other than
whitespace, and a domain of at least two non-empty dot-separated labels.
"""

from __future__ import annotations

import re

#: RFC 5321 §4.5.3.1.3: a forward-path holds at most 256 octets including the angle brackets.
MAX_ADDRESS = 254
#: RFC 5321 §4.5.3.1.1.
MAX_LOCAL_PART = 64
#: RFC 1035 §2.3.4.
MAX_LABEL = 63
#: One character class, nothing after it: it cannot backtrack, and it only sees bounded input.
_PLAIN = re.compile(r"[^@\s]+")


def _plain(part: str) -> bool:
    """Printable, no whitespace, no ``@``: one C-speed pass over at most 254 characters."""
    return part.isprintable() and _PLAIN.fullmatch(part) is not None


def is_email_address(value: str) -> bool:
    """True if ``value`` looks like ``local@domain.tld``; callers normalise (strip, lower) first."""
    if not isinstance(value, str) or not 3 <= len(value) <= MAX_ADDRESS:
        return False
    local, _at, domain = value.partition("@")
    if not local or len(local) > MAX_LOCAL_PART or not domain:
        return False
    if not (_plain(local) and _plain(domain)):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(0 < len(label) <= MAX_LABEL for label in labels)


def shown(value: str, limit: int = 64) -> str:
    """An address cut short for an error message, so a huge input is not echoed back."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"
