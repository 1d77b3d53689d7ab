"""The hot path of messages mode: claim one item and store its edit in a few prebuilt statements.

It serves the common case (Redis holds the concurrency slots, no cost ceiling, an answer that
parses): two statements to claim, six to store, no ORM objects, and no write to the batch row. Two worker processes then keep
64 calls busy on two cores (benchmarks/bench_autoedit.py). Every other case (the database limiter,
cost reservations, parse failures, duplicates) takes the ORM path in runner.py and results.py,
which follows the same rules. Lock order as everywhere: item, task, batch.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask, Dataset, Edit, EditStatus, Item
from app.models.base import utcnow
from app.services.autoedit.options import BatchTiming
from app.services.autoedit.pricing import Usage
from app.services.autoedit.prompt import ParsedEdit, max_tokens_for, render_prompt
from app.services.autoedit.states import B_RUNNING, DONE, PENDING, QUEUED, RUNNING, TASK_CLAIMABLE
from app.services.item_state import state_in_sql
from app.services.minimality import HARD, Minimality

_CLAIM = (
    update(AutoEditTask)
    .where(
        AutoEditTask.id == bindparam("b_task_id"), AutoEditTask.status.in_(TASK_CLAIMABLE),
        select(AutoEditBatch.id).where(AutoEditBatch.id == AutoEditTask.batch_id, AutoEditBatch.status == B_RUNNING,
                                       AutoEditBatch.max_cost_usd.is_(None)).exists(),
    )
    .values(status=RUNNING, attempts=AutoEditTask.attempts + 1, updated_at=bindparam("b_now"))
    .returning(AutoEditTask.batch_id, AutoEditTask.item_id, AutoEditTask.attempts)
)
_DATASET_COLUMNS = [c for c in Dataset.__table__.columns if c.key not in ("description", "guidelines")]
_CLAIM_READ = (
    select(Item.prompt, Item.chosen, Item.rejected, AutoEditBatch.model, AutoEditBatch.prompt_version,
           AutoEditBatch.options, AutoEditBatch.concurrency, AutoEditBatch.auto_accept, *_DATASET_COLUMNS)
    .join(Dataset, Dataset.id == Item.dataset_id)
    .join(AutoEditBatch, AutoEditBatch.id == bindparam("b_batch_id"))
    .where(Item.id == bindparam("b_item_id"))
)
_LOCK_ITEM = select(Item.flag).where(Item.id == bindparam("b_item_id")).with_for_update()
_INSERT_EDIT = insert(Edit).returning(Edit.id)
_FINISH_TASK = (
    update(AutoEditTask)
    .where(AutoEditTask.id == bindparam("b_task_id"), AutoEditTask.edit_id.is_(None), AutoEditTask.status != DONE)
    .values(status=DONE, edit_id=bindparam("b_edit_id"), error=None, updated_at=bindparam("b_now"))
)
_NEXT_PENDING = (
    select(AutoEditTask.id)
    .where(AutoEditTask.batch_id == bindparam("b_batch_id"), AutoEditTask.status == PENDING)
    .order_by(AutoEditTask.id).limit(1).with_for_update(skip_locked=True).scalar_subquery()
)
_TAKE_NEXT = (
    update(AutoEditTask).where(AutoEditTask.id == _NEXT_PENDING, AutoEditTask.status == PENDING)
    .values(status=QUEUED, updated_at=bindparam("b_now")).returning(AutoEditTask.id)
)


_NEEDED = func.coalesce(func.nullif(
    select(Dataset.annotations_per_item).where(Dataset.id == Item.dataset_id).scalar_subquery(), 0), 1)
# item_state.refresh_item_state's rules as one UPDATE (tests/autoedit/test_fastpath.py holds them equal).
_REFRESH_STATE = (
    update(Item).where(Item.id == bindparam("b_item_id"))
    .values(state=state_in_sql(_NEEDED), updated_at=bindparam("b_now"))
)


@dataclass(frozen=True)
class FastClaim:
    """What the store needs, read once at claim time."""

    task_id: int
    batch_id: int
    item_id: int
    attempts: int
    model: str
    prompt_version: str
    auto_accept: bool
    concurrency: int
    timing: BatchTiming
    request: dict[str, Any]
    item: Item
    """Transient (never added to the session): the texts, for grading."""
    dataset: Dataset
    """Transient: the thresholds and tokenizer, for grading."""


def claim(session: Session, task_id: int) -> FastClaim | None:
    """Claim the task if it is claimable in a running batch without a cost ceiling and has attempts
    left; None (nothing written) sends the caller to the ORM path, which finds out why not. Commits."""
    conn = session.connection()
    row = conn.execute(_CLAIM, {"b_task_id": task_id, "b_now": utcnow()}).first()
    if row is None:
        session.rollback()
        return None
    batch_id, item_id, attempts = row
    data = conn.execute(_CLAIM_READ, {"b_batch_id": batch_id, "b_item_id": item_id}).mappings().one()
    timing = BatchTiming.from_options(data["options"] or {})
    if attempts > timing.max_attempts:
        session.rollback()
        return None
    session.commit()
    item = Item(id=item_id, dataset_id=data["id"], prompt=data["prompt"], chosen=data["chosen"],
                rejected=data["rejected"])
    dataset = Dataset(**{c.key: data[c.key] for c in _DATASET_COLUMNS})
    prompt = render_prompt(data["prompt_version"], item.prompt, item.chosen, item.rejected)
    return FastClaim(task_id, batch_id, item_id, attempts, data["model"], data["prompt_version"],
                     data["auto_accept"], data["concurrency"], timing,
                     prompt.as_request(data["model"], max_tokens_for(item.rejected)), item, dataset)


def _lock_item(session: Session, conn: Connection, item_id: int) -> str | None:
    """The item's flag, with the item locked (SQLite: the database write lock, taken by a no-op UPDATE)."""
    if session.get_bind().dialect.name == "sqlite":
        conn.execute(text("UPDATE items SET state = state WHERE id = :id"), {"id": item_id})
    return conn.execute(_LOCK_ITEM, {"b_item_id": item_id}).scalar_one()


