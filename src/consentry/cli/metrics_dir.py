"""A fresh ``PROMETHEUS_MULTIPROC_DIR`` for ``consentry serve``, set before workers start.

prometheus-client sums the counter files its processes write in that directory, so every worker
counts into one total (web/metrics.py). Files left by an earlier run would be summed too, and
prometheus-client reads the variable once, when first imported: so ``serve`` prepares the
directory before uvicorn starts (and imports) any worker. Nothing here imports prometheus-client.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


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
    path = Path(tempfile.mkdtemp(prefix="consentry-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    atexit.register(shutil.rmtree, path, True)
    return path
