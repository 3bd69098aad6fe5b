"""The scope rule every guard applies: all of ``all_of``, and at least one of ``any_of``."""

from __future__ import annotations

from collections.abc import Iterable

from consentry.guard.caller import Caller
from consentry.guard.errors import InsufficientScope


def require_scopes(caller: Caller, any_of: Iterable[str] = (), all_of: Iterable[str] = ()) -> None:
    """Raise InsufficientScope naming every scope of the rule, so the client knows what to ask for."""
    any_list, all_list = list(dict.fromkeys(any_of)), list(dict.fromkeys(all_of))
    missing_all = [s for s in all_list if not caller.has(s)]
    any_ok = not any_list or any(caller.has(s) for s in any_list)
    if not missing_all and any_ok:
        return
    parts = []
    if all_list:
        parts.append("all of: " + " ".join(all_list))
    if any_list:
        parts.append("one of: " + " ".join(any_list))
    raise InsufficientScope(
        "the token lacks a scope this request needs (" + "; ".join(parts) + ")",
        scope=list(dict.fromkeys(all_list + any_list)),
    )
