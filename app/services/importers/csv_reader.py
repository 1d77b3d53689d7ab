"""CSV reader: a header row, then one record per row; every value is a string.

Physical lines are read with a bound on their length and decoded as strict UTF-8 before the csv module
sees them. A line that is too long or not UTF-8 becomes a row error, and parsing resumes on the next
line with a fresh csv reader (a quoted field cut in two then shows up as further row errors).
"""

import csv
from collections.abc import Iterator
from typing import BinaryIO

from app.services.importers.lines import decode_utf8, read_bounded_line, too_large
from app.services.importers.records import FileRejected, ImportLimits, RawRow, RowError
from app.services.importers.sources import UTF8_BOM, Source


class _BadLine(Exception):
    """A physical line that cannot be handed to the csv module."""

    def __init__(self, error_message: str):
        super().__init__(error_message)
        self.error_message = error_message


class _Lines:
    """Decoded lines for csv.reader; raises _BadLine for a line it must skip, and stays usable after."""

    def __init__(self, stream: BinaryIO, limits: ImportLimits):
        self.stream, self.limits, self.first = stream, limits, True

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line, oversized = read_bounded_line(self.stream, self.limits.max_row_bytes)
        if oversized:
            raise _BadLine(too_large(0, self.limits.max_row_bytes).message)
        if not line:
            raise StopIteration
        if self.first:
            line, self.first = line.removeprefix(UTF8_BOM), False
        text = decode_utf8(line, 0)
        if isinstance(text, RowError):
            raise _BadLine(text.message)
        return text


def read_csv(source: Source, limits: ImportLimits) -> Iterator[RawRow]:
    """Records as dicts keyed by the header, numbered from 1 after the header."""
    stream = source.stream
    csv.field_size_limit(max(limits.max_row_bytes, csv.field_size_limit()))
    lines = _Lines(stream, limits)
    reader = csv.reader(lines)
    header = _read_header(reader)
    row = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except (_BadLine, csv.Error) as exc:
            row += 1
            message = exc.error_message if isinstance(exc, _BadLine) else f"unreadable CSV: {exc}"
            yield RawRow(row, error=RowError(row, None, message))
            reader = csv.reader(lines)  # start afresh on the next line
            continue
        if not record or record == [""]:
            continue
        row += 1
        if len(record) != len(header):
            yield RawRow(row, error=RowError(
                row, None, f"has {len(record)} fields but the header has {len(header)}; "
                "quote values that contain commas or newlines",
            ))
            continue
        yield RawRow(row, value=dict(zip(header, record, strict=True)))


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected("the file is empty: it holds no rows") from None
    except _BadLine as exc:
        raise FileRejected(f"the CSV header is unreadable: {exc.error_message}") from None
    except csv.Error as exc:
        raise FileRejected(f"the CSV header is unreadable: {exc}") from None
    names = [name.strip() for name in header]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FileRejected(f"the CSV header repeats the column(s) {', '.join(duplicates)}; rename them")
    return names
