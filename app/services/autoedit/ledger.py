"""A batch's books: spend and reservations, handing out the next items, and how a batch ends.

Where spend is booked: every edit carries its own tokens and cost. A batch without a cost ceiling
books on its own row only what no edit carries (parse failures, refusals, duplicate answers), so
that workers storing edits never queue on one hot row; its totals are the row plus its edits
(spend_totals). A batch with a ceiling books everything on its row as well, because the ceiling
check reads the row under its lock.

Reservations make the cost ceiling hold: before a call, its worst-case cost is reserved in
`options["reserved_usd"]` under the batch row lock; when the call ends the reservation is
replaced by what the call really cost. A call starts only if spent + reserved + its own worst
case stays under the ceiling, so in-flight calls can never add up past it.
"""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask, Edit
from app.models.base import utcnow
from app.services.autoedit.pricing import Usage
from app.services.autoedit.states import (
    B_RUNNING,
    CANCELLED,
    PENDING,
    QUEUED,
    RETRYING,
    TASK_ACTIVE,
)

EPSILON_USD = 1e-9


def books_edit_spend(batch: AutoEditBatch) -> bool:
    """Whether the batch row also counts the spend its edits carry (only with a cost ceiling)."""
    return batch.max_cost_usd is not None


def spend_totals(session: Session, batch: AutoEditBatch) -> tuple[int, int, float]:
    """(input tokens, output tokens, cost in USD) the batch has spent, wherever it was booked."""
    totals = (batch.input_tokens, batch.output_tokens, batch.cost_usd)
    if books_edit_spend(batch):
        return totals
    in_t, out_t, cost = session.execute(
        select(func.coalesce(func.sum(Edit.usage["input_tokens"].as_integer()), 0),
               func.coalesce(func.sum(Edit.usage["output_tokens"].as_integer()), 0),
               func.coalesce(func.sum(Edit.cost_usd), 0.0))
        .where(Edit.batch_id == batch.id, Edit.model_name.is_not(None))
    ).one()
    return totals[0] + int(in_t), totals[1] + int(out_t), totals[2] + float(cost)


def reserved_usd(batch: AutoEditBatch) -> float:
    return float((batch.options or {}).get("reserved_usd", 0.0))


def set_reserved(batch: AutoEditBatch, amount: float) -> None:
    # A new dict: SQLAlchemy notices a JSON column change only on assignment.
    batch.options = {**(batch.options or {}), "reserved_usd": max(0.0, amount) if amount > EPSILON_USD else 0.0}


def add_spend(batch: AutoEditBatch, usage: Usage | None, cost: float, released: float = 0.0) -> None:
    """Count a call's tokens and cost, and drop the reservation it held (call with the batch locked)."""
    if usage is not None:
        batch.input_tokens += usage.input_tokens
        batch.output_tokens += usage.output_tokens
    batch.cost_usd += cost
    if released:
        set_reserved(batch, reserved_usd(batch) - released)


def window(batch: AutoEditBatch) -> int:
    """Items handed out (queued, running or retrying) per batch. A slot frees when its call ends but
    the item's successor is handed out only once its edit is stored, so the window covers the calls
    in flight, the writes after them and the claims before them: three times the concurrency keeps
    every slot busy even when the writes are slow, and a lost message costs at most one window of
    re-sends."""
    return max(3, 3 * batch.concurrency)


def count_active(session: Session, batch_id: int, statuses: tuple[str, ...] = TASK_ACTIVE) -> int:
    return session.scalar(
        select(func.count()).select_from(AutoEditTask)
        .where(AutoEditTask.batch_id == batch_id, AutoEditTask.status.in_(statuses))
    ) or 0


def take_pending(session: Session, batch_id: int, n: int) -> list[int]:
    """Mark up to n pending tasks queued (lowest ids first) and return their ids to send after commit.
    PostgreSQL skips rows another transaction is taking, so two callers never hand out the same task."""
    if n <= 0:
        return []
    chosen = (
        select(AutoEditTask.id)
        .where(AutoEditTask.batch_id == batch_id, AutoEditTask.status == PENDING)
        .order_by(AutoEditTask.id).limit(n).with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return sorted(session.scalars(
        update(AutoEditTask).where(AutoEditTask.id.in_(chosen), AutoEditTask.status == PENDING)
        .values(status=QUEUED, updated_at=utcnow()).returning(AutoEditTask.id)
        .execution_options(synchronize_session=False)
    ))


def add_spend_now(session: Session, batch_id: int, usage: Usage | None, cost: float) -> None:
    """Count a call's tokens and cost in one atomic UPDATE (no reservation to drop, so no lock first)."""
    session.execute(
        update(AutoEditBatch).where(AutoEditBatch.id == batch_id).values(
            input_tokens=AutoEditBatch.input_tokens + (usage.input_tokens if usage else 0),
            output_tokens=AutoEditBatch.output_tokens + (usage.output_tokens if usage else 0),
            cost_usd=AutoEditBatch.cost_usd + cost,
        ).execution_options(synchronize_session=False)
    )


def fill_window(session: Session, batch: AutoEditBatch) -> list[int]:
    """Top the batch's queued and running tasks up to its window."""
    if batch.status != B_RUNNING or batch.mode != "messages":
        return []
    in_flight = count_active(session, batch.id, (QUEUED, "running", RETRYING))
    return take_pending(session, batch.id, window(batch) - in_flight)


def finish_if_done(session: Session, batch: AutoEditBatch, final_status: str = "succeeded") -> bool:
    """End a running batch once none of its tasks is active; True when it ended now."""
    if batch.status != B_RUNNING or count_active(session, batch.id) > 0:
        return False
    batch.status = final_status
    batch.finished_at = utcnow()
    set_reserved(batch, 0.0)
    return True


def cancel_unstarted(session: Session, batch_id: int, message: str) -> int:
    """Cancel the batch's tasks that have not started. Rows another transaction holds are skipped
    (PostgreSQL), never waited for: that transaction re-reads the batch status and cancels its own."""
    ids = list(session.scalars(
        select(AutoEditTask.id)
        .where(AutoEditTask.batch_id == batch_id, AutoEditTask.status.in_((PENDING, QUEUED, RETRYING)))
        .with_for_update(skip_locked=True)
    ))
    for start in range(0, len(ids), 1000):
        session.execute(
            update(AutoEditTask)
            .where(AutoEditTask.id.in_(ids[start:start + 1000]),
                   AutoEditTask.status.in_((PENDING, QUEUED, RETRYING)))
            .values(status=CANCELLED, error=message[:2000], updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def stop_batch(session: Session, batch: AutoEditBatch, status: str, message: str) -> int:
    """End the batch now with `status` and `message`: tasks not yet started are cancelled; calls in
    flight finish and are kept. Returns how many tasks were cancelled. Call with the batch locked."""
    batch.status = status
    batch.error = message
    batch.finished_at = utcnow()
    return cancel_unstarted(session, batch.id, message)
