"""Importing a file of preference pairs into a dataset, in one transaction.

Any invalid row rejects the whole file (ImportRejected, nothing written) unless skip_invalid, which imports
the valid rows and reports the rest. Rows whose external id or prompt+rejected text the dataset already
holds are skipped and counted, so importing a file twice is harmless. Rows are inserted in chunks as the
file streams by (INSERT ... ON CONFLICT DO NOTHING), so memory stays bounded whatever the file's size.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import AuditEvent, Dataset, Item, User
from app.services.importers import (
    FileRejected,
    ImportLimits,
    PreferencePair,
    RowResult,
    item_content_hash,
    open_pairs,
    open_source,
)

MAX_DATASET_NAME = 200  # the datasets.name column

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes read, total bytes or None) as the file is read."""


class ImportRejected(ValueError):
    """The file (or a row of it) is invalid and nothing was imported; `errors` says what and where."""

    def __init__(self, errors: list[dict[str, Any]], invalid_rows: int = 0, truncated: bool = False):
        self.errors = errors
        self.invalid_rows = invalid_rows
        self.truncated = truncated
        first = errors[0]["message"] if errors else "invalid input"
        where = f"{invalid_rows} invalid row(s)" if invalid_rows else "the file cannot be read"
        super().__init__(f"import rejected, nothing was imported: {where}; first problem: {first}")


@dataclass
class ImportReport:
    """What an import did."""

    dataset_id: int
    dataset_name: str
    dataset_created: bool
    """Whether the import created the dataset."""
    row_format: str
    """The row format used (detected or named)."""
    file_type: str
    rows_read: int = 0
    """Records read from the file (valid or not)."""
    created: int = 0
    skipped_duplicates: int = 0
    """Valid rows already in the dataset (same external id, or same prompt and rejected text)."""
    invalid: int = 0
    """Rows left out as invalid (only with skip_invalid)."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    """{row, field, message} of the invalid rows, the first ImportLimits.max_errors of them."""
    errors_truncated: bool = False
    bytes_read: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_limits() -> ImportLimits:
    return ImportLimits(max_text_chars=get_settings().max_text_chars)


def import_file(
    session: Session,
    source: str | Path | BinaryIO,
    dataset_name: str,
    fmt: str | None = None,
    skip_invalid: bool = False,
    user: User | int | None = None,
    *,
    file_type: str | None = None,
    source_name: str | None = None,
    limits: ImportLimits | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import `source` (a path, or a binary stream) into the dataset named `dataset_name` (created if new).

    fmt: a row format from importers.ROW_FORMATS, detected from the first rows when None.
    file_type: jsonl, json, csv or parquet; sniffed from the first bytes when None.
    source_name: the file's name for the audit trail (an upload's original name).
    The import commits on success; on ImportRejected (or any error) the session is rolled back."""
    limits = limits or default_limits()
    started = time.monotonic()
    try:
        name = _check_name(dataset_name)
        with open_source(source, file_type, source_name) as src:
            pairs = open_pairs(src, fmt, limits)
            dataset, created = _get_or_create_dataset(session, name, _user_id(user))
            report = ImportReport(dataset.id, dataset.name, created, pairs.row_format, src.file_type)
            try:
                _load(session, report, pairs.results, skip_invalid, limits, src.bytes_read, progress, src.size)
            except FileRejected as exc:  # broken part-way (e.g. text after a JSON array): keep the row errors
                raise ImportRejected([*report.errors, exc.error.as_dict()], report.invalid) from None
            report.bytes_read = src.bytes_read()
            file_name = src.name
        if report.invalid and not skip_invalid:
            raise ImportRejected(report.errors, report.invalid, report.errors_truncated)
        report.seconds = round(time.monotonic() - started, 3)
        _audit(session, report, _user_id(user), file_name)
        session.commit()
        return report
    except FileRejected as exc:
        session.rollback()
        raise ImportRejected([exc.error.as_dict()]) from None
    except BaseException:
        session.rollback()
        raise


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise FileRejected("the dataset name is empty; give one", field="name")
    if len(name) > MAX_DATASET_NAME:
        raise FileRejected(f"the dataset name is longer than {MAX_DATASET_NAME} characters", field="name")
    return name


def _user_id(user: User | int | None) -> int | None:
    return user.id if isinstance(user, User) else user


def _get_or_create_dataset(session: Session, name: str, user_id: int | None) -> tuple[Dataset, bool]:
    """The dataset named `name`, created if new. ON CONFLICT DO NOTHING rather than a savepoint: a
    concurrent import may create the same name first, and SQLite's driver mishandles savepoints."""
    query = select(Dataset).where(Dataset.name == name)
    dataset = session.scalars(query).first()
    if dataset is not None:
        return dataset, False
    table = cast(Table, Dataset.__table__)
    stmt = _dialect_insert(session, table).values(name=name, created_by_id=user_id)
    new_id = session.execute(stmt.on_conflict_do_nothing().returning(table.c.id)).scalar()
    return session.scalars(query).one(), new_id is not None


def _load(
    session: Session,
    report: ImportReport,
    results: Iterator[RowResult],
    skip_invalid: bool,
    limits: ImportLimits,
    bytes_read: Callable[[], int],
    progress: ProgressCallback | None,
    total: int | None,
) -> None:
    """Read every row, insert the valid ones chunk by chunk; stop inserting at the first invalid row
    unless skip_invalid (the rest is still checked, so that the report lists every problem)."""
    chunk: list[PreferencePair] = []
    for result in results:
        report.rows_read += 1
        if result.pair is None:
            report.invalid += 1
            room = limits.max_errors - len(report.errors)
            report.errors.extend(e.as_dict() for e in result.errors[:max(room, 0)])
            if room < len(result.errors):
                report.errors_truncated = True
                if not skip_invalid:
                    break  # the file is rejected anyway; the list is full
        elif skip_invalid or not report.invalid:
            chunk.append(result.pair)
            if len(chunk) >= limits.chunk_rows:
                _insert(session, report, chunk)
                chunk = []
        if progress is not None and report.rows_read % limits.chunk_rows == 0:
            progress(bytes_read(), total)
    if chunk and (skip_invalid or not report.invalid):
        _insert(session, report, chunk)
    if progress is not None:
        progress(total or bytes_read(), total)


def _insert(session: Session, report: ImportReport, pairs: list[PreferencePair]) -> None:
    rows = [
        {
            "dataset_id": report.dataset_id, "external_id": p.external_id, "prompt": p.prompt,
            "chosen": p.chosen, "rejected": p.rejected, "meta": p.meta,
            "content_hash": item_content_hash(p.prompt, p.rejected),
        }
        for p in pairs
    ]
    inserted = session.execute(_insert_ignoring_duplicates(session), rows).all()
    report.created += len(inserted)
    report.skipped_duplicates += len(rows) - len(inserted)


def _insert_ignoring_duplicates(session: Session) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: either unique key (external id, content) skips."""
    table = cast(Table, Item.__table__)
    return _dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.id)


def _dialect_insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"imports support PostgreSQL and SQLite, not {dialect}")


def _audit(session: Session, report: ImportReport, user_id: int | None, file_name: str) -> None:
    session.add(AuditEvent(
        user_id=user_id, action="dataset.import", target_type="dataset", target_id=str(report.dataset_id),
        detail={
            "file": file_name, "row_format": report.row_format, "file_type": report.file_type,
            "rows_read": report.rows_read, "created": report.created,
            "skipped_duplicates": report.skipped_duplicates, "invalid": report.invalid,
            "bytes": report.bytes_read, "dataset_created": report.dataset_created,
        },
    ))
