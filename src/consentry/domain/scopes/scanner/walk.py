"""Which files a scan reads: source and config files, outside dependency and build folders.

Discovery only looks at names (``os.scandir`` gives file types without a ``stat``); size and
binary checks happen when a file is read, in the worker processes, so the parent stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

#: Folders never entered: VCS data, installed dependencies, virtualenvs, build output, caches.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        "dist",
        "build",
        "vendor",
        "target",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".gradle",
    }
)
SOURCE_EXTENSIONS = frozenset(
    {".py", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".kt", ".go", ".rb", ".php", ".cs"}
)
CONFIG_EXTENSIONS = frozenset({".json", ".yaml", ".yml", ".toml", ".ini", ".properties", ".env", ".xml"})
EXTENSIONS = SOURCE_EXTENSIONS | CONFIG_EXTENSIONS
MAX_BYTES = 2 * 1024 * 1024  # larger files are generated or data, not code a developer wrote


def extension(name: str) -> str | None:
    """The extension that decides how a file is read, or ``None`` when it is not scanned."""
    if name.startswith(".env") and (len(name) == 4 or name[4] == "."):
        return ".env"
    dot = name.rfind(".")
    if dot <= 0:  # no extension, or a dot-file such as .bashrc
        return None
    ext = name[dot:].lower()
    return ext if ext in EXTENSIONS else None


class Walk:
    """Iterate the files to read under ``root`` (a folder or a single file), counting the rest.

    Relative POSIX paths come out as the walk finds them, so reading can start before the
    walk ends; symlinked folders are not followed (no cycles, no escaping the tree).
    """

    def __init__(self, root: str) -> None:
        self.single = os.path.isfile(root)
        self.root = (os.path.dirname(root) or ".") if self.single else root
        self.target = os.path.basename(root) if self.single else ""
        self.skipped = 0

    def __iter__(self) -> Iterator[str]:
        if self.single:
            if extension(self.target) is None:
                self.skipped += 1
            else:
                yield self.target
            return
        stack = [""]
        while stack:
            rel = stack.pop()
            try:
                entries = os.scandir(os.path.join(self.root, rel) if rel else self.root)
            except OSError:
                continue
            with entries:
                for entry in entries:
                    path = f"{rel}/{entry.name}" if rel else entry.name
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            if entry.name not in SKIP_DIRS:
                                stack.append(path)
                        elif entry.is_file() and extension(entry.name) is not None:
                            yield path
                        else:
                            self.skipped += 1
                    except OSError:
                        self.skipped += 1


def discover(root: str) -> tuple[list[str], int]:
    """Every file a scan of ``root`` reads, sorted, and how many files it passes over by name."""
    walk = Walk(root)
    files = sorted(walk)
    return files, walk.skipped
