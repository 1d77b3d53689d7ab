"""Auto-edit batches as the API, the admin pages and the CLI see them: start, progress, cancel, list."""

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import AutoEditBatch, AutoEditTask, Dataset, Edit, User
from app.services import audit
from app.services.autoedit import enqueue, ledger
from app.services.autoedit.limiter import make_limiter
from app.services.autoedit.locks import lock_batch
from app.services.autoedit.options import MAX_REMOTE_BATCH, BatchRequest
from app.services.autoedit.selection import select_item_ids
from app.services.autoedit.states import (
    B_CANCELLED,
    B_CANCELLING,
    B_QUEUED,
    B_RUNNING,
    BATCH_FINAL,
    CANCELLED,
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    TASK_ACTIVE,
)
from app.services.autoedit.watcher import start_watch
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.item_state import take_write_lock


def find_dataset(session: Session, dataset: str | int) -> Dataset:
    if isinstance(dataset, int) or str(dataset).isdigit():
        found = session.get(Dataset, int(dataset))
    else:
        found = session.scalars(select(Dataset).where(Dataset.name == dataset)).first()
    if found is None:
        raise NotFound(f"dataset {dataset!r} not found")
    return found


def _lock_dataset(session: Session, dataset_id: int) -> None:
    """One batch creation per dataset at a time, so two batches never take the same unedited item."""
    take_write_lock(session)
    session.scalars(select(Dataset.id).where(Dataset.id == dataset_id).with_for_update()).first()


def create_batch(session: Session, settings: Settings, request: BatchRequest, user: User | None = None) -> AutoEditBatch:
    """Validate, select the items, store the batch and one task per item, commit, then queue the work.
    Raises InvalidInput (field named) or NotFound."""
    request.validated(settings.autoedit_model)
    dataset = find_dataset(session, request.dataset)
    _lock_dataset(session, dataset.id)
    item_ids = select_item_ids(session, dataset, request)
    if not item_ids:
        raise InvalidInput(f"no items of dataset {dataset.name!r} match this selection "
                           f"({request.selection}, filters as given); nothing to do", field="selection")
    if request.mode == "batches" and len(item_ids) > MAX_REMOTE_BATCH:
        raise InvalidInput(f"{len(item_ids)} items exceed the {MAX_REMOTE_BATCH} requests of one Message Batch; "
                           "set a limit and start several batches", field="limit")
    assert request.model is not None
    batch = AutoEditBatch(
        dataset_id=dataset.id, created_by_id=user.id if user else None, model=request.model, mode=request.mode,
        prompt_version=request.prompt_version, max_cost_usd=request.max_cost_usd,
        concurrency=request.concurrency, auto_accept=request.auto_accept,
        status=B_RUNNING if request.mode == "messages" else B_QUEUED, options=request.stored_options(),
    )
    session.add(batch)
    session.flush()
    for start in range(0, len(item_ids), 5000):
        session.execute(insert(AutoEditTask), [
            {"batch_id": batch.id, "item_id": item_id, "status": PENDING} for item_id in item_ids[start:start + 5000]
        ])
    first = ledger.take_pending(session, batch.id, ledger.window(batch)) if request.mode == "messages" else []
    token = start_watch(batch)
    audit.record(session, user, "autoedit.start", batch, {
        "dataset_id": dataset.id, "items": len(item_ids), "model": batch.model, "mode": batch.mode,
        "max_cost_usd": batch.max_cost_usd, "auto_accept": batch.auto_accept,
    })
    session.commit()
    if request.mode == "batches":
        try:
            enqueue.send_submit(batch.id)
        except Exception:  # the watcher submits it at its first pass
            pass
    enqueue.send_after_commit(first, (batch.id, token, request.timing.watch_interval_s))
    return batch


def get_batch(session: Session, batch_id: int) -> AutoEditBatch:
    batch = session.get(AutoEditBatch, batch_id, populate_existing=True)  # workers change it under us
    if batch is None:
        raise NotFound(f"auto-edit batch {batch_id} not found")
    return batch


