"""The annotator's pages: lease the next item, edit it with a live token diff, save drafts, submit,
declare "no edit needed", skip with a reason, flag; the lease is renewed while the page is open."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.deps import SessionDep, SettingsDep
from app.models import Dataset, Edit, EditStatus, Item, User
from app.models.base import utcnow
from app.services import edits, queue
from app.services.datasets import get_dataset, list_datasets
from app.services.errors import InvalidInput, LeaseLost, NotFound, ServiceError, StaleEdit
from app.services.progress import dataset_progress
from app.services.saving import save_annotation
from app.web.pages import AnnotatorPage
from app.web.preview import build_preview
from app.web.render import is_htmx, render

router = APIRouter(prefix="/annotate", include_in_schema=False)

TextField = Annotated[str, Form(max_length=1_000_000)]
MAX_GAP_S = 600.0  # a pause longer than this between two saves counts as time away, not work
SKIP_REASONS = (
    ("outside-expertise", "Outside my expertise"),
    ("cannot-judge", "I cannot judge the facts"),
    ("too-long", "Too long to edit well"),
    ("duplicate", "Duplicate of another item"),
    ("other", "Other"),
)
QUEUE_NOTICES = {
    "submitted": "Edit submitted.",
    "no_edit": "Recorded as \u201cno edit needed\u201d.",
    "skipped": "Item skipped.",
    "flagged": "Item flagged for an admin.",
}
DONE_NOTICES = {
    "submitted": "Edit submitted. Here is your next item.",
    "no_edit": "Recorded as \u201cno edit needed\u201d. Here is your next item.",
    "skipped": "Item skipped. Here is your next item.",
    "flagged": "Item flagged for an admin. Here is your next item.",
}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _work_seconds(session: SessionDep, item_id: int, user: User) -> float:
    """Time since the previous save of this item (or since it was leased), measured by the server."""
    draft = edits.current_draft(session, item_id, user)
    lease = queue.live_lease(session, item_id, user)
    marks = [_aware(m) for m in (draft.updated_at if draft else None, lease.created_at if lease else None) if m]
    if not marks:
        return 0.0
    return min(MAX_GAP_S, max(0.0, (utcnow() - max(marks)).total_seconds()))


def _next_url(session: SessionDep, user: User, dataset_id: int | None, done: str) -> str:
    """Lease the next item and return its page, or the queue page when nothing is left."""
    leased = queue.lease_next(session, user, dataset_id)
    if leased is None:
        return f"/annotate?done={done}&empty=1"
    return f"/annotate/items/{leased[0].id}?done={done}"


def _go(request: Request, url: str) -> Response:
    """Navigate the browser: HX-Redirect for htmx requests, a 303 for plain forms."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _message(request: Request, text: str, kind: str, status_code: int) -> HTMLResponse:
    return render(request, "annotate/_message.html", {"text": text, "kind": kind},
                  fragment="annotate/_message.html", status_code=status_code)


@router.get("", response_class=HTMLResponse)
def get_queue(request: Request, session: SessionDep, user: AnnotatorPage, done: str = "", empty: int = 0
              ) -> HTMLResponse:
    datasets = [(d, dataset_progress(session, d.id)) for d in list_datasets(session)]
    notice = None
    if empty:
        done_text = QUEUE_NOTICES.get(done, "")
        notice = {"kind": "info", "text": f"{done_text} Nothing is left for you to annotate there right now.".strip()}
    elif done in QUEUE_NOTICES:
        notice = {"kind": "ok", "text": QUEUE_NOTICES[done]}
    return render(request, "annotate/queue.html", {
        "user": user, "section": "annotate", "title": "Annotate", "datasets": datasets, "notice": notice,
    })


@router.post("/next")
def post_next(request: Request, session: SessionDep, user: AnnotatorPage,
              dataset_id: Annotated[int | None, Form()] = None) -> Response:
    """Lease the next item (the one already held, if any) and open it."""
    leased = queue.lease_next(session, user, dataset_id)
    if leased is None:
        return _go(request, "/annotate?empty=1")
    return _go(request, f"/annotate/items/{leased[0].id}")


