"""Scan a tree: read each file once, prefilter on bytes, run the detectors, gather findings.

Most files in a real tree mention neither scopes nor data APIs, so the cost is reading
them: a few ``in`` tests on the raw bytes throw them away before any decoding or regex.
Trees above ``PARALLEL_FROM`` files fan out over one process per core, in chunks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice

from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.scopes.scanner.findings import FileFindings, ScanResult, Tally
from consentry.domain.scopes.scanner.operations import operations_in
from consentry.domain.scopes.scanner.patterns import DATA_PREFIX, Vocabulary
from consentry.domain.scopes.scanner.scopes import scopes_in
from consentry.domain.scopes.scanner.walk import MAX_BYTES, Walk, extension

PARALLEL_FROM = 2000
CHUNK = 1000
_FIRST_READ = 65536
_SNIFF = 8192  # a NUL byte in the first 8 KiB marks a binary file, as git decides
# "cope" stands for scope/Scope (and the odd "telescope": a prefilter may let too much through).
_MARKERS = (b"/auth/", DATA_PREFIX.encode(), b"openid", b"cope", b"SCOPE")

Progress = Callable[[int], None]


def _interesting(data: bytes, vocab: Vocabulary) -> bool:
    """Could this file hold a finding? Every detector needs one of these byte strings.

    Plain loops over ``in``: on 100k files a generator per call costs a second.
    """
    for marker in _MARKERS:
        if marker in data:
            return True
    for prefix in vocab.dotted_prefixes:
        if prefix in data:
            return any(name in data for name in vocab.dotted_bytes)
    return False


def _read(path: str) -> bytes | None:
    """The file's bytes, or ``None`` when unreadable or over ``MAX_BYTES``.

    One ``os.read`` of 64 KiB holds almost every source file whole; only bigger files pay
    for an ``fstat`` (``fh.read(MAX_BYTES + 1)`` would allocate 2 MiB for every file).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        head = os.read(fd, _FIRST_READ)
        if len(head) < _FIRST_READ:
            return head
        if os.fstat(fd).st_size > MAX_BYTES:
            return None
        data = head + os.read(fd, MAX_BYTES + 1 - len(head))
        return data if len(data) <= MAX_BYTES else None
    except OSError:
        return None
    finally:
        os.close(fd)


def scan_file(root: str, rel: str, vocab: Vocabulary) -> tuple[FileFindings | None, Tally]:
    """Findings in one file (``None`` when there are none) and whether it was scanned or skipped."""
    data = _read(f"{root}/{rel}")
    if data is None or b"\0" in data[:_SNIFF]:
        return None, Tally(skipped=1)
    if not _interesting(data, vocab):
        return None, Tally(scanned=1)
    ext = extension(os.path.basename(rel)) or ""
    lines = data.decode("utf-8", "replace").split("\n")
    scopes = scopes_in(lines, ext, vocab)
    operations = operations_in(lines, ext, vocab)
    if not (scopes or operations):
        return None, Tally(scanned=1)
    return FileFindings(rel, tuple(sorted(scopes)), tuple(sorted(operations))), Tally(scanned=1)


def scan_chunk(root: str, rels: list[str], vocab: Vocabulary) -> tuple[list[FileFindings], Tally]:
    found: list[FileFindings] = []
    tally = Tally()
    for rel in rels:
        result, counted = scan_file(root, rel, vocab)
        tally.add(counted)
        if result is not None:
            found.append(result)
    return found, tally


_worker_vocab: Vocabulary | None = None


def _init_worker(vocab: Vocabulary) -> None:
    global _worker_vocab
    _worker_vocab = vocab


def _worker_chunk(root: str, rels: list[str]) -> tuple[list[FileFindings], Tally]:
    assert _worker_vocab is not None
    return scan_chunk(root, rels, _worker_vocab)


def scan(
    path: str,
    catalogue: Catalogue,
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
    progress: Progress | None = None,
    on_discovered: Callable[[int], None] | None = None,
) -> ScanResult:
    """Scan ``path`` (a folder or one file); ``workers=None``: one process per core past
    ``PARALLEL_FROM`` files, else in-process.

    The walk feeds the workers as it goes. ``on_discovered`` gets the number of files to read
    once the walk ends (to size a progress bar; no thread may start before the workers fork);
    ``progress`` the number just read, after every chunk.
    """
    vocab = Vocabulary.from_catalogue(catalogue)
    walk = Walk(path)
    files = iter(walk)
    first = list(islice(files, PARALLEL_FROM))
    if workers is None:
        workers = (os.cpu_count() or 1) if len(first) == PARALLEL_FROM else 1
    batches: list[tuple[list[FileFindings], Tally]] = []
    if workers <= 1:
        rels = first + list(files)
        if on_discovered is not None:
            on_discovered(len(rels))
        for start in range(0, len(rels), chunk):
            batches.append(scan_chunk(walk.root, rels[start : start + chunk], vocab))
            if progress is not None:
                progress(min(chunk, len(rels) - start))
    else:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(vocab,)) as pool:
            jobs = [
                (len(rels), pool.submit(_worker_chunk, walk.root, rels))
                for rels in _batched(chain(first, files), chunk)
            ]
            if on_discovered is not None:
                on_discovered(sum(n for n, _ in jobs))
            for n, job in jobs:
                batches.append(job.result())
                if progress is not None:
                    progress(n)
    result = ScanResult(path, Tally(skipped=walk.skipped))
    for found, tally in batches:
        result.tally.add(tally)
        for item in found:
            result.collect(item)
    result.sort()
    return result


def _batched(items: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(islice(items, size)):
        yield batch
