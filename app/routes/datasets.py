"""Datasets: list and read (with progress) for every role; import and settings for admins."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import JSONResponse

from app.deps import AdminUser, CurrentUser, SessionDep
from app.models import Dataset
from app.schemas.datasets import (
    DatasetDetail,
    DatasetProgressPublic,
    DatasetPublic,
    DatasetUpdate,
    ImportOutcome,
)
from app.services import datasets
from app.services.progress import dataset_progress

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])


def _detail(session: SessionDep, dataset: Dataset) -> DatasetDetail:
    progress = DatasetProgressPublic(**dataset_progress(session, dataset.id).to_dict())
    return DatasetDetail(**DatasetPublic.model_validate(dataset).model_dump(), progress=progress)


@router.get("", response_model=list[DatasetPublic])
def list_datasets(session: SessionDep, user: CurrentUser) -> list[Dataset]:
    return datasets.list_datasets(session)


@router.get("/{dataset_id}", response_model=DatasetDetail)
def get_dataset(dataset_id: int, session: SessionDep, user: CurrentUser) -> DatasetDetail:
    return _detail(session, datasets.get_dataset(session, dataset_id))


@router.patch("/{dataset_id}", response_model=DatasetDetail)
def update_dataset(dataset_id: int, body: DatasetUpdate, session: SessionDep, admin: AdminUser) -> DatasetDetail:
    dataset = datasets.get_dataset(session, dataset_id)
    datasets.update_settings(session, dataset, body.model_dump(exclude_unset=True, exclude_none=True), admin)
    session.commit()
    return _detail(session, dataset)


@router.post(
    "", response_model=ImportOutcome, status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "Invalid rows: `errors` lists {row, field, message}; nothing was imported."}},
)
def import_dataset(
    session: SessionDep,
    admin: AdminUser,
    file: Annotated[UploadFile, File(description="JSONL, JSON array, CSV or Parquet file of preference pairs.")],
    name: Annotated[str, Form(min_length=1, max_length=200, description="Dataset to create or add to.")],
    format: Annotated[str | None, Form(max_length=50, description="Row format; detected when left out.")] = None,
    skip_invalid: Annotated[bool, Form(description="Import the valid rows and report the rest.")] = False,
) -> ImportOutcome | JSONResponse:
    """Import a file into a dataset in one transaction; a file with any invalid row imports nothing
    (422 with the list of problems) unless `skip_invalid`. Duplicates are skipped and counted."""
    from app.services.imports import ImportRejected, import_file

    try:
        # The upload is already spooled to a temporary file by the multipart parser; the import streams it.
        report = import_file(session, file.file, name, format or None, skip_invalid, admin,
                             source_name=file.filename or "upload")
    except ImportRejected as exc:
        return JSONResponse(
            {"detail": str(exc), "errors": exc.errors, "invalid_rows": exc.invalid_rows,
             "errors_truncated": exc.truncated},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    dataset = datasets.get_dataset(session, report.dataset_id)
    return ImportOutcome(dataset=DatasetPublic.model_validate(dataset), report=report.as_dict())
