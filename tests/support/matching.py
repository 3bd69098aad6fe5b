"""Reading one value out of a page's HTML in a test, with a failure that shows the page."""

from __future__ import annotations

import re


def matched(pattern: str | re.Pattern[str], text: str) -> str:
    """The first group of ``pattern``'s first match in ``text``; if there is none, the test fails
    saying which pattern and showing the page's start (not an AttributeError on ``None``)."""
    found = re.search(pattern, text)
    assert found is not None, f"no {getattr(pattern, 'pattern', pattern)!r} in: {text[:600]!r}"
    return found.group(1)
