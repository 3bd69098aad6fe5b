"""A fresh ``PROMETHEUS_MULTIPROC_DIR`` for ``consentry serve``, set before workers start.

prometheus-client sums the counter files its processes write in that directory, so every worker
counts into one total (web/metrics.py). Files left by an earlier run would be summed too, and
prometheus-client reads the variable once, when first imported: so ``serve`` prepares the
directory before uvicorn starts (and imports) any worker. Nothing here imports prometheus-client.

A private directory is removed when ``serve`` exits; one that a ``kill -9`` left behind (atexit
never ran) is named for its server's process id, so the next ``serve`` removes it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "consentry-metrics-"


def prepare_metrics_dir() -> Path:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory and return it.

    An operator's directory is kept, emptied of prometheus-client's ``*.db`` files only; otherwise a
    private temporary directory is made, and removed when the server exits.
    """
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return path
    remove_orphans(Path(tempfile.gettempdir()))
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    os.environ[MULTIPROC_ENV] = str(path)
    atexit.register(shutil.rmtree, path, True)
    return path


def remove_orphans(parent: Path) -> list[Path]:
    """Remove this user's private metrics directories in ``parent`` whose server process is gone;
    return them. A directory whose process still runs (or whose name carries no process id, as
    before this rule) is left alone."""
    removed = []
    for candidate in parent.glob(f"{PREFIX}*-*"):
        pid = candidate.name.removeprefix(PREFIX).split("-", 1)[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        if candidate.is_symlink() or not candidate.is_dir() or candidate.stat().st_uid != os.getuid():
            continue
        shutil.rmtree(candidate, ignore_errors=True)
        removed.append(candidate)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
