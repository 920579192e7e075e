"""A copy of the project's source, as a fresh clone has it: no virtualenv, no node_modules, no
compiled catalogues, no collected static files."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Not in a fresh clone (git ignores them), or not source at all.
NOT_IN_A_CLONE = {
    ".venv",
    "node_modules",
    "staticfiles",
    "screenshots",
    "test-artifacts",
    ".git",
    ".local",
    ".pytest_cache",
    ".ruff_cache",
    # Hypothesis's example database: another xdist worker may be rewriting it during the copy.
    ".hypothesis",
    "db.sqlite3",
}


def copy_source(destination: Path, *, leave_out: set[str] = frozenset()) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for entry in ROOT.iterdir():
        if entry.name in NOT_IN_A_CLONE or entry.name in leave_out:
            continue
        if entry.is_dir():
            shutil.copytree(entry, destination / entry.name, ignore=ignore)
        else:
            shutil.copy2(entry, destination / entry.name)
    return destination
