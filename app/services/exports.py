"""Versioned export snapshots: token-labelled edits and TRL preference views, with a card and a hash.

An export is written once under `<artifact_dir>/exports/<export_id>/` (data file, README.md card,
manifest.json) and recorded as an `Export` row; the API streams that file and training jobs read it.
Rows carry no export id or timestamp, so the same database content always gives the same content hash.
"""

import errno
import hashlib
import json
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import get_sessionmaker
from app.models import Dataset, Edit, EditStatus, Export, Item, User
from app.services.errors import ServiceError
from app.services.export_writers import FORMATS, write_rows

VIEWS = ("token-labels", "preference", "original-pairs")
EXPORTED_STATUSES = (EditStatus.submitted, EditStatus.accepted)
LABEL_CHUNK = 256


class ExportError(ServiceError):
    """An export request that cannot be served; the message names the problem."""

    status_code = 422


class DatasetNotFound(ExportError):
    status_code = 404


class StorageFull(ExportError):
    """The artifact directory ran out of space (507); nothing of the export was kept."""

    status_code = 507


def _is_full(exc: OSError) -> bool:
    # pyarrow's IO errors are OSErrors that may carry the errno only in their message.
    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left on device" in str(exc)


@dataclass
class ExportFiles:
    export: Export
    data_path: Path
    card_path: Path
    manifest_path: Path


def export_dir(settings: Settings, export_id: str) -> Path:
    return settings.local_artifact_dir / "exports" / export_id


def find_dataset(session: Session, ref: str | int) -> Dataset:
    """A dataset by id or by name."""
    dataset = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        dataset = session.get(Dataset, int(ref))
    if dataset is None and isinstance(ref, str):
        dataset = session.scalars(select(Dataset).where(Dataset.name == ref)).first()
    if dataset is None:
        raise DatasetNotFound(f"dataset {ref!r} not found")
    return dataset


def create_export(
    settings: Settings,
    dataset_ref: str | int,
    view: str = "token-labels",
    fmt: str = "jsonl",
    tokenizer: str | None = None,
    user_id: int | None = None,
) -> ExportFiles:
    """Write one consistent snapshot of a dataset to disk and record it.

    It runs in a session of its own, so that the whole read is one transaction whatever the caller did."""
    if view not in VIEWS:
        raise ExportError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with get_sessionmaker()() as session:
        return _create_export(session, settings, dataset_ref, view, fmt, tokenizer, user_id)


def _create_export(
    session: Session,
    settings: Settings,
    dataset_ref: str | int,
    view: str,
    fmt: str,
    tokenizer: str | None,
    user_id: int | None,
) -> ExportFiles:
    _begin_snapshot(session)
    dataset = find_dataset(session, dataset_ref)
    tok_spec = tokenizer or dataset.tokenizer
    export_id = str(uuid.uuid4())
    out = export_dir(settings, export_id)
    try:
        out.mkdir(parents=True, exist_ok=False)
        if view == "token-labels":
            tok = _load_tokenizer(tok_spec, settings)
            rows: Iterable[dict[str, Any]] = _token_label_rows(session, dataset, tok)
        elif view == "preference":
            tok = None
            rows = _preference_rows(session, dataset)
        else:
            tok = None
            rows = _original_pair_rows(session, dataset)
        counter = _RowCounter(rows)
        data_path = out / f"data.{fmt}"
        write_rows(counter, data_path, fmt, view)
        content_hash = _sha256(data_path)
        export = Export(
            id=export_id,
            dataset_id=dataset.id,
            view=view,
            format=fmt,
            tokenizer_name=_tokenizer_name(tok) if tok is not None else None,
            tokenizer_hash=_tokenizer_hash(tok) if tok is not None else None,
            content_hash=content_hash,
            row_count=counter.count,
            path=str(data_path),
            stats=counter.stats(),
            created_by_id=user_id,
            created_at=datetime.now(UTC),
        )
        export.card = render_card(dataset, export)
        card_path = out / "README.md"
        card_path.write_text(export.card, encoding="utf-8")
        manifest_path = out / "manifest.json"
        manifest_path.write_text(json.dumps(manifest(export, dataset), indent=2) + "\n", encoding="utf-8")
        session.add(export)
        session.commit()
    except BaseException as exc:
        session.rollback()
        shutil.rmtree(out, ignore_errors=True)  # never leave a half-written snapshot that looks whole
        if isinstance(exc, OSError) and _is_full(exc):
            raise StorageFull(f"no space left in the artifact directory {settings.local_artifact_dir}: nothing was "
                              "exported; free some space there or set ARTIFACT_DIR to a larger disk") from exc
        raise
    return ExportFiles(export, data_path, card_path, manifest_path)


