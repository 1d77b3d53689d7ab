"""Admin pages for datasets: upload a file (its import report, errors as a table), edit thresholds,
annotations per item and guidelines, see progress per annotator, and clear annotators' flags."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.deps import SessionDep
from app.models import Dataset, Item, User
from app.services import datasets, queue
from app.services.errors import ServiceError
from app.services.importers import ROW_FORMATS
from app.services.progress import dataset_progress
from app.services.stats import annotator_stats
from app.web.pages import AdminPage
from app.web.render import render

router = APIRouter(prefix="/admin/datasets", include_in_schema=False)

FLAGGED_SHOWN = 50


def _list_page(request: Request, session: SessionDep, admin: User, *, report: Any = None, rejected: Any = None,
               form: Any = None, status_code: int = 200) -> HTMLResponse:
    rows = [(d, dataset_progress(session, d.id)) for d in datasets.list_datasets(session)]
    return render(request, "admin/datasets.html", {
        "user": admin, "section": "datasets", "title": "Datasets", "datasets": rows, "formats": ROW_FORMATS,
        "report": report, "rejected": rejected, "form": form or {"name": "", "format": "", "skip_invalid": False},
    }, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def get_datasets(request: Request, session: SessionDep, admin: AdminPage) -> HTMLResponse:
    return _list_page(request, session, admin)


@router.post("", response_class=HTMLResponse)
def post_upload(request: Request, session: SessionDep, admin: AdminPage,
                file: Annotated[UploadFile, File()], name: Annotated[str, Form(max_length=200)],
                format: Annotated[str, Form(max_length=50)] = "",
                skip_invalid: Annotated[bool, Form()] = False) -> HTMLResponse:
    """Import an uploaded file; a rejected file is shown as a table of {row, field, message}."""
    from app.services.imports import ImportRejected, import_file

    form = {"name": name, "format": format, "skip_invalid": skip_invalid}
    try:
        report = import_file(session, file.file, name, format or None, skip_invalid, admin,
                             source_name=file.filename or "upload")
    except ImportRejected as exc:
        rejected = {"message": str(exc), "errors": exc.errors, "invalid_rows": exc.invalid_rows,
                    "truncated": exc.truncated}
        return _list_page(request, session, admin, rejected=rejected, form=form, status_code=422)
    return _list_page(request, session, admin, report=report, status_code=201)


def _flagged(session: SessionDep, dataset_id: int) -> list[Item]:
    query = (select(Item).where(Item.dataset_id == dataset_id, Item.flag.is_not(None))
             .order_by(Item.updated_at.desc()).limit(FLAGGED_SHOWN))
    return list(session.scalars(query))


def _detail_page(request: Request, session: SessionDep, admin: User, dataset: Dataset, *, notice: Any = None,
                 status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/dataset.html", {
        "user": admin, "section": "datasets", "title": dataset.name, "dataset": dataset,
        "progress": dataset_progress(session, dataset.id), "annotators": annotator_stats(session, dataset.id),
        "flagged": _flagged(session, dataset.id), "notice": notice,
    }, status_code=status_code)


@router.get("/{dataset_id}", response_class=HTMLResponse)
def get_dataset_page(dataset_id: int, request: Request, session: SessionDep, admin: AdminPage, done: str = ""
                     ) -> HTMLResponse:
    notices = {"saved": "Settings saved.", "unflagged": "Flag cleared; the item is back in the queue."}
    notice = {"kind": "ok", "text": notices[done]} if done in notices else None
    return _detail_page(request, session, admin, datasets.get_dataset(session, dataset_id), notice=notice)


@router.post("/{dataset_id}")
def post_settings(
    dataset_id: int, request: Request, session: SessionDep, admin: AdminPage,
    description: Annotated[str, Form(max_length=20_000)],
    guidelines: Annotated[str, Form(max_length=200_000)],
    tokenizer: Annotated[str, Form(min_length=1, max_length=500)],
    soft_max_changed_words: Annotated[int, Form(ge=0, le=1_000_000)],
    hard_max_changed_words: Annotated[int, Form(ge=0, le=1_000_000)],
    soft_max_edit_ratio_pct: Annotated[float, Form(ge=0, le=100)],
    hard_max_edit_ratio_pct: Annotated[float, Form(ge=0, le=100)],
    annotations_per_item: Annotated[int, Form(ge=1, le=100)],
) -> Response:
    """Save the settings an admin owns; the ratios come in as percentages, as the form shows them."""
    dataset = datasets.get_dataset(session, dataset_id)
    changes = {
        "description": description, "guidelines": guidelines, "tokenizer": tokenizer.strip(),
        "soft_max_changed_words": soft_max_changed_words, "hard_max_changed_words": hard_max_changed_words,
        "soft_max_edit_ratio": round(soft_max_edit_ratio_pct / 100, 4),
        "hard_max_edit_ratio": round(hard_max_edit_ratio_pct / 100, 4),
        "annotations_per_item": annotations_per_item,
    }
    try:
        datasets.update_settings(session, dataset, changes, admin)
    except ServiceError as exc:
        session.rollback()
        session.refresh(dataset)
        return _detail_page(request, session, admin, dataset, notice={"kind": "error", "text": exc.message},
                            status_code=exc.status_code)
    session.commit()
    return RedirectResponse(f"/admin/datasets/{dataset_id}?done=saved", status_code=303)


@router.post("/{dataset_id}/items/{item_id}/unflag")
def post_unflag(dataset_id: int, item_id: int, session: SessionDep, admin: AdminPage) -> Response:
    queue.clear_flag(session, item_id, admin)
    return RedirectResponse(f"/admin/datasets/{dataset_id}?done=unflagged", status_code=303)
