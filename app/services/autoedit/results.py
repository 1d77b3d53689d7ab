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

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask, Dataset, Edit, EditStatus, Item
from app.models.base import utcnow
from app.services.autoedit import fastpath, ledger
from app.services.autoedit.enqueue import send_labels as enqueue_labels
from app.services.autoedit.locks import lock_batch, lock_task
from app.services.autoedit.pricing import Usage
from app.services.autoedit.prompt import ParsedEdit, ParseError, parse_output
from app.services.autoedit.states import B_RUNNING, DONE, FAILED, RUNNING
from app.services.edits import check_text, grade
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


def _grade(session: Session, item: Item, edited: str, dataset: Dataset | None = None) -> tuple[list, dict, Minimality]:
    """The shared grading; the first call in a process loads the alignment tokenizer, so the
    threads of a fresh worker take turns for it instead of all loading it at once."""
    if not _graded_once.is_set():
        with _first_grade:
            figures = grade(session, item, edited, dataset)
            _graded_once.set()
            return figures
    return grade(session, item, edited, dataset)


def parse_answer(text: str, stop_reason: str | None, original: str) -> ParsedEdit:
    if stop_reason == "max_tokens":
        raise ParseError("the answer was cut off at max_tokens")
    return parse_output(text, original)


@dataclass(frozen=True)
class TaskRef:
    """The ids an answer is stored against (known from the claim, so no read is needed)."""

    task_id: int
    batch_id: int
    item_id: int


def record_answer(
    session: Session, ref: TaskRef, text: str, stop_reason: str | None, usage: Usage, cost: float,
    reserved: float = 0.0,
) -> Recorded:
    """Parse, grade and store one answer; a parse failure is recorded on the task. Commits.

    Without a reservation the task row is claimed by one conditional UPDATE after the edit is
    inserted (a duplicate rolls both back); with one, the row is locked first to learn whether the
    reservation is still held."""
    item = session.get(Item, ref.item_id)
    batch = session.get(AutoEditBatch, ref.batch_id)
    assert item is not None and batch is not None
    try:
        parsed = parse_answer(text, stop_reason, item.rejected)
        check_text(parsed.edited)
    except (ParseError, TooLarge) as exc:
        message = f"parse failure: {exc}; the answer began {text[:300]!r}"
        return record_failure(session, ref.task_id, message, usage, cost, reserved)
    hunks, stats, verdict = _grade(session, item, parsed.edited)  # before the locks: keeps them short

    held = 0.0
    if reserved:
        task = lock_task(session, ref.task_id)
        assert task is not None
        held = reserved if task.status == RUNNING else 0.0
        if task.edit_id is not None or task.status == DONE:
            return _book_duplicate(session, task, usage, cost, held)
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
    finished = session.execute(
        update(AutoEditTask)
        .where(AutoEditTask.id == ref.task_id, AutoEditTask.edit_id.is_(None), AutoEditTask.status != DONE)
        .values(status=DONE, edit_id=edit.id, error=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(finished, "rowcount", 1) != 1:  # a duplicate answer stored first: keep only its cost
        session.rollback()
        task = lock_task(session, ref.task_id)
        assert task is not None
        return _book_duplicate(session, task, usage, cost, 0.0)
    refresh_item_state(session, item)
    recorded = Recorded(DONE, edit.id, send_ids=_settle(session, ref.batch_id, usage, cost, held, on_edit=True))
    session.commit()
    try:
        enqueue_labels(edit.id)
    except Exception:  # the edit is stored; labels are recomputed at export when missing
        log.exception("could not queue token labels for edit %s", edit.id)
    return recorded


def record_answer_fast(
    session: Session, fc: fastpath.FastClaim, text: str, stop_reason: str | None, usage: Usage, cost: float,
    labels: list[int] | None = None,
) -> Recorded:
    """record_answer for a claim of the hot path (no reservation): the same grading and rules,
    written by fastpath.store; parse failures and duplicates go the ORM way. With `labels`, the new
    edit's id is added there for the caller to send with others (chain.send_labels_of) instead of
    its own token-labels message."""
    ref = TaskRef(fc.task_id, fc.batch_id, fc.item_id)
    try:
        parsed = parse_answer(text, stop_reason, fc.item.rejected)
        check_text(parsed.edited)
    except (ParseError, TooLarge) as exc:
        return record_failure(session, fc.task_id, f"parse failure: {exc}; the answer began {text[:300]!r}",
                              usage, cost)
    hunks, stats, verdict = _grade(session, fc.item, parsed.edited, fc.dataset)
    stored = fastpath.store(session, fc, parsed, hunks, stats, verdict, usage, cost)
    if stored is None:
        task = lock_task(session, ref.task_id)
        assert task is not None
        return _book_duplicate(session, task, usage, cost, 0.0)
    edit_id, send_ids = stored
    if labels is not None:
        labels.append(edit_id)
        return Recorded(DONE, edit_id, send_ids=send_ids)
    try:
        enqueue_labels(edit_id)
    except Exception:  # the edit is stored; labels are recomputed at export when missing
        log.exception("could not queue token labels for edit %s", edit_id)
    return Recorded(DONE, edit_id, send_ids=send_ids)


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


def _settle(
    session: Session, batch_id: int, usage: Usage | None, cost: float, held: float, on_edit: bool = False
) -> list[int]:
    """Book the spend (see ledger.books_edit_spend), hand out the next item in place of this one,
    end the batch if nothing is left."""
    batch = session.get(AutoEditBatch, batch_id)
    assert batch is not None
    messages = batch.mode == "messages"
    send_ids = ledger.take_pending(session, batch_id, 1) if messages and batch.status == B_RUNNING else []
    if on_edit and not ledger.books_edit_spend(batch):
        usage, cost = None, 0.0  # the new edit carries it
    if not held:
        if usage is not None or cost:
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
