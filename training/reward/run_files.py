"""What a run writes besides its checkpoint: metrics.jsonl line by line, and its provenance."""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("torch", "transformers", "tokenizers", "accelerate", "peft", "safetensors", "redline")
REPO_ROOT = Path(__file__).resolve().parents[2]


class MetricsLog:
    """Appends one JSON object per line and flushes it, so a watcher can tail the file during training.

    Every line has `step` and `total_steps`; NaN and infinities are written as null (valid JSON).
    """

    def __init__(self, path: Path | None):
        self.path = path
        self._fh = path.open("w", encoding="utf-8") if path is not None else None

    def write(self, row: dict[str, Any]) -> None:
        if self._fh is None:
            return
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
        self._fh.write(json.dumps(clean) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a metrics.jsonl."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line being written right now
    return rows


def package_versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def git_commit() -> str | None:
    """The repository's HEAD commit, with '-dirty' when tracked files differ from it; None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = head.stdout.strip()
    if not commit:
        return None
    return commit + ("-dirty" if dirty.stdout.strip() else "")


def provenance() -> dict[str, Any]:
    """Where and with what a run ran."""
    return {
        "git_commit": git_commit(),
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "host": platform.node(),
        "started_at": datetime.now(UTC).isoformat(),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
