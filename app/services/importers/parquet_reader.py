"""Parquet reader: record batches of a few hundred rows at a time, never the whole table."""

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from app.services.importers.lines import too_large
from app.services.importers.records import FileRejected, ImportLimits, RawRow
from app.services.importers.sources import Source


def read_parquet(source: Source, limits: ImportLimits) -> Iterator[RawRow]:
    """Records as dicts (nested lists and structs become lists and dicts), numbered from 1."""
    try:
        parquet = pq.ParquetFile(source.stream)
    except (pa.ArrowException, OSError) as exc:
        raise FileRejected(f"the Parquet file is unreadable: {exc}") from None
    row, total = 0, max(1, parquet.metadata.num_rows)
    source.fraction_read = 0.0
    batches = parquet.iter_batches(batch_size=limits.parquet_batch_rows)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise FileRejected(f"the Parquet file is unreadable after row {row}: {exc}") from None
        source.fraction_read = min(1.0, (row + batch.num_rows) / total)
        for record in batch.to_pylist():
            row += 1
            if _approx_size(record) > limits.max_row_bytes:
                yield RawRow(row, error=too_large(row, limits.max_row_bytes))
            else:
                yield RawRow(row, value=record)


def _approx_size(value: Any) -> int:
    """Characters of text a record holds (a cheap stand-in for its encoded size)."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, dict):
        return sum(_approx_size(v) + len(k) for k, v in value.items())
    if isinstance(value, list):
        return sum(_approx_size(v) for v in value)
    return 8
