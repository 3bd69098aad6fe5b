"""Least-privilege advisor (SCOPE-3, AUTH0-2): the narrowest scopes covering what an app calls.

Risk is measured in *risk points*: every operation a set of scopes allows counts 1 if the
narrowest scope allowing it is non-sensitive, 10 if sensitive, 100 if restricted. A
send-only app asking full mailbox access holds 14 restricted operations (1,400 points)
where one sensitive operation (10 points) would do.

The search is exact (every subset of the candidate scopes of each API): the catalogue has
at most a dozen scopes per API, so it stays a few thousand subsets at worst, and a greedy
cover would sometimes pick a broad restricted scope where two narrow ones exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from consentry.domain.scopes.catalogue import CLASSES, VERIFICATION, Catalogue, ScopeInfo
from consentry.errors import DomainError

WEIGHT = {"non-sensitive": 1, "sensitive": 10, "restricted": 100}
REACH_NOTE = {
    "granted-files": "sees only files the app created or the user picked for it",
    "appdata": "sees only the app's own hidden configuration folder",
    "app-created": "sees only meeting spaces the app created",
}


@dataclass(frozen=True)
class Risk:
    """What a set of scopes lets an app do, and what it costs to get verified."""

    scopes: tuple[str, ...]
    highest_class: str
    verification: str
    operations: tuple[str, ...]
    points: int


@dataclass(frozen=True)
class Advice:
    operations: tuple[str, ...]
    suggested: tuple[ScopeInfo, ...]
    conditions: tuple[str, ...]
    suggested_risk: Risk
    requested_risk: Risk | None
    uncovered: tuple[str, ...]
    unneeded: tuple[str, ...]

    @property
    def summary(self) -> str:
        s = self.suggested_risk
        text = f"needs {_describe(s)}"
        r = self.requested_risk
        if r is None:
            return text
        if self.uncovered:
            return f"{text}; the requested scopes do not allow {', '.join(self.uncovered)}"
        if r.points <= s.points:
            return f"{text}; the requested scopes are already the narrowest"
        ratio = r.points / max(s.points, 1)
        gains = [f"{ratio:.0f}x fewer risk points" if ratio >= 10 else f"{ratio:.2g}x fewer risk points"]
        if len(r.operations) > len(s.operations):
            gains.append(_plural(len(r.operations) - len(s.operations), "fewer operation"))
        if r.verification != s.verification:
            gains.append(f"verification '{r.verification}' -> '{s.verification}'")
        return f"asks {_describe(r)} but {text}: {', '.join(gains)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _describe(r: Risk) -> str:
    names = ", ".join(r.scopes) or "no scopes"
    return f"{names} ({r.highest_class}, {_plural(len(r.operations), 'operation')}, {r.points} risk points)"


def risk_of(catalogue: Catalogue, scopes: Iterable[ScopeInfo]) -> Risk:
    chosen = list(scopes)
    cheapest: dict[str, int] = {}
    for s in chosen:
        for op in s.operations:
            cheapest[op] = min(cheapest.get(op, WEIGHT[s.scope_class]), WEIGHT[s.scope_class])
    top = max((s.scope_class for s in chosen), key=CLASSES.index, default="non-sensitive")
    return Risk(
        scopes=tuple(sorted(s.name for s in chosen)),
        highest_class=top,
        verification=VERIFICATION[top],
        operations=tuple(sorted(cheapest)),
        points=sum(cheapest.values()),
    )


def _cover(needed: set[str], candidates: list[ScopeInfo]) -> tuple[ScopeInfo, ...]:
    best: tuple[tuple[int, int, int, int], tuple[ScopeInfo, ...]] | None = None
    for size in range(1, len(candidates) + 1):
        for combo in combinations(candidates, size):
            if not needed <= {op for s in combo for op in s.operations}:
                continue
            points = sum(WEIGHT[s.scope_class] * len(s.operations) for s in combo)
            # The appdata folder is hidden from the user: suggest it only when nothing else fits.
            appdata = sum(s.reach == "appdata" for s in combo)
            key = (max(s.rank for s in combo), appdata, points, size)
            if best is None or key < best[0]:
                best = (key, combo)
    return best[1] if best else ()


def advise(
    catalogue: Catalogue,
    operations: Iterable[str],
    requested: Iterable[str] = (),
    *,
    narrow_reach: bool = True,
) -> Advice:
    """Narrowest scopes for ``operations``, compared with the ``requested`` scopes (names or URIs).

    ``narrow_reach=False`` leaves out scopes that see only part of the data (files the
    user picked, spaces the app created) for apps that truly need everything.
    """
    ops = sorted(set(operations))
    unknown = [op for op in ops if op not in catalogue.operations]
    if unknown:
        raise DomainError("unknown_operation", f"unknown operation(s): {', '.join(unknown)}")
    asked: list[ScopeInfo] = []
    for name in requested:
        info = catalogue.lookup(name)
        if info is None:
            raise DomainError("invalid_scope", f"unknown scope: {name}")
        asked.append(info)

    suggested: list[ScopeInfo] = [s for s in asked if s.is_sign_in]
    for api in sorted({catalogue.operations[op].api for op in ops}):
        needed = {op for op in ops if catalogue.operations[op].api == api}
        pool = [
            s
            for s in catalogue.by_uri.values()
            if s.api == api and needed & set(s.operations) and (narrow_reach or s.reach == "all")
        ]
        suggested.extend(sorted(_cover(needed, pool), key=lambda s: s.name))
    conditions = tuple(f"{s.name} {REACH_NOTE[s.reach]}" for s in suggested if s.reach != "all")

    requested_risk = risk_of(catalogue, asked) if asked else None
    covered = {op for s in asked for op in s.operations}
    uncovered = tuple(op for op in ops if op not in covered) if asked else ()
    unneeded = tuple(sorted(s.name for s in asked if not s.is_sign_in and not set(s.operations) & set(ops)))
    return Advice(
        operations=tuple(ops),
        suggested=tuple(suggested),
        conditions=conditions,
        suggested_risk=risk_of(catalogue, suggested),
        requested_risk=requested_risk,
        uncovered=uncovered,
        unneeded=unneeded,
    )


def narrower_alternatives(catalogue: Catalogue, scope: ScopeInfo) -> list[ScopeInfo]:
    """Scopes of the same API that allow a subset of ``scope``'s operations at a lower or equal class."""
    ops = set(scope.operations)
    found = [
        s
        for s in catalogue.by_uri.values()
        if s.api == scope.api and s.operations and set(s.operations) < ops and s.rank <= scope.rank
    ]
    return sorted(found, key=lambda s: (s.rank, len(s.operations), s.name))
