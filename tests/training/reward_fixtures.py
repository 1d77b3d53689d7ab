"""Shared helpers for the reward-model tests: the tiny tokenizer and hand-made exports."""

import json
from pathlib import Path
from typing import Any

from training.reward.model import load_tokenizer_from
from training.reward.synthetic import make_edit_rows, write_export
from training.tiny import tiny_model_dir


def tiny_tokenizer() -> Any:
    return load_tokenizer_from(tiny_model_dir())


def easy_rows(count: int = 96, seed: int = 0, no_edit_rows: int = 0) -> list[dict[str, Any]]:
    """Rows whose edits remove or replace an obvious defect, labelled by the real alignment."""
    return make_edit_rows(tiny_tokenizer(), count, seed, no_edit_rows)


def write_rows(rows: list[dict[str, Any]], path: Path) -> Path:
    """Rows as JSONL, exactly as given (no manifest), for the bad-input cases."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def export_file(tmp_path: Path, count: int = 96, seed: int = 0, name: str = "data.jsonl") -> Path:
    return write_export(easy_rows(count, seed), tmp_path / name, export_id=f"test-export-{seed}")
