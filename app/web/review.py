"""The reviewer's pages: the queue of submitted edits (human or model-made), one edit as a diff with the
item's history, and accept / reject with a reason / modify (a new version)."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.deps import SessionDep
from app.models import Dataset, Edit, EditStatus, Item, User
from app.services import review
from app.services.datasets import get_dataset, list_datasets
from app.services.edits import check_text, get_edit
from app.services.errors import InvalidInput, ReviewConflict
from app.web.pages import ReviewerPage
from app.web.preview import build_preview
from app.web.render import render

router = APIRouter(prefix="/review", include_in_schema=False)

REASON_MAX = 4000
DONE_NOTICES = {
    "accepted": "Edit accepted.",
    "rejected": "Edit rejected; the item is back in the annotation queue.",
    "modified": "Your version was stored and accepted; the earlier one stays in the item's history.",
}


def _emails(session: SessionDep, edits: list[Edit]) -> dict[int, str]:
    ids = {e.author_id for e in edits if e.author_id is not None} | {
        e.reviewer_id for e in edits if e.reviewer_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(ids))).tuples().all())


def _done_notice(done: str) -> dict[str, str] | None:
    return {"kind": "ok", "text": DONE_NOTICES[done]} if done in DONE_NOTICES else None


@router.get("", response_class=HTMLResponse)
def get_review_queue(request: Request, session: SessionDep, user: ReviewerPage, dataset_id: int | None = None,
                     done: str = "") -> HTMLResponse:
    edits = review.review_queue(session, user, dataset_id, limit=100)
    items = review.items_of(session, edits)
    return render(request, "review/queue.html", {
        "user": user, "section": "review", "title": "Review", "edits": edits, "items": items,
        "emails": _emails(session, edits), "total": review.review_queue_size(session, user, dataset_id),
        "datasets": list_datasets(session), "dataset_id": dataset_id, "notice": _done_notice(done),
    })


def _edit_page(request: Request, session: SessionDep, user: User, edit: Edit, *, notice: Any = None,
               status_code: int = 200, draft_text: str | None = None) -> HTMLResponse:
    item = session.get(Item, edit.item_id)
    assert item is not None
    dataset = get_dataset(session, item.dataset_id)
    history = review.item_history(session, item.id)
    versions = [(e, build_preview(item.rejected, e.edited_text, dataset)) for e in reversed(history)]
    return render(request, "review/edit.html", {
        "user": user, "section": "review", "title": f"Review edit {edit.id}", "edit": edit, "item": item,
        "diff_title": "The edit, token by token",
        "dataset": dataset, "preview": build_preview(item.rejected, edit.edited_text, dataset),
        "versions": versions, "emails": _emails(session, history), "notice": notice,
        "modify_text": draft_text if draft_text is not None else edit.edited_text,
        "reviewable": edit.status == EditStatus.submitted and edit.author_id != user.id,
    }, status_code=status_code)


@router.get("/edits/{edit_id}", response_class=HTMLResponse)
def get_review_edit(edit_id: int, request: Request, session: SessionDep, user: ReviewerPage, done: str = ""
                    ) -> HTMLResponse:
    return _edit_page(request, session, user, get_edit(session, edit_id), notice=_done_notice(done))


def _after_review(session: SessionDep, user: User, dataset_id: int, done: str) -> RedirectResponse:
    """On to the next edit waiting in the same dataset, or back to the queue."""
    following = review.next_for_review(session, user, dataset_id)
    url = f"/review/edits/{following.id}?done={done}" if following else f"/review?done={done}"
    return RedirectResponse(url, status_code=303)


def _dataset_of(session: SessionDep, edit: Edit) -> int:
    dataset_id = session.scalar(select(Item.dataset_id).where(Item.id == edit.item_id))
    assert dataset_id is not None
    return int(dataset_id)


def _refused(request: Request, session: SessionDep, user: User, edit_id: int, exc: InvalidInput | ReviewConflict,
             draft_text: str | None = None) -> HTMLResponse:
    session.rollback()
    edit = get_edit(session, edit_id)
    return _edit_page(request, session, user, edit, notice={"kind": "error", "text": exc.message},
                      status_code=exc.status_code, draft_text=draft_text)


@router.post("/edits/{edit_id}/accept")
def post_accept(edit_id: int, request: Request, session: SessionDep, user: ReviewerPage,
                note: Annotated[str, Form(max_length=REASON_MAX)] = "") -> Response:
    edit = get_edit(session, edit_id)
    dataset_id = _dataset_of(session, edit)
    try:
        review.accept_edit(session, edit_id, user, note or None)
    except ReviewConflict as exc:
        return _refused(request, session, user, edit_id, exc)
    return _after_review(session, user, dataset_id, "accepted")


@router.post("/edits/{edit_id}/reject")
def post_reject(edit_id: int, request: Request, session: SessionDep, user: ReviewerPage,
                reason: Annotated[str, Form(max_length=REASON_MAX)] = "") -> Response:
    edit = get_edit(session, edit_id)
    dataset_id = _dataset_of(session, edit)
    try:
        review.reject_edit(session, edit_id, user, reason)
    except (InvalidInput, ReviewConflict) as exc:
        return _refused(request, session, user, edit_id, exc)
    return _after_review(session, user, dataset_id, "rejected")


@router.post("/edits/{edit_id}/modify")
def post_modify(edit_id: int, request: Request, session: SessionDep, user: ReviewerPage,
                edited_text: Annotated[str, Form(max_length=1_000_000)],
                reason: Annotated[str, Form(max_length=REASON_MAX)] = "") -> Response:
    edit = get_edit(session, edit_id)
    dataset_id = _dataset_of(session, edit)
    try:
        review.modify_edit(session, edit_id, user, edited_text, reason or None)
    except (InvalidInput, ReviewConflict) as exc:
        return _refused(request, session, user, edit_id, exc, draft_text=edited_text)
    return _after_review(session, user, dataset_id, "modified")


@router.post("/edits/{edit_id}/preview", response_class=HTMLResponse)
def post_modify_preview(edit_id: int, request: Request, session: SessionDep, user: ReviewerPage,
                        edited_text: Annotated[str, Form(max_length=1_000_000)]) -> HTMLResponse:
    """The live diff of the reviewer's modified version against the original response."""
    edit = get_edit(session, edit_id)
    item = session.get(Item, edit.item_id)
    assert item is not None
    dataset: Dataset = get_dataset(session, item.dataset_id)
    check_text(edited_text)
    return render(request, "annotate/_preview.html", {
        "preview": build_preview(item.rejected, edited_text, dataset), "dataset": dataset,
        "id_prefix": "modify-", "diff_title": "Your version, token by token",
    }, fragment="annotate/_preview.html")
