"""The annotation queue: lease the caller's next item."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.deps import AnnotatorUser, SessionDep
from app.models import User
from app.schemas.items import EditPublic, ItemPublic, LeasedItem, LeasePublic
from app.services.edits import current_draft
from app.services.queue import lease_next

router = APIRouter(prefix="/api/v1/queue", tags=["queue"])


def _lease(session: Session, user: User, dataset_id: int | None) -> LeasedItem | None:
    leased = lease_next(session, user, dataset_id)
    if leased is None:
        return None
    item, lease = leased
    draft = current_draft(session, item.id, user)
    reply = LeasedItem(item=ItemPublic.model_validate(item), lease=LeasePublic.model_validate(lease),
                       draft=EditPublic.model_validate(draft) if draft else None)
    session.rollback()  # ends the draft's read here rather than in a further trip to the pool from get_db
    return reply


@router.get("/next", response_model=LeasedItem, responses={204: {"description": "Nothing left for the caller."}})
async def get_next_item(
    session: SessionDep,
    user: AnnotatorUser,
    dataset_id: Annotated[int | None, Query(ge=1, description="Only items of this dataset.")] = None,
) -> LeasedItem | Response:
    """Lease the next item to the caller (the same one again while their lease lives) with their draft."""
    # One trip to the thread pool where a sync handler costs three (the handler, its reply, the connection).
    leased = await run_in_threadpool(_lease, session, user, dataset_id)
    return leased if leased is not None else Response(status_code=status.HTTP_204_NO_CONTENT)
