"""Admin pages for Claude auto-edit batches: start one, watch it live (a self-polling fragment that
stops when the batch ends), cancel it. The drafts then wait in the review queue like any edit."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from app.config import Settings
from app.deps import SessionDep, SettingsDep
from app.models import Dataset, User
from app.services.autoedit import batches
from app.services.autoedit.options import MODES, SELECTIONS, BatchRequest
from app.services.autoedit.pricing import PRICES
from app.services.autoedit.prompt import DEFAULT_PROMPT_VERSION, available_versions
from app.services.errors import ServiceError
from app.web.pages import AdminPage
from app.web.render import render

router = APIRouter(prefix="/admin/autoedit", include_in_schema=False)


def _default_form(settings: Settings) -> dict[str, Any]:
    return {"dataset": "", "selection": "unedited", "external_id_glob": "", "limit": "", "model": settings.autoedit_model,
            "prompt_version": DEFAULT_PROMPT_VERSION, "mode": "messages", "max_cost_usd": "", "concurrency": "8",
            "auto_accept": False}


def _index(request: Request, session: SessionDep, settings: Settings, admin: User, form: dict[str, Any] | None = None,
           error: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "admin/autoedit.html", {
        "user": admin, "section": "autoedit", "title": "Auto-edit",
        "datasets": list(session.scalars(select(Dataset).order_by(Dataset.name))),
        "batches": [batches.batch_progress(session, b.id) for b in batches.list_batches(session)],
        "form": form or _default_form(settings), "error": error, "modes": MODES, "selections": SELECTIONS,
        "prompt_versions": available_versions(), "models": sorted(PRICES),
    }, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def get_autoedit(request: Request, session: SessionDep, settings: SettingsDep, admin: AdminPage) -> HTMLResponse:
    return _index(request, session, settings, admin)


def _number(value: str, kind: type) -> Any:
    return kind(value) if value.strip() else None


@router.post("", response_class=HTMLResponse)
def post_autoedit(
    request: Request, session: SessionDep, settings: SettingsDep, admin: AdminPage,
    dataset: Annotated[str, Form(max_length=200)],
    selection: Annotated[str, Form(max_length=20)] = "unedited",
    external_id_glob: Annotated[str, Form(max_length=300)] = "",
    limit: Annotated[str, Form(max_length=12)] = "",
    model: Annotated[str, Form(max_length=200)] = "",
    prompt_version: Annotated[str, Form(max_length=50)] = DEFAULT_PROMPT_VERSION,
    mode: Annotated[str, Form(max_length=20)] = "messages",
    max_cost_usd: Annotated[str, Form(max_length=20)] = "",
    concurrency: Annotated[str, Form(max_length=6)] = "8",
    auto_accept: Annotated[bool, Form()] = False,
) -> Response:
    """Start a batch; a refused request re-renders the form with the message beside the field."""
    form = {"dataset": dataset, "selection": selection, "external_id_glob": external_id_glob, "limit": limit,
            "model": model, "prompt_version": prompt_version, "mode": mode, "max_cost_usd": max_cost_usd,
            "concurrency": concurrency, "auto_accept": auto_accept}
    try:
        request_ = BatchRequest(
            dataset=dataset, selection=selection, external_id_glob=external_id_glob or None,
            limit=_number(limit, int), model=model or None, prompt_version=prompt_version, mode=mode,
            max_cost_usd=_number(max_cost_usd, float), concurrency=_number(concurrency, int) or 8,
            auto_accept=auto_accept,
        )
    except ValueError:
        return _index(request, session, settings, admin, form,
                      {"field": "limit", "message": "limit, cost ceiling and concurrency must be numbers"}, 422)
    try:
        batch = batches.create_batch(session, settings, request_, admin)
    except ServiceError as exc:
        session.rollback()
        field = exc.extra.get("field") or "dataset"
        return _index(request, session, settings, admin, form, {"field": field, "message": exc.message}, exc.status_code)
    target = f"/admin/autoedit/{batch.id}"
    return Response(status_code=303, headers={"Location": target, "HX-Redirect": target})


def _status(request: Request, session: SessionDep, admin: User, batch_id: int) -> HTMLResponse:
    progress = batches.batch_progress(session, batch_id)
    return render(request, "admin/autoedit_batch.html", {
        "user": admin, "section": "autoedit", "title": f"Auto-edit batch {batch_id}", "b": progress,
    }, fragment="admin/_autoedit_status.html")


@router.get("/{batch_id}", response_class=HTMLResponse)
def get_batch_page(batch_id: int, request: Request, session: SessionDep, admin: AdminPage) -> HTMLResponse:
    """The batch page, or (htmx) only its status fragment, which re-polls itself until the batch ends."""
    return _status(request, session, admin, batch_id)


@router.post("/{batch_id}/cancel", response_class=HTMLResponse)
def post_cancel(batch_id: int, request: Request, session: SessionDep, settings: SettingsDep, admin: AdminPage
                ) -> HTMLResponse:
    try:
        batches.cancel_batch(session, settings, batch_id, admin)
    except ServiceError:
        session.rollback()  # already ended: the fragment shows how
    return _status(request, session, admin, batch_id)
