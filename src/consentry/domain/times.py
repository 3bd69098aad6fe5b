"""Stored times (Unix seconds) as people read them: one format for pages, mails and the shell."""

from __future__ import annotations

import datetime as dt


def when(stamp: int | None, empty: str = "") -> str:
    """``2026-05-04 09:30 UTC``; ``empty`` for a time not set (pages show nothing, the shell "-")."""
    if not stamp:
        return empty
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
