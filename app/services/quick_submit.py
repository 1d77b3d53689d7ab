"""The common submit in two statements (PostgreSQL).

`edits.save_edit` submits in seven statements: lock, read the lease and draft, write the draft, delete the
lease, count the item's edits, write its state, record the event. Each is a round trip to a database that
shares the machine's cores, and the lock is held across all of them. Most submits are an annotator's
finish of a draft they have, on an item they hold: one read of everything the submit depends on, then one
statement whose common table expressions write the edit, delete the lease, record the event and set the
item's state. The edit's UPDATE repeats the version, status and lease tests (PostgreSQL re-tests them on
the newest row version when another writer got there first).

An item that needs one annotation is submitted by this one whatever else happened: both statements run in
autocommit, without the item lock. An item that needs several takes the lock, which orders the submit with
every other writer of its finished edits, and the second statement counts them.

Anything unusual (no draft yet, a stale version, a lease expired or gone, an item no longer open, a draft
written meanwhile) writes nothing and returns None: the caller takes the locked path, which answers
precisely.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.models import AuditEvent, Dataset, Edit, EditStatus, Item, Lease, User
from app.models.base import utcnow
from app.schemas.items import EditPublic
from app.services.draft_save import LEASE_LIVES, REPLY_COLUMNS
from app.services.edits import check_request, check_submittable, enqueue_after_commit, grade_texts
from app.services.item_state import OPEN, SUBMITTED, state_in_sql

_EDITS = cast(Table, Edit.__table__)
_LEASES = cast(Table, Lease.__table__)
_ITEMS = cast(Table, Item.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)


# Everything a submit depends on: the original and the grading settings, and the caller's lease and draft;
# read with the item's row locked where the item needs more than one annotation. The item's finished edits
# are counted by the next statement: this one's snapshot was taken before it waited for the lock, so it
# may miss a submit committed meanwhile.
_CONTEXT = (
    select(
        Item.rejected, Item.state, Dataset.tokenizer, Dataset.soft_max_changed_words,
        Dataset.hard_max_changed_words, Dataset.soft_max_edit_ratio, Dataset.hard_max_edit_ratio,
        Dataset.annotations_per_item, Edit.id.label("draft_id"), Edit.version.label("draft_version"),
        select(Lease.expires_at).where(Lease.item_id == Item.id, Lease.user_id == bindparam("b_user_id"))
        .scalar_subquery().label("lease_expires_at"),
    )
    .join(Dataset, Dataset.id == Item.dataset_id)
    .outerjoin(Edit, and_(Edit.item_id == Item.id, Edit.author_id == bindparam("b_user_id"),
                          Edit.status == EditStatus.draft))
    .where(Item.id == bindparam("b_item_id"))
)
_LOCKED_CONTEXT = _CONTEXT.with_for_update(of=Item)

_SUBMITTED = (
    update(_EDITS)
    .where(_EDITS.c.id == bindparam("b_edit_id"), _EDITS.c.status == EditStatus.draft,
           _EDITS.c.version == bindparam("b_version"), LEASE_LIVES)
    .values(edited_text=bindparam("b_text"), status=EditStatus.submitted, outcome=bindparam("b_outcome"),
            needs_rewrite=bindparam("b_rewrite"), hunks=bindparam("b_hunks"), stats=bindparam("b_stats"),
            updated_at=bindparam("b_now"), submitted_at=bindparam("b_now"), version=_EDITS.c.version + 1,
            time_spent_s=func.coalesce(_EDITS.c.time_spent_s, literal_column("0.0")) + bindparam("b_seconds"))
    .returning(*REPLY_COLUMNS)
    .cte("submitted")
)
_WRITTEN = exists(select(literal(1)).select_from(_SUBMITTED))
_RELEASED = (delete(_LEASES).where(_LEASES.c.item_id == bindparam("b_item_id"),
                                   _LEASES.c.user_id == bindparam("b_user_id"), _WRITTEN).cte("released"))
_EVENT_VALUES = {  # audit_events column: its value (audit.record writes the same for the locked path)
    "user_id": bindparam("b_user_id"), "action": literal("edit.submit", String), "target_type": literal("edits", String),
    "target_id": bindparam("b_edit_ref"), "detail": bindparam("b_detail", type_=_EVENTS.c.detail.type),
    "created_at": bindparam("b_now"),
}
_EVENT = insert(_EVENTS).from_select(list(_EVENT_VALUES), select(*_EVENT_VALUES.values()).where(_WRITTEN)).cte("event")
# The item's state from its finished edits as this statement sees them, plus the one it submits.
_NEW_STATE = state_in_sql(bindparam("b_needed"), submitting=1)
_ITEM_STATE = (update(_ITEMS).where(_ITEMS.c.id == bindparam("b_item_id"), _ITEMS.c.state != _NEW_STATE, _WRITTEN)
               .values(state=_NEW_STATE, updated_at=bindparam("b_now")).cte("item_state"))
_SUBMIT_COUNTED = select(_SUBMITTED).add_cte(_RELEASED, _EVENT, _ITEM_STATE)
# An item that needs one annotation is submitted by this one, whatever else the statement's snapshot
# holds: no counts, so no lock to order them, and the whole submit is one autocommit statement. A writer
# that changed the item's state first (a flag, a model edit) makes its WHERE clause match nothing.
_ONE_ANNOTATION_STATE = (update(_ITEMS).where(_ITEMS.c.id == bindparam("b_item_id"), _ITEMS.c.state == OPEN, _WRITTEN)
                         .values(state=SUBMITTED, updated_at=bindparam("b_now")).cte("item_state"))
_SUBMIT_ONE = select(_SUBMITTED).add_cte(_RELEASED, _EVENT, _ONE_ANNOTATION_STATE)


def _takes_quick_path(context: Any, version: int, now: datetime) -> bool:
    """An open item, a live lease, and a stored draft at the caller's version."""
    if context is None or context.state != OPEN or context.draft_id is None or context.lease_expires_at is None:
        return False
    return context.lease_expires_at > now and context.draft_version == version