def manifest(export: Export, dataset: Dataset) -> dict[str, Any]:
    return {
        "export_id": export.id,
        "dataset": dataset.name,
        "dataset_id": dataset.id,
        "view": export.view,
        "format": export.format,
        "tokenizer_name": export.tokenizer_name,
        "tokenizer_hash": export.tokenizer_hash,
        "content_hash": export.content_hash,
        "row_count": export.row_count,
        "created_at": export.created_at.isoformat(),
        "stats": export.stats,
    }


def render_card(dataset: Dataset, export: Export) -> str:
    stats = export.stats or {}
    lines = [
        f"# {dataset.name}: {export.view} export",
        "",
        f"- Export id: `{export.id}`",
        f"- Content hash (SHA-256 of the data file): `{export.content_hash}`",
        f"- Created: {export.created_at.isoformat()}",
        f"- Format: {export.format}; rows: {export.row_count}",
    ]
    if export.tokenizer_name:
        lines.append(f"- Tokenizer: `{export.tokenizer_name}` (hash `{export.tokenizer_hash}`)")
    for key in sorted(stats):
        lines.append(f"- {key.replace('_', ' ')}: {stats[key]}")
    lines += ["", "## Label scheme", ""]
    if export.view == "token-labels":
        lines += [
            "Each row is one submitted or accepted minimal edit of the less-preferred response.",
            "`original_input_ids` / `edited_input_ids` are prompt + response joined as the model sees",
            "them (`join`: through the tokenizer's chat template when it has one). Labels align to ids:",
            "",
            "| label | meaning |",
            "|---|---|",
            "| -100 | prompt token, ignored by every loss |",
            "| -1 | token of the original that the edit removed or replaced |",
            "| +1 | token of the edited response that the edit inserted or replaced |",
            "| 0 | unchanged token |",
        ]
    elif export.view == "preference":
        lines.append("TRL preference rows: `chosen` is the edited response, `rejected` the original.")
    else:
        lines.append("The imported preference pairs as they were: `prompt`, `chosen`, `rejected`.")
    return "\n".join(lines) + "\n"


# --- rows -------------------------------------------------------------------------------------


