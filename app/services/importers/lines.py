"""Byte-level helpers shared by the text readers: bounded line reads, strict UTF-8, readable JSON errors."""

import json
from typing import Any, BinaryIO

from app.services.importers.records import RowError

_DRAIN_BYTES = 1024 * 1024


def read_bounded_line(stream: BinaryIO, max_bytes: int) -> tuple[bytes, bool]:
    """The next line (with its newline) and whether it was longer than `max_bytes`.

    An oversized line is consumed to its end in fixed-size pieces and returned empty, so memory never
    holds more than `max_bytes` of it. At the end of the file the line is b"" and not oversized."""
    line = stream.readline(max_bytes + 1)
    if len(line) <= max_bytes or line.endswith(b"\n"):
        return line, False
    while True:
        piece = stream.readline(_DRAIN_BYTES)
        if not piece or piece.endswith(b"\n"):
            return b"", True


def too_large(row: int, max_bytes: int) -> RowError:
    return RowError(
        row, None,
        f"row is larger than the {max_bytes:,}-byte limit; split or shorten it (or raise max_row_bytes)",
    )


def decode_utf8(data: bytes, row: int) -> str | RowError:
    """Strict UTF-8, or a row error naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        return RowError(
            row, None, f"not valid UTF-8 (byte 0x{bad:02X} at byte {exc.start + 1} of the row); "
            "save the file as UTF-8",
        )


def parse_json(text: str, row: int) -> Any | RowError:
    """The JSON value in `text`, or a row error that says where it broke (and if it looks cut off)."""
    try:
        return json.loads(text)
    except RecursionError:
        return RowError(row, None, "JSON nested too deeply to read; flatten the row")
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            return RowError(
                row, None, f"truncated JSON: the row ends before its value is complete ({exc.msg}); "
                "was the file cut off?",
            )
        return RowError(row, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