def _write(conn: Connection, statement: Select, context: Any, item_id: int, user: User, edited_text: str,
           version: int, time_spent_s: float, outcome: str, needs_rewrite: bool, now: datetime) -> EditPublic | None:
    """Check and grade the submit against `context`, then run `statement`; None when the locked path must
    decide. Raises InvalidInput or TooLarge, as the locked path would."""
    if not _takes_quick_path(context, version, now):
        return None
    checked = check_request(context.rejected, edited_text, "submitted", outcome, time_spent_s)
    hunks, stats, verdict = grade_texts(context.rejected, edited_text, context.tokenizer, context)
    check_submittable(verdict, needs_rewrite)
    stored_outcome = "rewrite" if needs_rewrite else checked.outcome
    row = conn.execute(statement, {
        "b_item_id": item_id, "b_user_id": user.id, "b_edit_id": context.draft_id, "b_version": version,
        "b_now": now, "b_text": edited_text, "b_outcome": stored_outcome, "b_rewrite": needs_rewrite,
        "b_hunks": hunks, "b_stats": stats, "b_seconds": checked.time_spent_s,
        "b_needed": context.annotations_per_item or 1, "b_edit_ref": str(context.draft_id),
        "b_detail": {"item_id": item_id, "outcome": stored_outcome, "version": version + 1},
    }).first()
    if row is None:
        return None  # the draft was written, or the lease or the item changed, since the read
    return EditPublic.model_validate({**row._mapping, "edited_text": edited_text, "hunks": hunks, "stats": stats})


def quick_submit(session: Session, item_id: int, user: User, edited_text: str, version: int,
                 time_spent_s: float, outcome: str, needs_rewrite: bool) -> EditPublic | None:
    """Submit the caller's draft the quick way and return it as stored; None when the locked path must decide.
    Raises InvalidInput or TooLarge, as the locked path would, for a submit that fails its checks."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql" or version < 1:
        return None
    now = utcnow()
    args = (item_id, user, edited_text, version, time_spent_s, outcome, needs_rewrite, now)
    params = {"b_item_id": item_id, "b_user_id": user.id}
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        context = conn.execute(_CONTEXT, params).first()
        if context is None or (context.annotations_per_item or 1) == 1:
            stored = _write(conn, _SUBMIT_ONE, context, *args)  # two statements, each its own transaction
            if stored is not None:
                enqueue_after_commit(stored.id)
            return stored
    with bind.connect() as conn:  # leaving the block without a commit rolls back (and unlocks)
        stored = _write(conn, _SUBMIT_COUNTED, conn.execute(_LOCKED_CONTEXT, params).first(), *args)
        if stored is None:
            return None
        conn.commit()
    enqueue_after_commit(stored.id)
    return stored
