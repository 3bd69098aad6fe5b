"""Where the suite keeps its scratch files: memory, when the machine has room for it.

Every test copies a template database (10 MB on PostgreSQL) and commits with fsync (SQLite's token
commits); on disk, on the VMs this suite runs on, a copy took 50 to 600 ms depending on the
neighbours, and there are thousands. Nothing in a test needs to survive a power cut, so the
scratch space is /dev/shm when it is a writable tmpfs with room; otherwise the usual temp dir.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SHM = Path("/dev/shm")
#: Free space below which /dev/shm is left alone (containers often give it only 64 MB).
ROOM = 2 * 1024**3


def in_memory() -> Path | None:
    """/dev/shm when it can hold the suite's scratch files, else None."""
    try:
        free = shutil.disk_usage(SHM).free
    except OSError:
        return None
    return SHM if free > ROOM and os.access(SHM, os.W_OK) else None


def use_for_temp_files() -> None:
    """Point this process's temp files (pytest's tmp_path too) and its children's there."""
    shm = in_memory()
    if shm is not None:
        tempfile.tempdir = str(shm)
        os.environ["TMPDIR"] = str(shm)
