"""The private metrics directory of ``consentry serve``, and what a killed server left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from consentry.cli.metrics_dir import MULTIPROC_ENV, PREFIX, prepare_metrics_dir, remove_orphans


def _gone_pid() -> int:
    """The process id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No operator's directory, and ``tmp_path`` as the temporary directory; the variable that
    prepare_metrics_dir sets is unset again after the test (a bare delenv of an unset variable
    records nothing to undo)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv(MULTIPROC_ENV, "")
    monkeypatch.delenv(MULTIPROC_ENV)


def test_a_private_directory_is_named_for_its_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ISSUE-9.13: each serve counts into its own empty directory
    _private(tmp_path, monkeypatch)
    path = prepare_metrics_dir()
    assert path.parent == tmp_path
    assert path.name.startswith(f"{PREFIX}{os.getpid()}-")
    assert os.environ[MULTIPROC_ENV] == str(path)
    assert list(path.iterdir()) == []


def test_a_killed_servers_directory_is_removed_by_the_next_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # kill -9 skips atexit, so the directory outlived its server
    dead = tmp_path / f"{PREFIX}{_gone_pid()}-abc123"
    dead.mkdir()
    (dead / "counter_1.db").write_bytes(b"x")
    alive = tmp_path / f"{PREFIX}{os.getpid()}-def456"
    alive.mkdir()
    older = tmp_path / f"{PREFIX}ghi789"  # named before the rule: no process id, so kept
    older.mkdir()
    operator = tmp_path / "metrics"
    operator.mkdir()

    _private(tmp_path, monkeypatch)
    fresh = prepare_metrics_dir()

    assert not dead.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [alive.name, older.name, operator.name, fresh.name]
    )


def test_only_directories_are_removed(tmp_path: Path) -> None:
    pid = _gone_pid()
    stray = tmp_path / f"{PREFIX}{pid}-file"
    stray.write_text("not a directory")
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / f"{PREFIX}{pid}-link"
    link.symlink_to(target)
    assert remove_orphans(tmp_path) == []
    assert stray.exists() and link.exists() and target.exists()