def store(
    session: Session, fc: FastClaim, parsed: ParsedEdit, hunks: list[Any], stats: dict[str, Any],
    verdict: Minimality, usage: Usage, cost: float,
) -> tuple[int, list[int]] | None:
    """Insert the edit (it carries the call's tokens and cost: no ceiling, so the batch row does not,
    see ledger), finish the task, refresh the item's state and take the next item; (edit id, task
    ids to send) after commit, or None (rolled back) when the task already has an edit: the caller
    books the duplicate's cost."""
    conn = session.connection()
    now = utcnow()
    _lock_item(session, conn, fc.item_id)
    rewrite, unchanged = verdict.level == HARD, parsed.edited == fc.item.rejected
    flags = (["rewrite"] if rewrite else []) + (["no_change"] if unchanged else [])
    accept = fc.auto_accept and not flags
    edit_id = conn.execute(_INSERT_EDIT, {
        "item_id": fc.item_id, "author_id": None, "model_name": fc.model, "batch_id": fc.batch_id,
        "edited_text": parsed.edited, "status": EditStatus.accepted if accept else EditStatus.submitted,
        "outcome": "no_edit_needed" if unchanged else ("rewrite" if rewrite else "edited"),
        "needs_rewrite": rewrite, "flags": flags, "hunks": hunks, "stats": stats, "version": 1,
        "rationale": parsed.rationale[:4000], "prompt_version": fc.prompt_version, "usage": usage.as_dict(),
        "cost_usd": cost, "submitted_at": now, "reviewed_at": now if accept else None,
    }).scalar_one()
    finished = conn.execute(_FINISH_TASK, {"b_task_id": fc.task_id, "b_edit_id": edit_id, "b_now": now})
    if finished.rowcount != 1:
        session.rollback()
        return None
    conn.execute(_REFRESH_STATE, {"b_item_id": fc.item_id, "b_now": now})
    send_ids = list(conn.execute(_TAKE_NEXT, {"b_batch_id": fc.batch_id, "b_now": now}).scalars())
    if not send_ids:  # the last items: end the batch once none is left
        from app.services.autoedit import ledger
        from app.services.autoedit.locks import lock_batch

        batch = lock_batch(session, fc.batch_id)
        if batch is not None:
            ledger.finish_if_done(session, batch)
    session.commit()
    return edit_id, send_ids
