"""An item's workflow state, derived from its edits: open -> submitted -> accepted; flagged aside.

`open` items are offered by the queue; `submitted` ones wait for review; `accepted` ones are done;
`flagged` ones wait for an admin. A rejection sends an item back to `open`.
"""

from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, case, func, select, text, update
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from app.models import Dataset, Edit, EditStatus, Item
from app.models.base import utcnow

OPEN, SUBMITTED, ACCEPTED, FLAGGED = "open", "submitted", "accepted", "flagged"
# Edits that count toward an item's annotations (a superseded edit lives on in its modified successor).
DONE_STATUSES = (EditStatus.submitted, EditStatus.accepted)


def lock_item(session: Session, item_id: int) -> Item | None:
    """The item, locked for the rest of the transaction, so writes to it and its edits happen one at a time.

    PostgreSQL: a row lock (SELECT ... FOR UPDATE). SQLite has no row locks: a no-op UPDATE takes the
    database's write lock now, before anything is read, so no other writer can slip in between."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE items SET state = state WHERE id = :id"), {"id": item_id})
        return session.get(Item, item_id, populate_existing=True)
    return session.get(Item, item_id, with_for_update=True, populate_existing=True)


# Built once: every save runs them, and building a statement costs more CPU than running it.
_ITEM_AND_DATASET = (
    select(Item, Dataset).join(Dataset, Dataset.id == Item.dataset_id).where(Item.id == bindparam("b_item_id"))
    # A save reads neither the texts beside the response nor the guidelines: they load if something asks.
    .options(defer(Item.prompt), defer(Item.chosen), defer(Item.meta), defer(Dataset.description),
             defer(Dataset.guidelines))
    .execution_options(populate_existing=True)
)
_ITEM_AND_DATASET_LOCKED = _ITEM_AND_DATASET.with_for_update(of=Item)
_SQLITE_WRITE_LOCK = text("UPDATE items SET state = state WHERE id = :b_item_id")


def lock_item_and_dataset(session: Session, item_id: int) -> tuple[Item, Dataset] | None:
    """lock_item, fetching the item's dataset in the same round trip (the save path is latency-bound)."""
    params = {"b_item_id": item_id}
    query = _ITEM_AND_DATASET_LOCKED
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_SQLITE_WRITE_LOCK, params)
        query = _ITEM_AND_DATASET
    row = session.execute(query, params).first()
    return (row[0], row[1]) if row else None


def take_write_lock(session: Session) -> None:
    """SQLite only: take the database write lock now (see lock_item); a no-op on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE datasets SET id = id WHERE 1 = 0"))


_ANNOTATIONS_NEEDED = select(Dataset.annotations_per_item).where(Dataset.id == bindparam("b_dataset_id"))


_ITEMS = cast(Table, Item.__table__)
_SET_STATE = (update(_ITEMS).where(_ITEMS.c.id == bindparam("b_id"))
              .values(state=bindparam("b_state"), updated_at=bindparam("b_now")))

# An item's accepted and done edits, counted in one pass.
_DONE_COUNTS = select(
    func.count().filter(Edit.status == EditStatus.accepted), func.count().filter(Edit.status.in_(DONE_STATUSES))
).where(Edit.item_id == bindparam("b_item_id"))


def _count_item_edits(*statuses: EditStatus) -> Any:
    return (select(func.count()).select_from(Edit)
            .where(Edit.item_id == Item.id, Edit.status.in_(statuses)).scalar_subquery())


def state_in_sql(needed: Any, submitting: int = 0) -> ColumnElement[str]:
    """refresh_item_state's rule as an SQL expression for an UPDATE of items, over the item's edits as that
    statement sees them; `submitting`: edits the same statement submits (still drafts in its snapshot)."""
    return case(
        (Item.flag.is_not(None), FLAGGED),
        (_count_item_edits(EditStatus.accepted) >= needed, ACCEPTED),
        (_count_item_edits(*DONE_STATUSES) + submitting >= needed, SUBMITTED),
        else_=OPEN,
    )


def refresh_item_state(session: Session, item: Item, annotations_needed: int | None = None) -> str:
    """Recompute `item.state` from its edits (a flagged item stays flagged until an admin clears it).
    `annotations_needed`: the dataset's annotations_per_item when the caller has it (saves a query)."""
    session.flush()
    if item.flag is not None:
        item.state = FLAGGED
        return item.state
    needed = annotations_needed or session.scalar(_ANNOTATIONS_NEEDED, {"b_dataset_id": item.dataset_id}) or 1
    accepted, done = session.execute(_DONE_COUNTS, {"b_item_id": item.id}).one()
    state = ACCEPTED if accepted >= needed else SUBMITTED if done >= needed else OPEN
    if state != item.state:
        # A prebuilt UPDATE, stored on the object as its committed state: the unit of work's flush of one
        # changed attribute costs several times the statement on the submit path.
        now = utcnow()
        session.execute(_SET_STATE, {"b_id": item.id, "b_state": state, "b_now": now})
        set_committed_value(item, "state", state)
        set_committed_value(item, "updated_at", now)
    return state
