"""Turn findings into the report ``consentry scan`` prints: classes, verification, advice.

"Narrower" for a requested scope is judged against what the code does with it: the
advisor's cover of the operations found that this scope allows, when that cover is not
the scope itself; for a scope whose operations the code never calls, the catalogue's
narrower alternatives.
"""

from __future__ import annotations

from typing import Any

from consentry.domain.scopes.advisor import advise, narrower_alternatives
from consentry.domain.scopes.catalogue import CLASS_RANK, CLASSES, VERIFICATION, Catalogue, ScopeInfo
from consentry.domain.scopes.scanner.findings import Location, ScanResult


def _locations(found: list[Location]) -> list[dict[str, Any]]:
    return [{"file": loc.file, "line": loc.line} for loc in found]


def narrower(catalogue: Catalogue, scope: ScopeInfo, operations: set[str]) -> list[str]:
    """Scope names that would do for ``scope``'s part of the code, narrowest first."""
    used = operations & set(scope.operations)
    if not used:
        return [s.name for s in narrower_alternatives(catalogue, scope)]
    suggested = advise(catalogue, used).suggested
    return [] if scope in suggested else [s.name for s in suggested]


def highest(scopes: list[ScopeInfo]) -> str | None:
    """The highest class among ``scopes`` (``None`` when there are none)."""
    return max((s.scope_class for s in scopes), key=CLASSES.index, default=None)


def at_or_above(scopes: list[ScopeInfo], threshold: str) -> list[ScopeInfo]:
    """The scopes that trip ``--fail-on threshold``."""
    return [s for s in scopes if s.rank >= CLASS_RANK[threshold]]


def build_report(result: ScanResult, catalogue: Catalogue) -> dict[str, Any]:
    """The JSON shape of ``consentry scan --json`` (the table renders the same dict)."""
    infos = [info for name in result.scopes if (info := catalogue.lookup(name)) is not None]
    infos.sort(key=lambda s: (-s.rank, s.name))
    ops = set(result.operations)
    advice = advise(catalogue, ops, requested=[s.name for s in infos])
    top = highest(infos)
    return {
        "path": result.path,
        "files_scanned": result.tally.scanned,
        "files_skipped": result.tally.skipped,
        "scopes": [
            {
                "scope": s.name,
                "uri": s.uri,
                "class": s.scope_class,
                "verification": s.verification,
                "locations": _locations(result.scopes[s.name]),
                "narrower": narrower(catalogue, s, ops),
            }
            for s in infos
        ],
        "operations": [
            {
                "operation": name,
                "method": catalogue.operations[name].method,
                "path": catalogue.operations[name].path,
                "locations": _locations(found),
            }
            for name, found in result.operations.items()
        ],
        "advice": {
            "suggested": [s.name for s in advice.suggested],
            "conditions": list(advice.conditions),
            "summary": advice.summary,
            "unneeded": list(advice.unneeded),
            "uncovered": list(advice.uncovered),
        },
        "highest_class": top,
        "verification": VERIFICATION[top] if top else "none",
    }