def batch_progress(session: Session, batch_id: int) -> dict[str, Any]:
    """Done, failed, remaining, tokens and cost, plus what became of the drafts."""
    batch = get_batch(session, batch_id)
    counts = dict(session.execute(
        select(AutoEditTask.status, func.count()).where(AutoEditTask.batch_id == batch_id).group_by(AutoEditTask.status)
    ).tuples().all())
    outcomes = dict(session.execute(
        select(Edit.outcome, func.count()).where(Edit.batch_id == batch_id).group_by(Edit.outcome)
    ).tuples().all())
    statuses = {str(status): n for status, n in session.execute(
        select(Edit.status, func.count()).where(Edit.batch_id == batch_id).group_by(Edit.status)
    ).tuples().all()}
    failures = session.execute(
        select(AutoEditTask.item_id, AutoEditTask.error)
        .where(AutoEditTask.batch_id == batch_id, AutoEditTask.status == FAILED)
        .order_by(AutoEditTask.updated_at.desc()).limit(5)
    ).all()
    total = sum(counts.values())
    input_tokens, output_tokens, cost = ledger.spend_totals(session, batch)
    return {
        "id": batch.id, "dataset_id": batch.dataset_id, "status": batch.status, "error": batch.error,
        "ended": batch.status in BATCH_FINAL and not any(counts.get(s, 0) for s in TASK_ACTIVE),
        "model": batch.model, "mode": batch.mode, "prompt_version": batch.prompt_version,
        "concurrency": batch.concurrency, "auto_accept": batch.auto_accept, "max_cost_usd": batch.max_cost_usd,
        "total": total, "done": counts.get(DONE, 0), "failed": counts.get(FAILED, 0),
        "cancelled": counts.get(CANCELLED, 0), "running": counts.get(RUNNING, 0),
        "remaining": sum(counts.get(s, 0) for s in TASK_ACTIVE),
        "input_tokens": input_tokens, "output_tokens": output_tokens,
        "cost_usd": round(cost, 6), "reserved_usd": round(ledger.reserved_usd(batch), 6),
        "edits": {"edited": outcomes.get("edited", 0), "no_change": outcomes.get("no_edit_needed", 0),
                  "rewrite": outcomes.get("rewrite", 0), "in_review": statuses.get("submitted", 0),
                  "accepted": statuses.get("accepted", 0)},
        "recent_failures": [{"item_id": item_id, "error": error} for item_id, error in failures],
        "remote_batch_id": batch.remote_batch_id,
        "created_at": batch.created_at.isoformat() if batch.created_at else None,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
    }


def cancel_batch(session: Session, settings: Settings, batch_id: int, user: User | None = None) -> AutoEditBatch:
    """Stop the rest of a batch and keep what is done. Calls in flight finish and are stored; in
    batches mode the remote batch is cancelled by the watcher, which then collects what it finished."""
    batch = lock_batch(session, batch_id)
    if batch is None:
        raise NotFound(f"auto-edit batch {batch_id} not found")
    if batch.status in BATCH_FINAL or batch.status == B_CANCELLING:
        raise Conflict(f"auto-edit batch {batch_id} already {batch.status}")
    who = f"cancelled by {user.email}" if user else "cancelled"
    if batch.mode == "batches" and batch.remote_batch_id:
        batch.status = B_CANCELLING
        batch.error = who
    else:
        ledger.stop_batch(session, batch, B_CANCELLED, who)
    token = start_watch(batch)
    audit.record(session, user, "autoedit.cancel", batch, {"status": batch.status})
    session.commit()
    limiter = make_limiter(settings)
    if limiter is not None:
        limiter.mark_stopped(batch.id)  # calls claimed but not yet sent stay home
    enqueue.send_after_commit([], (batch.id, token, 0.0))
    return batch


def list_batches(session: Session, dataset_id: int | None = None, limit: int = 50) -> list[AutoEditBatch]:
    stmt = select(AutoEditBatch).order_by(AutoEditBatch.id.desc()).limit(limit)
    if dataset_id is not None:
        stmt = stmt.where(AutoEditBatch.dataset_id == dataset_id)
    return list(session.scalars(stmt))
