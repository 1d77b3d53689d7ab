"""JSON Lines reader: one JSON object per line, read a line at a time with a bound on line length."""

from collections.abc import Iterator

from app.services.importers.lines import decode_utf8, parse_json, read_bounded_line, too_large
from app.services.importers.records import ImportLimits, RawRow, RowError
from app.services.importers.sources import UTF8_BOM, Source


def read_jsonl(source: Source, limits: ImportLimits) -> Iterator[RawRow]:
    """Records numbered by line (blank lines are skipped but keep their number)."""
    stream = source.stream
    line_no = 0
    while True:
        line, oversized = read_bounded_line(stream, limits.max_row_bytes)
        if not line and not oversized:
            return
        line_no += 1
        if oversized:
            yield RawRow(line_no, error=too_large(line_no, limits.max_row_bytes))
            continue
        if line_no == 1:
            line = line.removeprefix(UTF8_BOM)
        text = decode_utf8(line, line_no)
        if isinstance(text, RowError):
            yield RawRow(line_no, error=text)
            continue
        if not text.strip():
            continue
        value = parse_json(text, line_no)
        if isinstance(value, RowError):
            yield RawRow(line_no, error=value)
        else:
            yield RawRow(line_no, value=value)
