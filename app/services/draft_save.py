"""The common autosave in two statements: a live lease, a draft at the caller's version (or none yet).

`edits.save_edit` takes the item's row lock and then reads, checks and writes in five round trips to the
database. Most saves are an annotator's autosave of a draft they already have, on an item they hold,
and need none of that ordering: one read of what grading needs, then one UPDATE whose WHERE clause
repeats every check (the draft's version and status, the lease). PostgreSQL re-tests that clause on the
newest row version when another writer got there first, so a concurrent save or submit of the same draft
makes it match nothing rather than overwrite. Both statements run in autocommit (no BEGIN and COMMIT
round trips).

A first save (version 0) inserts the draft with ON CONFLICT DO NOTHING on the unique index of drafts per
item and author, so two first saves at once make one draft and one refusal (PostgreSQL only).

Anything unusual (a stale version, a lease to renew or lost, an item no longer open, a submit) returns
None, and the caller takes the locked path, which gives the precise answer.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Engine,
    Row,
    Table,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.models import Dataset, Edit, EditStatus, Item, Lease, User
from app.models.base import utcnow
from app.schemas.items import EditPublic
from app.services.edits import check_request, grade_texts
from app.services.item_state import OPEN
from app.services.queue import renewal_due

_EDITS = cast(Table, Edit.__table__)
_LEASES = cast(Table, Lease.__table__)

# Everything a draft save reads, in one statement and without locks: the item's original response and
# state, its dataset's grading settings, the caller's lease and their newest draft's version.
_GRADING_CONTEXT = (
    select(
        Item.rejected, Item.state, Dataset.tokenizer, Dataset.soft_max_changed_words,
        Dataset.hard_max_changed_words, Dataset.soft_max_edit_ratio, Dataset.hard_max_edit_ratio,
        select(Lease.expires_at).where(Lease.item_id == Item.id, Lease.user_id == bindparam("b_user_id"))
        .scalar_subquery().label("lease_expires_at"),
        select(Edit.version).where(Edit.item_id == Item.id, Edit.author_id == bindparam("b_user_id"),
                                   Edit.status == EditStatus.draft)
        .order_by(Edit.id.desc()).limit(1).scalar_subquery().label("draft_version"),
    )
    .join(Dataset, Dataset.id == Item.dataset_id)
    .where(Item.id == bindparam("b_item_id"))
)

LEASE_LIVES = exists().where(_LEASES.c.item_id == bindparam("b_item_id"), _LEASES.c.user_id == bindparam("b_user_id"),
                              _LEASES.c.expires_at > bindparam("b_now"))
REPLY_COLUMNS = [c for c in _EDITS.c if c.name in EditPublic.model_fields
                  and c.name not in ("edited_text", "hunks", "stats")]  # these the caller has already
_WRITE_DRAFT = (
    update(_EDITS)
    .where(_EDITS.c.item_id == bindparam("b_item_id"), _EDITS.c.author_id == bindparam("b_user_id"),
           _EDITS.c.status == EditStatus.draft, _EDITS.c.version == bindparam("b_version"), LEASE_LIVES)
    .values(edited_text=bindparam("b_text"), outcome=bindparam("b_outcome"), needs_rewrite=bindparam("b_rewrite"),
            hunks=bindparam("b_hunks"), stats=bindparam("b_stats"), updated_at=bindparam("b_now"),
            submitted_at=None, version=_EDITS.c.version + 1,
            time_spent_s=func.coalesce(_EDITS.c.time_spent_s, literal_column("0.0")) + bindparam("b_seconds"))
    .returning(*REPLY_COLUMNS)
)


# A first save: the new draft, if the lease lives and no draft exists (the unique index of drafts per item
# and author turns a concurrent first save into no row instead of a second draft).
_NEW_DRAFT_PARAMS = {  # column: the parameter that carries it
    "item_id": "b_item_id", "author_id": "b_user_id", "edited_text": "b_text", "outcome": "b_outcome",
    "needs_rewrite": "b_rewrite", "hunks": "b_hunks", "stats": "b_stats", "time_spent_s": "b_seconds",
    "created_at": "b_now", "updated_at": "b_now",
}
_NEW_DRAFT_CONSTANTS = {"status": EditStatus.draft, "version": 1, "flags": [], "usage": {}, "cost_usd": 0.0}
_NEW_DRAFT = (
    pg_insert(_EDITS)
    .from_select(
        [*_NEW_DRAFT_PARAMS, *_NEW_DRAFT_CONSTANTS],
        select(*(bindparam(param, type_=_EDITS.c[column].type) for column, param in _NEW_DRAFT_PARAMS.items()),
               *(literal(value, _EDITS.c[column].type) for column, value in _NEW_DRAFT_CONSTANTS.items()))
        .where(LEASE_LIVES),
    )
    .on_conflict_do_nothing(index_elements=["item_id", "author_id"], index_where=text("status = 'draft'"))
    .returning(*REPLY_COLUMNS)
)


def _takes_quick_path(context: Row[Any] | None, version: int, now: datetime) -> bool:
    """Whether the read context allows the quick save: an open item, a lease not yet due for renewal (the
    locked path renews it), and a stored draft at the caller's version (none for 0)."""
    if context is None or context.state != OPEN or context.lease_expires_at is None:
        return False
    return not renewal_due(context.lease_expires_at, now) and (context.draft_version or 0) == version


def quick_save_draft(session: Session, item_id: int, user: User, edited_text: str, version: int,
                     time_spent_s: float, outcome: str, needs_rewrite: bool) -> EditPublic | None:
    """Save the caller's draft the quick way and return it as stored; None when the locked path must decide.
    Raises InvalidInput or TooLarge, as the locked path would, for a save that fails its checks."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or (version == 0 and bind.dialect.name != "postgresql"):
        return None  # SQLite has no ON CONFLICT for the partial index here: first saves take the locked path
    now = utcnow()
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        context = conn.execute(_GRADING_CONTEXT, {"b_item_id": item_id, "b_user_id": user.id}).first()
        if not _takes_quick_path(context, version, now):
            return None
        assert context is not None
        checked = check_request(context.rejected, edited_text, "draft", outcome, time_spent_s)
        hunks, stats, _ = grade_texts(context.rejected, edited_text, context.tokenizer, context)
        stored_outcome = "rewrite" if needs_rewrite else checked.outcome
        row = conn.execute(_WRITE_DRAFT if version else _NEW_DRAFT, {
            "b_item_id": item_id, "b_user_id": user.id, "b_version": version, "b_now": now, "b_text": edited_text,
            "b_outcome": stored_outcome, "b_rewrite": needs_rewrite, "b_hunks": hunks, "b_stats": stats,
            "b_seconds": checked.time_spent_s,
        }).first()
    if row is None:
        return None  # written or submitted meanwhile, or the lease ended: the locked path says which
    return EditPublic.model_validate({**row._mapping, "edited_text": edited_text, "hunks": hunks, "stats": stats})
