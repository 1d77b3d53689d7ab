"""Export snapshots over the API: create-and-stream, list, read the card, download again."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from sqlalchemy import select

from app.deps import EngineerUser, SessionDep, SettingsDep
from app.models import Export
from app.services.errors import NotFound
from app.services.exports import create_export, manifest

router = APIRouter(prefix="/api/v1", tags=["exports"])


def _file_response(export: Export, filename: str) -> FileResponse:
    if not export.path or not Path(export.path).is_file():
        raise NotFound(f"export {export.id} has no stored file (it was removed or never kept); create a new export")
    media = "application/x-ndjson" if export.format == "jsonl" else "application/vnd.apache.parquet"
    return FileResponse(
        export.path or "",
        media_type=media,
        filename=filename,
        headers={"X-Redline-Export-Id": export.id, "X-Redline-Content-Hash": export.content_hash},
    )


@router.get("/datasets/{dataset_id}/export", response_class=FileResponse)
def export_dataset(
    dataset_id: int,
    user: EngineerUser,
    settings: SettingsDep,
    format: Annotated[str, Query(description="jsonl or parquet")] = "jsonl",
    view: Annotated[str, Query(description="token-labels, preference or original-pairs")] = "token-labels",
    tokenizer: Annotated[str | None, Query(description="tokenizer for token-labels (default: the dataset's)")] = None,
) -> FileResponse:
    """Take a consistent snapshot now and stream it; its id and content hash come in the headers."""
    files = create_export(settings, dataset_id, view=view, fmt=format, tokenizer=tokenizer, user_id=user.id)
    return _file_response(files.export, f"dataset-{dataset_id}-{view}-{files.export.id}.{format}")


@router.get("/exports")
def list_exports(session: SessionDep, user: EngineerUser, dataset_id: int | None = None) -> list[dict[str, Any]]:
    stmt = select(Export).order_by(Export.created_at.desc()).limit(200)
    if dataset_id is not None:
        stmt = stmt.where(Export.dataset_id == dataset_id)
    return [_public(e) for e in session.scalars(stmt)]


@router.get("/exports/{export_id}")
def get_export(export_id: str, session: SessionDep, user: EngineerUser) -> dict[str, Any]:
    export = _get(session, export_id)
    return {**_public(export), "card": export.card}


@router.get("/exports/{export_id}/download", response_class=FileResponse)
def download_export(export_id: str, session: SessionDep, user: EngineerUser) -> FileResponse:
    export = _get(session, export_id)
    return _file_response(export, f"export-{export.id}.{export.format}")


def _get(session: SessionDep, export_id: str) -> Export:
    export = session.get(Export, export_id)
    if export is None:
        raise NotFound(f"export {export_id} not found")
    return export


def _public(export: Export) -> dict[str, Any]:
    return manifest(export, export.dataset)
