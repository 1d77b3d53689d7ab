"""Read a token-labels export (JSONL or Parquet), identify it (export id, content hash) and check its rows.

Every check here runs before any model is loaded, so a bad export fails in a second with a message that
names the row and the problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUIRED_COLUMNS = (
    "prompt", "chosen", "rejected", "edited", "tokenizer_hash",
    "original_input_ids", "original_labels", "edited_input_ids", "edited_labels",
)
ALLOWED_LABELS = frozenset({-100, -1, 0, 1})


class RewardDataError(ValueError):
    """An export the reward-model trainer cannot use; the message names the problem and the fix."""


@dataclass
class ExportInfo:
    """Where the training data came from, recorded with every run."""

    path: str
    """The data file as given."""
    content_hash: str
    """SHA-256 of the data file's bytes."""
    export_id: str | None
    """The server's export id, from a manifest whose content hash matches the file; None otherwise."""
    manifest_path: str | None
    """The manifest that gave the export id."""
    rows: int
    """Rows in the file."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_manifest(path: Path, content_hash: str) -> tuple[str | None, str | None]:
    """(export_id, manifest path) from `<file>.manifest.json` or the export folder's `manifest.json`.

    A manifest counts only when its content_hash is the file's, so a copied or edited file never
    borrows another export's identity.
    """
    for candidate in (path.with_name(path.name + ".manifest.json"), path.parent / "manifest.json"):
        if not candidate.is_file():
            continue
        try:
            manifest = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(manifest, dict) and manifest.get("content_hash") == content_hash:
            return manifest.get("export_id"), str(candidate)
    return None, None


def read_rows(path: Path) -> list[dict[str, Any]]:
    """All rows of a JSONL or Parquet file."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pylist()
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several unrelated types for a bad file
            raise RewardDataError(f"cannot read Parquet export {path}: {exc}") from exc
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RewardDataError(f"{path} line {number} is not valid JSON: {exc}") from exc
            if not isinstance(row, dict):
                raise RewardDataError(f"{path} line {number} is not a JSON object")
            rows.append(row)
    return rows


def row_name(row: dict[str, Any], index: int) -> str:
    """How an error message points at a row: its edit id when it has one, else its position."""
    edit_id = row.get("edit_id")
    return f"row {index + 1} (edit_id {edit_id})" if edit_id is not None else f"row {index + 1}"


def check_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """Refuse an export with no rows, missing columns, mixed tokenizers or labels that do not fit their ids."""
    if not rows:
        raise RewardDataError(f"the export has no edits: {path} holds no rows; export a dataset with submitted edits")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise RewardDataError(
            f"{path} is not a token-labels export: missing columns {', '.join(missing)}; "
            "export with the token-labels view (redline export --view token-labels)"
        )
    hashes = {row.get("tokenizer_hash") for row in rows}
    if len(hashes) > 1:
        shown = ", ".join(sorted(str(h)[:12] for h in hashes))
        raise RewardDataError(
            f"mismatched tokenizer hashes in {path} ({shown}): every row must be tokenized by the same tokenizer; "
            "export the dataset again with one tokenizer"
        )
    for index, row in enumerate(rows):
        for side in ("original", "edited"):
            ids, labels = row.get(f"{side}_input_ids"), row.get(f"{side}_labels")
            if not isinstance(ids, list) or not isinstance(labels, list):
                raise RewardDataError(f"{row_name(row, index)}: {side}_input_ids and {side}_labels must be lists")
            if len(ids) != len(labels):
                raise RewardDataError(
                    f"{row_name(row, index)}: {side}_labels has {len(labels)} entries but {side}_input_ids has "
                    f"{len(ids)}; labels must align one to one with token ids (re-export the dataset)"
                )
            bad = sorted({x for x in labels if x not in ALLOWED_LABELS}, key=str)
            if bad:
                raise RewardDataError(f"{row_name(row, index)}: {side}_labels holds {bad[:5]}; allowed: -100, -1, 0, 1")
        for column in ("prompt", "chosen", "rejected", "edited"):
            if not isinstance(row.get(column), str):
                raise RewardDataError(f"{row_name(row, index)}: column {column} must be text")
    if all(row["edited"] == row["rejected"] for row in rows):
        raise RewardDataError(
            f"the export has no edits: every one of the {len(rows)} rows of {path} leaves the response unchanged "
            "('no edit needed'); annotate some edits and export again"
        )


def read_export(path_text: str) -> tuple[list[dict[str, Any]], ExportInfo]:
    """The checked rows of an export and where they came from."""
    if not path_text:
        raise RewardDataError("no export given: set data_path=PATH to a token-labels export (JSONL or Parquet)")
    path = Path(path_text)
    if not path.is_file():
        raise RewardDataError(f"export {path} does not exist; pass the data file of an export (data.jsonl or data.parquet)")
    rows = read_rows(path)
    check_rows(rows, path)
    content_hash = sha256_file(path)
    export_id, manifest_path = find_manifest(path, content_hash)
    return rows, ExportInfo(str(path), content_hash, export_id, manifest_path, len(rows))