@router.get("/items/{item_id}", response_class=HTMLResponse)
def get_item(item_id: int, request: Request, session: SessionDep, settings: SettingsDep, user: AnnotatorPage,
             done: str = "") -> HTMLResponse:
    item = session.get(Item, item_id)
    lease = queue.live_lease(session, item_id, user) if item else None
    if item is None or lease is None:
        return render(request, "annotate/lost.html", {
            "user": user, "section": "annotate", "title": "Item not leased", "item_id": item_id,
        }, status_code=404 if item is None else 409)
    dataset = get_dataset(session, item.dataset_id)
    draft = edits.current_draft(session, item_id, user)
    text = draft.edited_text if draft else item.rejected
    notice = {"kind": "ok", "text": DONE_NOTICES[done]} if done in DONE_NOTICES else None
    sent_back = _last_rejection(session, item_id, user)
    if sent_back is not None and notice is None:
        notice = {"kind": "warn", "text": f"A reviewer sent your earlier edit of this item back: "
                                          f"\u201c{sent_back.review_reason or 'no reason given'}\u201d"}
    return render(request, "annotate/item.html", {
        "user": user, "section": "annotate", "title": f"Item {item.external_id}",
        "item": item, "dataset": dataset, "text": text, "version": draft.version if draft else 0,
        "draft": draft, "preview": build_preview(item.rejected, text, dataset), "lease": lease,
        "renew_every_s": max(10, settings.lease_ttl_seconds // 3), "skip_reasons": SKIP_REASONS,
        "flag_kinds": queue.FLAG_KINDS, "notice": notice,
    })


def _last_rejection(session: SessionDep, item_id: int, user: User) -> Edit | None:
    """The user's most recent rejected edit of this item, whose reason they should see on return."""
    return session.scalars(
        select(Edit).where(Edit.item_id == item_id, Edit.author_id == user.id, Edit.status == EditStatus.rejected)
        .order_by(Edit.id.desc())
    ).first()


def _leased_item(session: SessionDep, item_id: int, user: User) -> tuple[Item, Dataset]:
    item = queue.get_item_for(session, item_id, user)
    return item, get_dataset(session, item.dataset_id)


@router.post("/items/{item_id}/preview", response_class=HTMLResponse)
def post_preview(item_id: int, request: Request, session: SessionDep, user: AnnotatorPage,
                 edited_text: TextField) -> HTMLResponse:
    """The live diff and minimality meter of the text being typed (computed here, stored nowhere)."""
    item, dataset = _leased_item(session, item_id, user)
    edits.check_text(edited_text)
    return render(request, "annotate/_preview.html", {
        "preview": build_preview(item.rejected, edited_text, dataset), "dataset": dataset,
    }, fragment="annotate/_preview.html")


@router.post("/items/{item_id}/draft", response_class=HTMLResponse)
def post_draft(item_id: int, request: Request, session: SessionDep, user: AnnotatorPage,
               edited_text: TextField, version: Annotated[int, Form(ge=0)]) -> HTMLResponse:
    """Autosave (a moment after typing stops) and Ctrl+S: store the draft under the version check."""
    spent = _work_seconds(session, item_id, user)
    try:
        edit = save_annotation(session, item_id, user, edited_text, "draft", version, spent)
    except StaleEdit as exc:
        return _message(request, f"Not saved: this draft was saved elsewhere (now version {exc.current_version}). "
                        "Reload the page to continue from the newest version.", "error", 409)
    except LeaseLost:
        return _message(request, "Not saved: your lease on this item ended. Copy your text, then reload.",
                        "error", 409)
    return render(request, "annotate/_saved.html", {"edit": edit}, fragment="annotate/_saved.html")


@router.post("/items/{item_id}/submit", response_class=HTMLResponse)
def post_submit(item_id: int, request: Request, session: SessionDep, user: AnnotatorPage,
                edited_text: TextField, version: Annotated[int, Form(ge=0)],
                needs_rewrite: Annotated[bool, Form()] = False) -> Response:
    item, _ = _leased_item(session, item_id, user)
    spent = _work_seconds(session, item_id, user)
    try:
        save_annotation(session, item_id, user, edited_text, "submitted", version, spent,
                        needs_rewrite=needs_rewrite)
    except (InvalidInput, StaleEdit, LeaseLost) as exc:
        return _message(request, _refusal(exc), "error", exc.status_code)
    return _go(request, _next_url(session, user, item.dataset_id, "submitted"))


@router.post("/items/{item_id}/no-edit", response_class=HTMLResponse)
def post_no_edit(item_id: int, request: Request, session: SessionDep, user: AnnotatorPage,
                 edited_text: TextField, version: Annotated[int, Form(ge=0)]) -> Response:
    """Record that the response needed no change (counted in progress, never silently dropped)."""
    item, _ = _leased_item(session, item_id, user)
    if edited_text != item.rejected:
        return _message(request, "Your text differs from the original. Press \u201cReset\u201d first if the "
                        "response really needs no edit, or submit your edit.", "error", 422)
    spent = _work_seconds(session, item_id, user)
    try:
        save_annotation(session, item_id, user, item.rejected, "submitted", version, spent,
                        outcome="no_edit_needed")
    except (InvalidInput, StaleEdit, LeaseLost) as exc:
        return _message(request, _refusal(exc), "error", exc.status_code)
    return _go(request, _next_url(session, user, item.dataset_id, "no_edit"))


def _refusal(exc: ServiceError) -> str:
    if isinstance(exc, StaleEdit):
        return (f"Not submitted: this item was saved elsewhere (now version {exc.current_version}). "
                "Reload the page to continue from the newest version.")
    if isinstance(exc, LeaseLost):
        return "Not submitted: your lease on this item ended. Copy your text, then reload to lease it again."
    if isinstance(exc, InvalidInput) and exc.field == "needs_rewrite":
        return ("Not submitted: this edit is above the dataset's hard limit. Make a smaller edit, or tick "
                "\u201cThis needed a rewrite\u201d if the response could not be fixed minimally.")
    return f"Not submitted: {exc.message}."


@router.post("/items/{item_id}/renew", response_class=HTMLResponse)
def post_renew(item_id: int, request: Request, session: SessionDep, user: AnnotatorPage) -> HTMLResponse:
    """Called every few minutes by the open page so that the lease lasts while the annotator works."""
    try:
        lease = queue.renew_lease(session, item_id, user)
    except (LeaseLost, NotFound):
        return _message(request, "Your lease on this item ended; someone else may take it. Reload to lease it "
                        "again.", "error", 409)
    return render(request, "annotate/_lease.html", {"lease": lease}, fragment="annotate/_lease.html")


@router.post("/items/{item_id}/skip")
def post_skip(item_id: int, request: Request, session: SessionDep, user: AnnotatorPage,
              reason: Annotated[str, Form(max_length=100)],
              note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Skip with a reason: the lease is released and the item is not offered to this annotator again."""
    labels = dict(SKIP_REASONS)
    if reason not in labels:
        raise InvalidInput(f"unknown skip reason {reason!r}; choose one of {', '.join(labels)}", field="reason")
    item = queue.get_item_for(session, item_id, user)
    queue.skip_item(session, item_id, user, labels[reason] + (f": {note.strip()}" if note.strip() else ""))
    return _go(request, _next_url(session, user, item.dataset_id, "skipped"))


@router.post("/items/{item_id}/flag")
def post_flag(item_id: int, request: Request, session: SessionDep, user: AnnotatorPage,
              kind: Annotated[str, Form(max_length=20)],
              note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Flag the item (unsafe, unclear, broken): it leaves the queue until an admin looks at it."""
    item = queue.get_item_for(session, item_id, user)
    queue.flag_item(session, item_id, user, kind, note.strip())
    return _go(request, _next_url(session, user, item.dataset_id, "flagged"))
