"""What a scan finds, as plain picklable data (worker processes send it back to the parent)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Location:
    """A place in the scanned tree: ``file`` is relative to the scanned path, POSIX separators."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class FileFindings:
    """Scopes and operations found in one file, as ``(name, line)`` pairs sorted by line."""

    file: str
    scopes: tuple[tuple[str, int], ...] = ()
    operations: tuple[tuple[str, int], ...] = ()


@dataclass
class Tally:
    """How many files were read and scanned, and how many were left out (type, size, binary)."""

    scanned: int = 0
    skipped: int = 0

    def add(self, other: Tally) -> None:
        self.scanned += other.scanned
        self.skipped += other.skipped


@dataclass
class ScanResult:
    """Every finding in a tree, grouped by scope name and operation name."""

    path: str
    tally: Tally = field(default_factory=Tally)
    scopes: dict[str, list[Location]] = field(default_factory=dict)
    operations: dict[str, list[Location]] = field(default_factory=dict)

    def collect(self, found: FileFindings) -> None:
        for name, line in found.scopes:
            self.scopes.setdefault(name, []).append(Location(found.file, line))
        for name, line in found.operations:
            self.operations.setdefault(name, []).append(Location(found.file, line))

    def sort(self) -> None:
        """Serial and parallel scans finish files in different orders; the result must not."""
        self.scopes = {k: sorted(set(v)) for k, v in sorted(self.scopes.items())}
        self.operations = {k: sorted(set(v)) for k, v in sorted(self.operations.items())}
