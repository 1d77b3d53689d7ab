"""The reviewer pass: the queue of submitted edits, and accept / reject / modify (409 if already reviewed)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.deps import CurrentUser, ReviewerUser, SessionDep
from app.models import Edit, Role, User
from app.schemas.items import EditPublic, ItemPublic
from app.schemas.review import AcceptRequest, ModifyRequest, RejectRequest, ReviewEntry, ReviewQueue
from app.services import review
from app.services.edits import get_edit
from app.services.errors import PermissionDenied

router = APIRouter(prefix="/api/v1", tags=["review"])

CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "The edit is no longer waiting for review."}}


def _entries(session: SessionDep, edits: list[Edit]) -> list[ReviewEntry]:
    author_ids = {e.author_id for e in edits if e.author_id is not None}
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(author_ids))).tuples().all())
    items = review.items_of(session, edits)
    return [
        ReviewEntry(edit=EditPublic.model_validate(e), item=ItemPublic.model_validate(items[e.item_id]),
                    author_email=emails.get(e.author_id) if e.author_id is not None else None)
        for e in edits
    ]


@router.get("/review/queue", response_model=ReviewQueue)
def get_review_queue(
    session: SessionDep,
    reviewer: ReviewerUser,
    dataset_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ReviewQueue:
    """Submitted edits (human or model-made) waiting for review, oldest first; the caller's own left out."""
    edits = review.review_queue(session, reviewer, dataset_id, limit, offset)
    return ReviewQueue(total=review.review_queue_size(session, reviewer, dataset_id), entries=_entries(session, edits))


@router.get("/edits/{edit_id}", response_model=EditPublic)
def read_edit(edit_id: int, session: SessionDep, user: CurrentUser) -> Edit:
    """Annotators may read only their own edits."""
    edit = get_edit(session, edit_id)
    if user.role == Role.annotator and edit.author_id != user.id:
        raise PermissionDenied(f"edit {edit_id} is not yours")
    return edit


@router.post("/edits/{edit_id}/accept", response_model=EditPublic, responses=CONFLICT)
def accept_edit(edit_id: int, body: AcceptRequest, session: SessionDep, reviewer: ReviewerUser) -> Edit:
    return review.accept_edit(session, edit_id, reviewer, body.note)


@router.post("/edits/{edit_id}/reject", response_model=EditPublic, responses=CONFLICT)
def reject_edit(edit_id: int, body: RejectRequest, session: SessionDep, reviewer: ReviewerUser) -> Edit:
    """Reject with a reason; the item goes back to the annotation queue."""
    return review.reject_edit(session, edit_id, reviewer, body.reason)


@router.post("/edits/{edit_id}/modify", response_model=EditPublic, responses=CONFLICT)
def modify_edit(edit_id: int, body: ModifyRequest, session: SessionDep, reviewer: ReviewerUser) -> Edit:
    """Store the reviewer's version as a new accepted edit; the reviewed one becomes superseded."""
    return review.modify_edit(session, edit_id, reviewer, body.edited_text, body.reason, body.needs_rewrite)