def _begin_snapshot(session: Session) -> None:
    """Every query of the export sees one snapshot: REPEATABLE READ on PostgreSQL. SQLite's WAL
    already gives each transaction a stable read snapshot."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _edit_rows(session: Session, dataset: Dataset) -> Iterator[tuple[Edit, Item, str]]:
    stmt = (
        select(Edit, Item, User.email)
        .join(Item, Edit.item_id == Item.id)
        .outerjoin(User, Edit.author_id == User.id)
        .where(Item.dataset_id == dataset.id, Edit.status.in_(EXPORTED_STATUSES))
        .order_by(Item.id, Edit.id)
        .execution_options(yield_per=LABEL_CHUNK)
    )
    for edit, item, email in session.execute(stmt):
        yield edit, item, email or ""


def _author(edit: Edit, email: str) -> tuple[str, str]:
    if edit.model_name:
        return edit.model_name, "model"
    return email, "human"


def _base_row(edit: Edit, item: Item, email: str) -> dict[str, Any]:
    author, kind = _author(edit, email)
    return {
        "item_id": item.id,
        "external_id": item.external_id,
        "edit_id": edit.id,
        "edit_version": edit.version,
        "edit_status": str(edit.status),
        "outcome": edit.outcome,
        "needs_rewrite": edit.needs_rewrite,
        "author": author,
        "author_kind": kind,
        "prompt": item.prompt,
        "chosen": item.chosen,
        "rejected": item.rejected,
        "edited": edit.edited_text,
        "hunks": [list(h) for h in edit.hunks],
    }


def _token_label_rows(session: Session, dataset: Dataset, tok: Any) -> Iterator[dict[str, Any]]:
    from training.chat_format import encode_edit_pairs

    name, digest = _tokenizer_name(tok), _tokenizer_hash(tok)
    chunk: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        encoded = encode_edit_pairs(
            tok, [{"prompt": r["prompt"], "original": r["rejected"], "edited": r["edited"]} for r in chunk]
        )
        for row, enc in zip(chunk, encoded, strict=True):
            row.update(
                tokenizer_name=name,
                tokenizer_hash=digest,
                join=enc["join"],
                original_input_ids=list(enc["original_input_ids"]),
                original_labels=list(enc["original_labels"]),
                edited_input_ids=list(enc["edited_input_ids"]),
                edited_labels=list(enc["edited_labels"]),
            )
            yield row

    for edit, item, email in _edit_rows(session, dataset):
        chunk.append(_base_row(edit, item, email))
        if len(chunk) >= LABEL_CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def _preference_rows(session: Session, dataset: Dataset) -> Iterator[dict[str, Any]]:
    for edit, item, email in _edit_rows(session, dataset):
        if edit.edited_text == item.rejected:
            continue  # "no edit needed": no preference to learn from
        author, kind = _author(edit, email)
        yield {
            "prompt": item.prompt,
            "chosen": edit.edited_text,
            "rejected": item.rejected,
            "item_id": item.id,
            "edit_id": edit.id,
            "author": author,
            "author_kind": kind,
        }


def _original_pair_rows(session: Session, dataset: Dataset) -> Iterator[dict[str, Any]]:
    stmt = (
        select(Item).where(Item.dataset_id == dataset.id).order_by(Item.id).execution_options(yield_per=1000)
    )
    for item in session.scalars(stmt):
        yield {
            "prompt": item.prompt,
            "chosen": item.chosen,
            "rejected": item.rejected,
            "item_id": item.id,
            "external_id": item.external_id,
        }


class _RowCounter:
    """Passes rows through while counting what the card reports."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rows = rows
        self.count = 0
        self.items: set[int] = set()
        self.by_author_kind: dict[str, int] = {}
        self.negative = 0
        self.positive = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            self.count += 1
            self.items.add(row["item_id"])
            kind = row.get("author_kind")
            if kind:
                self.by_author_kind[kind] = self.by_author_kind.get(kind, 0) + 1
            self.negative += sum(1 for x in row.get("original_labels", ()) if x == -1)
            self.positive += sum(1 for x in row.get("edited_labels", ()) if x == 1)
            yield row

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rows": self.count, "items": len(self.items)}
        for kind, n in sorted(self.by_author_kind.items()):
            out[f"rows_by_{kind}"] = n
        if self.negative or self.positive:
            out["negative_tokens"] = self.negative
            out["positive_tokens"] = self.positive
        return out


def _load_tokenizer(spec: str, settings: Settings) -> Any:
    from training.tokenizers import load_tokenizer

    try:
        return load_tokenizer(spec, cache_dir=settings.model_cache_dir)
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot load tokenizer {spec!r}: {exc}") from exc


def _tokenizer_name(tok: Any) -> str:
    from training.tokenizers import tokenizer_name

    return tokenizer_name(tok)


def _tokenizer_hash(tok: Any) -> str:
    from training.tokenizers import tokenizer_hash

    return tokenizer_hash(tok)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
