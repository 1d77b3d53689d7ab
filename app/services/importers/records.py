"""The shapes the import readers pass along: raw rows, row errors, normalised pairs and the limits."""

from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_ROW_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row (row=None: with the whole file), in the shape the API returns."""

    row: int | None
    """1-based record number: JSONL line, JSON array element, CSV data row (header excluded), Parquet row."""
    field: str | None
    """The offending field, or None when the row as a whole is unreadable."""
    message: str
    """What is wrong and how to fix it."""

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class RawRow:
    """One record as a reader decoded it: a value, or the error that kept it from being decoded."""

    row: int
    """1-based record number (see RowError.row)."""
    value: Any = None
    """The decoded record (usually a dict); None when `error` is set."""
    error: RowError | None = None
    """Why the record could not be read."""


@dataclass(frozen=True)
class PreferencePair:
    """One row normalised to what an Item stores."""

    row: int
    """1-based record number it came from."""
    external_id: str
    """The row's own id, or a stable hash of its texts."""
    prompt: str
    """The prompt as text (conversations rendered, see formats_messages)."""
    chosen: str
    """The preferred response."""
    rejected: str
    """The less-preferred response: the one annotators edit."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Fields of the row the format does not use, and where the pair came from."""


@dataclass(frozen=True)
class ImportLimits:
    """Bounds that keep an import's memory and error list small whatever the file holds."""

    max_row_bytes: int = DEFAULT_MAX_ROW_BYTES
    """Largest record (a JSONL line, a JSON array element, a CSV line); bigger ones are row errors."""
    max_text_chars: int = 200_000
    """Longest prompt, chosen or rejected text, in characters (the editor's limit)."""
    max_errors: int = 1000
    """Row errors kept for the report; further ones are counted only."""
    chunk_rows: int = 1000
    """Rows inserted per statement; memory scales with this, not with the file."""
    read_chunk_bytes: int = 1024 * 1024
    """Bytes read at a time by the JSON array reader."""
    parquet_batch_rows: int = 512
    """Rows decoded at a time from a Parquet file."""
    detect_rows: int = 50
    """Records looked at to detect the row format before giving up."""


class FileRejected(ValueError):
    """The file as a whole cannot be read (empty, not UTF-8, unknown type, no recognisable format)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.error = RowError(row=None, field=field, message=message)
