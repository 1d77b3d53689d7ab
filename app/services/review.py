"""The reviewer pass: accept, reject with a reason, or modify a submitted edit (human or model-made).

A rejection sends the item back to the annotation queue. A modification stores a new edit whose
`parent_id` is the reviewed one; the reviewed edit becomes `superseded` and stays in the item's history.
Each action changes the edit only while it is still `submitted`, so two reviewers never both win.
"""

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item, User
from app.models.base import utcnow
from app.services import audit
from app.services.edits import check_text, enqueue_after_commit, grade
from app.services.errors import InvalidInput, NotFound, ReviewConflict
from app.services.item_state import lock_item, refresh_item_state

MAX_REASON_CHARS = 4000


def _queue_query(reviewer: User, dataset_id: int | None) -> Select:
    query = (
        select(Edit).join(Item, Item.id == Edit.item_id)
        .where(Edit.status == EditStatus.submitted)
        # Nobody reviews their own edit.
        .where(or_(Edit.author_id.is_(None), Edit.author_id != reviewer.id))
    )
    if dataset_id is not None:
        query = query.where(Item.dataset_id == dataset_id)
    return query


def review_queue(
    session: Session, reviewer: User, dataset_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[Edit]:
    """Submitted edits waiting for review, oldest submission first."""
    query = _queue_query(reviewer, dataset_id).order_by(Edit.submitted_at, Edit.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def items_of(session: Session, edits: list[Edit]) -> dict[int, Item]:
    """The items of the edits by id, in one query (a page of the queue made one per row before)."""
    item_ids = {e.item_id for e in edits}
    return {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))} if item_ids else {}


def review_queue_size(session: Session, reviewer: User, dataset_id: int | None = None) -> int:
    return session.scalar(select(func.count()).select_from(_queue_query(reviewer, dataset_id).subquery())) or 0


def next_for_review(session: Session, reviewer: User, dataset_id: int | None = None) -> Edit | None:
    found = review_queue(session, reviewer, dataset_id, limit=1)
    return found[0] if found else None


@dataclass(frozen=True)
class _Decision:
    status: EditStatus
    reason: str | None


def _mark_reviewed(session: Session, edit_id: int, reviewer: User, decision: _Decision) -> tuple[Edit, Item]:
    """Lock the edit's item and move the edit from submitted to `decision.status` (no commit).

    ReviewConflict when the edit is no longer submitted (another reviewer acted first)."""
    edit = session.get(Edit, edit_id)
    if edit is None:
        raise NotFound(f"edit {edit_id} not found")
    item = lock_item(session, edit.item_id)
    assert item is not None
    now = utcnow()
    result = session.execute(
        update(Edit).where(Edit.id == edit_id, Edit.status == EditStatus.submitted)
        .values(status=decision.status, reviewer_id=reviewer.id, review_reason=decision.reason,
                reviewed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        session.rollback()
        current = session.get(Edit, edit_id, populate_existing=True)
        state = current.status.value if current else "gone"
        raise ReviewConflict(f"edit {edit_id} is no longer waiting for review (it is {state})")
    session.refresh(edit)
    return edit, item


def _decide(session: Session, edit_id: int, reviewer: User, decision: _Decision) -> Edit:
    edit, item = _mark_reviewed(session, edit_id, reviewer, decision)
    refresh_item_state(session, item)
    audit.record(session, reviewer, f"edit.{decision.status.value}", edit,
                 {"item_id": item.id, "reason": (decision.reason or "")[:500]})
    session.commit()
    return edit


def _check_reason(reason: str | None, required: bool) -> str | None:
    reason = (reason or "").strip() or None
    if required and reason is None:
        raise InvalidInput("a rejection needs a reason the annotator can act on", field="reason")
    if reason and len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"reason longer than {MAX_REASON_CHARS} characters", field="reason")
    return reason


def accept_edit(session: Session, edit_id: int, reviewer: User, note: str | None = None) -> Edit:
    """Accept a submitted edit; ReviewConflict (409) when it is no longer submitted."""
    return _decide(session, edit_id, reviewer, _Decision(EditStatus.accepted, _check_reason(note, False)))


def reject_edit(session: Session, edit_id: int, reviewer: User, reason: str) -> Edit:
    """Reject a submitted edit with a reason; its item goes back to the annotation queue."""
    return _decide(session, edit_id, reviewer, _Decision(EditStatus.rejected, _check_reason(reason, True)))


def modify_edit(
    session: Session, edit_id: int, reviewer: User, edited_text: str, reason: str | None = None,
    needs_rewrite: bool | None = None,
) -> Edit:
    """Replace a submitted edit by the reviewer's own version, accepted at once; returns the new edit.

    The new edit's parent is the reviewed one, which becomes `superseded`; the item's history keeps both."""
    reason = _check_reason(reason, False)
    check_text(edited_text)
    edit = session.get(Edit, edit_id)
    if edit is None:
        raise NotFound(f"edit {edit_id} not found")
    hunks, stats, verdict = grade(session, edit.item, edited_text)
    superseded, item = _mark_reviewed(session, edit_id, reviewer, _Decision(EditStatus.superseded, reason))
    now = utcnow()
    rewrite = verdict.level == "hard" if needs_rewrite is None else needs_rewrite
    new = Edit(
        item_id=edit.item_id, author_id=reviewer.id, parent_id=superseded.id, edited_text=edited_text,
        status=EditStatus.accepted, outcome="no_edit_needed" if edited_text == item.rejected else (
            "rewrite" if rewrite else "edited"),
        needs_rewrite=rewrite, hunks=hunks, stats=stats, version=superseded.version + 1,
        reviewer_id=reviewer.id, review_reason=reason, submitted_at=now, reviewed_at=now,
    )
    session.add(new)
    session.flush()
    refresh_item_state(session, item)
    audit.record(session, reviewer, "edit.modify", new, {"item_id": item.id, "parent_id": superseded.id})
    session.commit()
    enqueue_after_commit(new.id)
    return new


def item_history(session: Session, item_id: int, include_drafts: bool = False) -> list[Edit]:
    """Every edit of an item, oldest first (other people's drafts left out unless asked for)."""
    if session.get(Item, item_id) is None:
        raise NotFound(f"item {item_id} not found")
    query = select(Edit).where(Edit.item_id == item_id).order_by(Edit.created_at, Edit.id)
    if not include_drafts:
        query = query.where(Edit.status != EditStatus.draft)
    return list(session.scalars(query))
