"""Row writers for exports: JSONL (one sorted-key object per line) and Parquet (fixed schema per view)."""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = ("jsonl", "parquet")
PARQUET_BATCH = 512

_INTS = pa.list_(pa.int64())
_COMMON = [("item_id", pa.int64()), ("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string())]
SCHEMAS: dict[str, pa.Schema] = {
    "token-labels": pa.schema(
        _COMMON
        + [
            ("external_id", pa.string()),
            ("edit_id", pa.int64()),
            ("edit_version", pa.int64()),
            ("edit_status", pa.string()),
            ("outcome", pa.string()),
            ("needs_rewrite", pa.bool_()),
            ("author", pa.string()),
            ("author_kind", pa.string()),
            ("edited", pa.string()),
            ("hunks", pa.list_(_INTS)),
            ("tokenizer_name", pa.string()),
            ("tokenizer_hash", pa.string()),
            ("join", pa.string()),
            ("original_input_ids", _INTS),
            ("original_labels", _INTS),
            ("edited_input_ids", _INTS),
            ("edited_labels", _INTS),
        ]
    ),
    "preference": pa.schema(
        _COMMON + [("edit_id", pa.int64()), ("author", pa.string()), ("author_kind", pa.string())]
    ),
    "original-pairs": pa.schema(_COMMON + [("external_id", pa.string())]),
}


def write_rows(rows: Iterable[dict[str, Any]], path: Path, fmt: str, view: str) -> None:
    if fmt == "jsonl":
        _write_jsonl(rows, path)
    elif fmt == "parquet":
        _write_parquet(rows, path, SCHEMAS[view])
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
            fh.write("\n")


def _write_parquet(rows: Iterable[dict[str, Any]], path: Path, schema: pa.Schema) -> None:
    writer = pq.ParquetWriter(path, schema)
    batch: list[dict[str, Any]] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        # An empty export still gets a valid file with the view's schema.
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    finally:
        writer.close()
