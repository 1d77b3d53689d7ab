"""Which items of a dataset a new batch takes: the unedited ones, or all, narrowed by filters."""

from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.models import AutoEditTask, Dataset, Edit, Item, Lease
from app.services.autoedit.options import BatchRequest
from app.services.autoedit.states import TASK_ACTIVE


def glob_to_like(pattern: str) -> str:
    """`*` and `?` wildcards as a LIKE pattern (escape character `\\`)."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def select_item_ids(session: Session, dataset: Dataset, request: BatchRequest) -> list[int]:
    """Ids in ascending order. An item already in another active batch is never taken twice."""
    stmt = select(Item.id).where(Item.dataset_id == dataset.id)
    stmt = stmt.where(~exists().where(AutoEditTask.item_id == Item.id, AutoEditTask.status.in_(TASK_ACTIVE)))
    if request.selection == "unedited":
        now = datetime.now(UTC)
        stmt = stmt.where(
            Item.state == "open",
            ~exists().where(Edit.item_id == Item.id),
            ~exists().where(Lease.item_id == Item.id, Lease.expires_at > now),  # someone is editing it now
        )
    if request.item_ids is not None:
        stmt = stmt.where(Item.id.in_(request.item_ids))
    if request.external_id_glob:
        stmt = stmt.where(Item.external_id.like(glob_to_like(request.external_id_glob), escape="\\"))
    stmt = stmt.order_by(Item.id)
    if request.limit is not None:
        stmt = stmt.limit(request.limit)
    return list(session.scalars(stmt))
