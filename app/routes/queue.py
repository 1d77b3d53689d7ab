"""The annotation queue: lease the caller's next item."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.deps import AnnotatorUser, SessionDep
from app.schemas.items import EditPublic, ItemPublic, LeasedItem, LeasePublic
from app.services.edits import current_draft
from app.services.queue import lease_next

router = APIRouter(prefix="/api/v1/queue", tags=["queue"])


@router.get("/next", response_model=LeasedItem, responses={204: {"description": "Nothing left for the caller."}})
def get_next_item(
    session: SessionDep,
    user: AnnotatorUser,
    dataset_id: Annotated[int | None, Query(ge=1, description="Only items of this dataset.")] = None,
) -> LeasedItem | Response:
    """Lease the next item to the caller (the same one again while their lease lives) with their draft."""
    leased = lease_next(session, user, dataset_id)
    if leased is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    item, lease = leased
    draft = current_draft(session, item.id, user)
    return LeasedItem(item=ItemPublic.model_validate(item), lease=LeasePublic.model_validate(lease),
                      draft=EditPublic.model_validate(draft) if draft else None)
