"""Opening an import's input (a path or a binary stream) and sniffing its file type from the first bytes."""

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.services.importers.records import FileRejected

FILE_TYPES = ("jsonl", "json", "csv", "parquet")
UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
SNIFF_BYTES = 4096


@dataclass
class Source:
    """An open input, positioned at its start."""

    stream: BinaryIO
    """Seekable binary stream; readers strip a UTF-8 BOM themselves."""
    file_type: str
    """One of FILE_TYPES."""
    name: str
    """File name for reports and the audit trail (no directories)."""
    size: int | None
    """Total bytes, when known."""
    start: int = 0
    """Offset of the data in `stream` (a caller's stream may not start at 0)."""
    fraction_read: float | None = None
    """Set by readers whose stream position says nothing about progress (Parquet seeks to its footer)."""

    def bytes_read(self) -> int:
        if self.fraction_read is not None:
            return int((self.size or 0) * self.fraction_read)
        try:
            return max(0, self.stream.tell() - self.start)
        except (OSError, ValueError):  # closed by pyarrow, or not tellable
            return 0


def sniff_file_type(head: bytes) -> str:
    """JSON array, JSON Lines, CSV or Parquet, from the first bytes; refuses encodings other than UTF-8."""
    if head.startswith(b"PAR1"):
        return "parquet"
    check_text_head(head)
    text = head.removeprefix(UTF8_BOM).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"
    return "csv"


def check_text_head(head: bytes) -> None:
    if not head.removeprefix(UTF8_BOM).strip():
        raise FileRejected("the file is empty: it holds no rows")
    if head.startswith(_WIDE_BOMS) or b"\x00" in head:
        raise FileRejected(
            "the file is not UTF-8 (it looks UTF-16 or binary: it holds NUL bytes); save it as UTF-8 text"
        )


@contextmanager
def open_source(
    source: str | Path | BinaryIO, file_type: str | None = None, name: str | None = None
) -> Iterator[Source]:
    """Open `source` for reading. A stream that cannot seek is first spooled to a temporary file."""
    if file_type is not None and file_type not in FILE_TYPES:
        raise FileRejected(
            f"unknown file type {file_type!r}; choose one of {', '.join(FILE_TYPES)}", field="file_type"
        )
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise FileRejected(f"no such file: {path}")
        with path.open("rb") as fh:
            yield _prepare(fh, file_type, name or path.name)
        return
    stream_name = name or Path(str(getattr(source, "name", "") or "upload")).name
    if _seekable(source):
        yield _prepare(source, file_type, stream_name)
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(source, spool, 1024 * 1024)
        spool.seek(0)
        yield _prepare(spool, file_type, stream_name)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False


def _prepare(stream: BinaryIO, file_type: str | None, name: str) -> Source:
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    stream.seek(start)
    head = stream.read(SNIFF_BYTES)
    stream.seek(start)
    if file_type is None:
        file_type = sniff_file_type(head)
    elif file_type == "parquet":
        if not head.startswith(b"PAR1"):
            raise FileRejected("the file is not Parquet (it lacks the PAR1 magic bytes)")
    else:
        check_text_head(head)
    return Source(stream=stream, file_type=file_type, name=name, size=size, start=start)
