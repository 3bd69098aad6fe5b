"""Find the data-API operations a file calls (SCOPE-3: what the advisor needs).

A call is a path under ``/data/v1`` in the source, matched against the catalogue's path
templates segment by segment; a segment built at run time (``${id}``, ``{id}``, ``%s``,
``" + id + "``, ``#{id}``, ``:id``, ``$id``) matches only a template placeholder. Paths
appended to a base URL (``f"{API}/files"``) count in files that mention ``/data/v1``.

The HTTP method comes from the same statement: the path's line, then up to three lines
that continue it (open brackets, ``.chained()`` calls, uses of the variable the URL was
assigned to or of the curl handle it was set on), then up to three lines before it that end
open (``requests.post(``); never across another URL. With no evidence the most literal
template wins, GET on a tie.
"""

from __future__ import annotations

import re

from consentry.domain.scopes.scanner import patterns as p

_WINDOW = 3


def read_path(line: str, start: int) -> tuple[str | None, ...]:
    """The segments of the path whose first ``/`` is at ``start``; ``None`` for a run-time value."""
    segments: list[str | None] = []
    i = start
    while i < len(line) and line[i] == "/":
        m = p.SEGMENT.match(line, i + 1)
        if m is None:
            break
        segments.append(m.group("lit"))
        i = m.end()
        if m.lastgroup == "tail":
            break
    return tuple(segments)


def candidates(segments: tuple[str | None, ...], vocab: p.Vocabulary) -> list[p.Template]:
    """Templates the path can be, keeping only the most literal matches (``send`` over ``{id}``)."""
    found = [
        t
        for t in vocab.templates
        if len(t.segments) == len(segments)
        and all(want is None or want == got for want, got in zip(t.segments, segments, strict=True))
    ]
    if not found:
        return []
    best = max(t.literals for t in found)
    return [t for t in found if t.literals == best]


def method_hints(line: str) -> list[str]:
    """HTTP methods named on a line, explicit ones (``"POST"``, ``HttpMethod.Post``) first."""
    hints = [next(g for g in m.groups() if g is not None).upper() for m in p.EXPLICIT_METHOD.finditer(line)]
    hints += [m.group("m").upper() for m in p.GENERIC_METHOD.finditer(line)]
    return [h for h in hints if h in p.METHODS]


def _paths(line: str, relative: bool) -> list[int]:
    """Where API paths start on a line: after ``/data/v1``, or after a base-URL variable."""
    starts = []
    i = line.find(p.DATA_PREFIX + "/")
    while i >= 0:
        starts.append(i + len(p.DATA_PREFIX))
        i = line.find(p.DATA_PREFIX + "/", i + 1)
    if relative:
        starts += [m.end() for m in p.RELATIVE.finditer(line)]
    return starts


def _choose(found: list[p.Template], evidence: list[str]) -> p.Template:
    for method in evidence:
        for t in found:
            if t.method == method:
                return t
    return next((t for t in found if t.method == "GET"), found[0])


def _balance(line: str) -> int:
    return len(p.BRACKETS_OPEN.findall(line)) - len(p.BRACKETS_CLOSE.findall(line))


def evidence(lines: list[str], index: int, starts: list[list[int]]) -> list[str]:
    """Methods named by the statement around ``lines[index]``, nearest first."""
    before: list[str] = []
    depth = _balance(lines[index])
    for j in range(index - 1, max(index - 1 - _WINDOW, -1), -1):
        line = lines[j]
        if starts[j] or "://" in line or not line.rstrip().endswith(("(", ",")):
            break
        before += method_hints(line)
        depth += max(_balance(line), 0)
    found = method_hints(lines[index])
    assigned = p.ASSIGNED.match(lines[index]) or p.HANDLE.search(lines[index])
    uses = re.compile(rf"\b{re.escape(assigned.group(1))}\b") if assigned else None
    for j in range(index + 1, min(index + 1 + _WINDOW, len(lines))):
        line = lines[j]
        if starts[j] or "://" in line:
            break
        if depth > 0 or line.lstrip().startswith(p.CHAINED) or (uses and uses.search(line)):
            found += method_hints(line)
        elif uses is None:
            break
        depth += _balance(line)
    return found + before


def operations_in(lines: list[str], ext: str, vocab: p.Vocabulary) -> set[tuple[str, int]]:
    """``(operation name, 1-based line)`` for every data-API call in ``lines``."""
    if not any(p.DATA_PREFIX in line for line in lines):
        return set()
    comments = p.COMMENTS.get(ext, ("#", "//"))
    starts = [[] if comments and line.lstrip().startswith(comments) else _paths(line, True) for line in lines]
    found: set[tuple[str, int]] = set()
    for index, line in enumerate(lines):
        for start in starts[index]:
            matches = candidates(read_path(line, start), vocab)
            if matches:
                found.add((_choose(matches, evidence(lines, index, starts)).operation, index + 1))
    return found
