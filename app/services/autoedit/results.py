"""What a call produced, stored once: an edit authored by the model, or a failure on the item's task.

Each answer is graded by the shared alignment against the dataset's thresholds: over the hard
threshold it is kept but flagged "rewrite" and never accepted automatically; identical to the
original it is flagged "no_change" and goes to review too. The task row is locked first and its
`edit_id` checked, so a redelivered task or a duplicate call never adds a second edit.

(edits.save_model_edit commits on its own; here the edit, the task and the batch's books must
commit together, hence this module writes the row itself with the same grading and flags.)
"""

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask, Edit, EditStatus, Item
from app.models.base import utcnow
from app.services.autoedit import ledger
from app.services.autoedit.locks import lock_batch, lock_task
from app.services.autoedit.pricing import Usage
from app.services.autoedit.prompt import ParsedEdit, ParseError, parse_output
from app.services.autoedit.states import B_RUNNING, DONE, FAILED, RUNNING
from app.services.edits import check_text, enqueue_labels, grade
from app.services.errors import TooLarge
from app.services.item_state import lock_item, refresh_item_state
from app.services.minimality import HARD, Minimality

log = logging.getLogger(__name__)


@dataclass
class Recorded:
    """What became of one answer: the task's status, the new edit, and tasks to send after commit."""

    status: str
    edit_id: int | None = None
    duplicate: bool = False
    send_ids: list[int] = field(default_factory=list)


_first_grade = threading.Lock()
_graded_once = threading.Event()


def _grade(session: Session, item: Item, edited: str) -> tuple[list, dict, Minimality]:
    """The shared grading; the first call in a process loads the alignment tokenizer, so the
    threads of a fresh worker take turns for it instead of all loading it at once."""
    if not _graded_once.is_set():
        with _first_grade:
            figures = grade(session, item, edited)
            _graded_once.set()
            return figures
    return grade(session, item, edited)


def parse_answer(text: str, stop_reason: str | None, original: str) -> ParsedEdit:
    if stop_reason == "max_tokens":
        raise ParseError("the answer was cut off at max_tokens")
    return parse_output(text, original)


def record_answer(
    session: Session, task_id: int, text: str, stop_reason: str | None, usage: Usage, cost: float,
    reserved: float = 0.0,
) -> Recorded:
    """Parse, grade and store one answer; a parse failure is recorded on the task. Commits."""
    task = session.get(AutoEditTask, task_id)
    assert task is not None, f"autoedit task {task_id} vanished"
    item = session.get(Item, task.item_id)
    assert item is not None
    try:
        parsed = parse_answer(text, stop_reason, item.rejected)
        check_text(parsed.edited)
    except (ParseError, TooLarge) as exc:
        message = f"parse failure: {exc}; the answer began {text[:300]!r}"
        return record_failure(session, task_id, message, usage, cost, reserved)
    hunks, stats, verdict = _grade(session, item, parsed.edited)  # before the locks: keeps them short

    task = lock_task(session, task_id)
    assert task is not None
    held = reserved if task.status == RUNNING else 0.0
    if task.edit_id is not None or task.status == DONE:
        return _book_duplicate(session, task, usage, cost, held)
    batch = session.get(AutoEditBatch, task.batch_id)
    assert batch is not None
    rewrite, unchanged = verdict.level == HARD, parsed.edited == item.rejected
    flags = (["rewrite"] if rewrite else []) + (["no_change"] if unchanged else [])
    accept = batch.auto_accept and not flags
    now = utcnow()
    item = lock_item(session, item.id)
    assert item is not None
    edit = Edit(
        item_id=item.id, author_id=None, model_name=batch.model, batch_id=batch.id, edited_text=parsed.edited,
        status=EditStatus.accepted if accept else EditStatus.submitted,
        outcome="no_edit_needed" if unchanged else ("rewrite" if rewrite else "edited"),
        needs_rewrite=rewrite, flags=flags, hunks=hunks, stats=stats, version=1,
        rationale=parsed.rationale[:4000], prompt_version=batch.prompt_version,
        usage=usage.as_dict(), cost_usd=cost, submitted_at=now, reviewed_at=now if accept else None,
    )
    session.add(edit)
    session.flush()
    refresh_item_state(session, item)
    task.status, task.edit_id, task.error = DONE, edit.id, None
    recorded = Recorded(DONE, edit.id, send_ids=_settle(session, task.batch_id, usage, cost, held))
    session.commit()
    try:
        enqueue_labels(edit.id)
    except Exception:  # the edit is stored; labels are recomputed at export when missing
        log.exception("could not queue token labels for edit %s", edit.id)
    return recorded


def record_failure(
    session: Session, task_id: int, message: str, usage: Usage | None = None, cost: float = 0.0,
    reserved: float = 0.0, status: str = FAILED,
) -> Recorded:
    """Mark the task failed (or `status`) with `message`, unless an edit was stored meanwhile, and
    book the spend. Commits."""
    task = lock_task(session, task_id)
    assert task is not None
    held = reserved if task.status == RUNNING else 0.0
    if task.edit_id is not None or task.status == DONE:
        return _book_duplicate(session, task, usage, cost, held)
    task.status, task.error = status, message[:4000]
    recorded = Recorded(status, send_ids=_settle(session, task.batch_id, usage, cost, held))
    session.commit()
    return recorded


def _book_duplicate(session: Session, task: AutoEditTask, usage: Usage | None, cost: float, held: float) -> Recorded:
    """A second answer for a finished item: its cost is real, its text is dropped."""
    batch = lock_batch(session, task.batch_id)
    assert batch is not None
    ledger.add_spend(batch, usage, cost, released=held)
    session.commit()
    log.info("autoedit task %s already finished; dropped a duplicate answer", task.id)
    return Recorded(task.status, task.edit_id, duplicate=True)


def _settle(session: Session, batch_id: int, usage: Usage | None, cost: float, held: float) -> list[int]:
    """Book the spend, hand out the next item in place of this one, end the batch if nothing is left."""
    batch = session.get(AutoEditBatch, batch_id)
    assert batch is not None
    messages = batch.mode == "messages"
    send_ids = ledger.take_pending(session, batch_id, 1) if messages and batch.status == B_RUNNING else []
    if not held:
        ledger.add_spend_now(session, batch_id, usage, cost)
        if send_ids or not messages:  # more to do, or a Message Batch (it ends in remote.py)
            return send_ids
    batch = lock_batch(session, batch_id)
    assert batch is not None
    if held:
        ledger.add_spend(batch, usage, cost, released=held)
        session.flush()
    if messages:
        ledger.finish_if_done(session, batch)
    return send_ids
