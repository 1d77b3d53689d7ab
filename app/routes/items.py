"""Items: read one, save or submit the caller's edit (409 on a stale version or a lost lease),
renew or release its lease, skip or flag it, and read its history."""

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.deps import AdminUser, AnnotatorUser, CurrentUser, SessionDep, require_roles
from app.models import Item, Role, User
from app.schemas.items import EditPublic, EditSave, FlagRequest, ItemPublic, LeasePublic, SkipRequest
from app.schemas.review import ItemHistory
from app.services import queue
from app.services.review import item_history
from app.services.saving import save_annotation

router = APIRouter(prefix="/api/v1/items", tags=["items"])

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Stale version (`current_version` given) or lost lease: reload and retry."}
}
history_reader = Depends(require_roles(Role.reviewer, Role.admin, Role.engineer))


@router.get("/{item_id}", response_model=ItemPublic)
def get_item(item_id: int, session: SessionDep, user: CurrentUser) -> Item:
    """Annotators may read only items leased to them or that they edited."""
    return queue.get_item_for(session, item_id, user)


def _save(session: Session, item_id: int, body: EditSave, user: User) -> EditPublic:
    return save_annotation(session, item_id, user, body.edited_text, body.status, body.version, body.time_spent_s,
                           body.outcome, body.needs_rewrite)


@router.put("/{item_id}/edit", response_model=EditPublic, responses=CONFLICT)
async def save_item_edit(item_id: int, body: EditSave, session: SessionDep, user: AnnotatorUser) -> EditPublic:
    """Save the caller's draft (status draft) or submit it (status submitted), under a version check."""
    # Autosaves are the busiest request: one trip to the thread pool for the work and the reply, where a
    # sync handler costs two (FastAPI validates a sync handler's return value in the pool as well).
    return await run_in_threadpool(_save, session, item_id, body, user)


@router.post("/{item_id}/lease", response_model=LeasePublic, responses=CONFLICT)
def renew_item_lease(item_id: int, session: SessionDep, user: AnnotatorUser) -> LeasePublic:
    return LeasePublic.model_validate(queue.renew_lease(session, item_id, user))


@router.delete("/{item_id}/lease", status_code=204)
def release_item_lease(item_id: int, session: SessionDep, user: AnnotatorUser) -> None:
    queue.release_lease(session, item_id, user)


@router.post("/{item_id}/skip", status_code=204)
def skip_item(item_id: int, body: SkipRequest, session: SessionDep, user: AnnotatorUser) -> None:
    queue.get_item_for(session, item_id, user)  # 403 for an item another annotator holds
    queue.skip_item(session, item_id, user, body.reason)


@router.post("/{item_id}/flag", response_model=ItemPublic)
def flag_item(item_id: int, body: FlagRequest, session: SessionDep, user: AnnotatorUser) -> Item:
    queue.get_item_for(session, item_id, user)  # 403: no flagging (and reading) an item another annotator holds
    return queue.flag_item(session, item_id, user, body.kind, body.note)


@router.delete("/{item_id}/flag", response_model=ItemPublic)
def clear_item_flag(item_id: int, session: SessionDep, admin: AdminUser) -> Item:
    return queue.clear_flag(session, item_id, admin)


@router.get("/{item_id}/history", response_model=ItemHistory, dependencies=[history_reader])
def get_item_history(item_id: int, session: SessionDep) -> ItemHistory:
    """Every non-draft edit of the item, oldest first (superseded versions included)."""
    edits = item_history(session, item_id)
    item = session.get(Item, item_id)
    return ItemHistory(item=ItemPublic.model_validate(item),
                       edits=[EditPublic.model_validate(e) for e in edits])
