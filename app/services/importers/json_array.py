"""JSON array reader: splits a top-level `[...]` into its elements while streaming, then parses each.

A small scanner tracks strings, escapes and bracket depth over fixed-size chunks, so an element is
held in memory only up to `max_row_bytes`; a bigger element is skipped (and reported) as it streams by.
"""

import re
from collections.abc import Iterator

from app.services.importers.lines import decode_utf8, parse_json, too_large
from app.services.importers.records import FileRejected, ImportLimits, RawRow, RowError
from app.services.importers.sources import UTF8_BOM, Source

_STRUCTURE = re.compile(rb'[\[\]{}",]')
_IN_STRING = re.compile(rb'["\\]')
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE, _BACKSLASH, _COMMA = ord('"'), ord("\\"), ord(",")


class _Element:
    """The bytes of the element being read, dropped once it passes the size limit."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.pieces: list[bytes] = []
        self.size = 0
        self.oversized = False

    def add(self, piece: bytes) -> None:
        if self.oversized or not piece:
            return
        self.size += len(piece)
        if self.size > self.max_bytes:
            self.oversized = True
            self.pieces = []
        else:
            self.pieces.append(piece)

    def take(self) -> tuple[bytes, bool]:
        data, oversized = b"".join(self.pieces), self.oversized
        self.pieces, self.size, self.oversized = [], 0, False
        return data, oversized


def read_json_array(source: Source, limits: ImportLimits) -> Iterator[RawRow]:
    """Records numbered by their position in the array, from 1."""
    stream = source.stream
    element = _Element(limits.max_row_bytes)
    depth, in_string, escaped, started, finished = 0, False, False, False, False
    row = 0
    first = True
    while True:
        chunk = stream.read(limits.read_chunk_bytes)
        if not chunk:
            break
        if first:
            chunk, first = chunk.removeprefix(UTF8_BOM), False
        if finished:
            _check_trailing(chunk)
            continue
        pos, mark = 0, 0  # mark: where the current element's bytes in this chunk begin
        if not started:
            stripped = chunk.lstrip()
            if not stripped:
                continue
            if not stripped.startswith(b"["):
                raise FileRejected("the file is not a JSON array: it must start with '['")
            pos = mark = len(chunk) - len(stripped) + 1
            started, depth = True, 1
        end = len(chunk)
        while pos < end:
            if in_string:
                if escaped:
                    pos, escaped = pos + 1, False
                    continue
                m = _IN_STRING.search(chunk, pos)
                if m is None:
                    pos = end
                    break
                pos = m.end()
                if chunk[m.start()] == _BACKSLASH:
                    escaped = True
                else:
                    in_string = False
                continue
            m = _STRUCTURE.search(chunk, pos)
            if m is None:
                pos = end
                break
            byte, pos = chunk[m.start()], m.end()
            if byte == _QUOTE:
                in_string = True
            elif byte in _OPEN:
                depth += 1
            elif byte in _CLOSE:
                depth -= 1
                if depth == 0:  # the closing bracket of the array
                    element.add(chunk[mark:m.start()])
                    parsed = _finish(element, row + 1, last=True)
                    if parsed is not None:
                        row += 1
                        yield parsed
                    finished = True
                    _check_trailing(chunk[pos:])
                    break
            elif byte == _COMMA and depth == 1:
                element.add(chunk[mark:m.start()])
                row += 1
                yield _finish(element, row, last=False) or RawRow(
                    row, error=RowError(row, None, "empty element (two commas in a row)")
                )
                mark = pos
        if not finished:
            element.add(chunk[mark:])
    if not started:
        raise FileRejected("the file is empty: it holds no rows")
    if not finished:
        row += 1
        yield RawRow(row, error=RowError(
            row, None, "truncated JSON: the file ends inside the array (no closing ']'); was it cut off?"
        ))


def _finish(element: _Element, row: int, last: bool) -> RawRow | None:
    """The parsed element; None for the empty slot after a trailing comma or in `[]`."""
    data, oversized = element.take()
    if oversized:
        return RawRow(row, error=too_large(row, element.max_bytes))
    if not data.strip():
        if last and row > 1:
            return RawRow(row, error=RowError(row, None, "trailing comma before the closing ']'"))
        return None
    text = decode_utf8(data, row)
    if isinstance(text, RowError):
        return RawRow(row, error=text)
    value = parse_json(text, row)
    if isinstance(value, RowError):
        return RawRow(row, error=value)
    return RawRow(row, value=value)


def _check_trailing(rest: bytes) -> None:
    if rest.strip():
        raise FileRejected("unexpected content after the closing ']' of the JSON array")
