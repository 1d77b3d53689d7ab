"""From an open source to normalised pairs: pick the reader for the file type, detect the row format from
the first records (or take the one named), and normalise each record, passing row errors along."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain

from app.services.importers.csv_reader import read_csv
from app.services.importers.fields import RowInvalid
from app.services.importers.formats import ROW_FORMATS, detect_format, normalise
from app.services.importers.json_array import read_json_array
from app.services.importers.jsonl import read_jsonl
from app.services.importers.parquet_reader import read_parquet
from app.services.importers.records import FileRejected, ImportLimits, PreferencePair, RawRow, RowError
from app.services.importers.sources import Source

READERS: dict[str, Callable[[Source, ImportLimits], Iterator[RawRow]]] = {
    "jsonl": read_jsonl, "json": read_json_array, "csv": read_csv, "parquet": read_parquet,
}


@dataclass
class RowResult:
    """One record's outcome: a pair, or the errors that kept it out."""

    row: int
    """1-based record number."""
    pair: PreferencePair | None = None
    """The normalised pair when the record is valid."""
    errors: tuple[RowError, ...] = ()
    """Why the record is invalid."""


@dataclass
class PairStream:
    """The detected (or named) row format, and the results in file order."""

    row_format: str
    """One of ROW_FORMATS."""
    results: Iterator[RowResult]
    """Lazily read: iterating it reads the file; it may raise FileRejected part-way."""


def open_pairs(source: Source, fmt: str | None, limits: ImportLimits) -> PairStream:
    """Start reading `source`; detects the format from up to `limits.detect_rows` records when fmt is None."""
    if fmt is not None and fmt not in ROW_FORMATS:
        raise FileRejected(f"unknown format {fmt!r}; choose one of {', '.join(ROW_FORMATS)}", field="format")
    records = READERS[source.file_type](source, limits)
    if fmt is None:
        fmt, seen = _detect(records, limits.detect_rows)
        records = chain(seen, records)
    return PairStream(row_format=fmt, results=_normalised(records, fmt, limits))


def _detect(records: Iterator[RawRow], max_rows: int) -> tuple[str, list[RawRow]]:
    seen: list[RawRow] = []
    fields: set[str] = set()
    for raw in records:
        seen.append(raw)
        found = detect_format(raw.value)
        if found is not None:
            return found, seen
        if isinstance(raw.value, dict):
            fields.update(str(k) for k in raw.value)
        if len(seen) >= max_rows:
            break
    if not seen:
        raise FileRejected("the file is empty: it holds no rows")
    if not fields and all(raw.error is not None for raw in seen):
        first = seen[0].error
        assert first is not None
        raise FileRejected(f"no readable row among the first {len(seen)}; row {first.row}: {first.message}")
    names = ", ".join(sorted(fields)[:20]) or "none"
    raise FileRejected(
        f"cannot tell the row format from the first {len(seen)} rows (fields seen: {names}); "
        f"name it as the format, one of {', '.join(ROW_FORMATS)}", field="format",
    )


def _normalised(records: Iterator[RawRow], fmt: str, limits: ImportLimits) -> Iterator[RowResult]:
    for raw in records:
        if raw.error is not None:
            yield RowResult(raw.row, errors=(raw.error,))
            continue
        try:
            yield RowResult(raw.row, pair=normalise(fmt, raw.row, raw.value, limits))
        except RowInvalid as exc:
            yield RowResult(raw.row, errors=tuple(exc.errors))


def read_pairs(source: Source, fmt: str | None = None, limits: ImportLimits | None = None) -> list[RowResult]:
    """Every result of a (small) file at once: for tests and previews, never for big files."""
    return list(open_pairs(source, fmt, limits or ImportLimits()).results)
