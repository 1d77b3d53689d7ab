"""Saving edits: drafts updated in place under a version check, submits graded for minimality.

One draft row per (item, author). A save carries the version the client last saw (0 before the first
save); a mismatch raises StaleEdit (409) so that no one's work is silently overwritten. The server
computes hunks, stats and minimality from the texts itself. After a submit commits, the token-labels
task is queued.
"""

import logging
import math
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from app.config import get_settings
from app.models import Dataset, Edit, EditStatus, Item, Lease, User
from app.models.base import utcnow
from app.services import audit
from app.services.diffing import edit_figures
from app.services.errors import InvalidInput, NotFound, StaleEdit, TooLarge
from app.services.item_state import lock_item, lock_item_and_dataset, refresh_item_state
from app.services.minimality import HARD, Minimality, Thresholds, assess
from app.services.queue import keep_lease, release_lease_in_tx

log = logging.getLogger(__name__)

LABELS_TASK = "redline.labels.compute"
SAVE_STATUSES = (EditStatus.draft, EditStatus.submitted)
OUTCOMES = ("edited", "no_edit_needed")
MAX_SAVE_SECONDS = 4 * 3600  # one save never adds more than this to the time spent


def enqueue_labels(edit_id: int) -> None:
    """Queue the token-labels task for an edit (tests replace this function to observe the call)."""
    from worker.celery_app import send_task

    send_task(LABELS_TASK, edit_id)


def enqueue_after_commit(edit_id: int) -> None:
    try:
        enqueue_labels(edit_id)
    except Exception:  # the edit is safe in the database; the labels are recomputed at export if missing
        log.exception("could not queue token labels for edit %s", edit_id)


def check_text(text: str, field: str = "edited_text") -> None:
    limit = get_settings().max_text_chars
    if len(text) > limit:
        raise TooLarge(f"{field} has {len(text)} characters; the limit is {limit}", field=field)


# Built once: every autosave runs it, and building a statement costs more CPU than running it.
_CURRENT_DRAFT = (
    select(Edit).where(Edit.item_id == bindparam("b_item_id"), Edit.author_id == bindparam("b_author_id"),
                       Edit.status == EditStatus.draft)
    .order_by(Edit.id.desc()).limit(1).execution_options(populate_existing=True)
)


_EDITS = cast(Table, Edit.__table__)
# The version test repeats the one made under the item lock: a quick draft save (draft_save.py) takes no
# item lock, so one may have written the row since it was read; the row lock then orders the two.
_UPDATE_EDIT = update(_EDITS).where(_EDITS.c.id == bindparam("b_id"), _EDITS.c.version == bindparam("b_version"))


def _write_draft(session: Session, draft: Edit, values: dict[str, Any]) -> None:
    """Store `values` over `draft` with one prebuilt UPDATE, and on the object as its stored state: the
    unit of work's flush costs several times the statement itself on the busiest path.
    StaleEdit when the draft's version moved since it was read."""
    written = session.execute(_UPDATE_EDIT, {"b_id": draft.id, "b_version": draft.version, **values})
    if getattr(written, "rowcount", 1) != 1:
        stored = session.scalar(select(Edit.version).where(Edit.id == draft.id))
        session.rollback()
        raise StaleEdit(f"edit version {draft.version} is stale: the draft was saved again meanwhile, to "
                        f"version {stored}; reload it before saving", current_version=stored or 0)
    for name, value in values.items():
        set_committed_value(draft, name, value)


# What a save reads after taking the item lock, in one round trip: the caller's lease and draft. The
# draft's text, hunks and stats are left out: the save overwrites them (see _write_draft).
_LEASE_AND_DRAFT = (
    select(Lease, Edit)
    .outerjoin(Edit, and_(Edit.item_id == Lease.item_id, Edit.author_id == Lease.user_id,
                          Edit.status == EditStatus.draft))
    .where(Lease.item_id == bindparam("b_item_id"), Lease.user_id == bindparam("b_user_id"))
    .order_by(Edit.id.desc()).limit(1)
    .options(defer(Edit.edited_text), defer(Edit.hunks), defer(Edit.stats), defer(Edit.usage))
    .execution_options(populate_existing=True)
)


def _lease_and_draft(session: Session, item_id: int, author: User) -> tuple[Lease | None, Edit | None]:
    """The author's lease on an item and working draft of it (no draft without a lease: LeaseLost first)."""
    row = session.execute(_LEASE_AND_DRAFT, {"b_item_id": item_id, "b_user_id": author.id}).first()
    return (row[0], row[1]) if row else (None, None)


def current_draft(session: Session, item_id: int, author: User) -> Edit | None:
    """The author's working draft of an item, if any."""
    return session.scalars(_CURRENT_DRAFT, {"b_item_id": item_id, "b_author_id": author.id}).first()


@dataclass(frozen=True)
class Checked:
    status: EditStatus
    outcome: str
    time_spent_s: float


def check_request(rejected: str, edited_text: str, status: str, outcome: str, time_spent_s: float) -> Checked:
    """The save's fields checked against the item's original response `rejected`; InvalidInput names the field."""
    try:
        st = EditStatus(status)
    except ValueError:
        st = None
    if st not in SAVE_STATUSES:
        raise InvalidInput(f"status must be draft or submitted, not {status!r}", field="status")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}", field="outcome")
    check_text(edited_text)
    if outcome == "no_edit_needed" and edited_text != rejected:
        raise InvalidInput("outcome no_edit_needed but the text differs from the original: reset it first",
                           field="outcome")
    if st == EditStatus.submitted and outcome == "edited" and edited_text == rejected:
        raise InvalidInput("the edit changes nothing: submit with outcome no_edit_needed instead",
                           field="edited_text")
    if not math.isfinite(time_spent_s) or time_spent_s < 0:
        raise InvalidInput("time_spent_s must be a non-negative number of seconds", field="time_spent_s")
    return Checked(st, outcome, min(time_spent_s, MAX_SAVE_SECONDS))


def grade_texts(original: str, edited_text: str, tokenizer: str | None,
                thresholds: Thresholds) -> tuple[list[Any], dict[str, Any], Minimality]:
    """(hunks, stats, minimality) of an edit, computed here from the two texts; stats carry the verdict."""
    hunks, stats = edit_figures(original, edited_text, tokenizer)
    verdict = assess(stats, thresholds)
    return hunks, {**stats, "minimality": verdict.to_dict()}, verdict


def check_submittable(verdict: Minimality, needs_rewrite: bool) -> None:
    """InvalidInput for a submit over the dataset's hard minimality threshold not declared a rewrite."""
    if verdict.level == HARD and not needs_rewrite:
        raise InvalidInput(
            "the edit is over the dataset's hard minimality threshold (" + "; ".join(verdict.reasons)
            + "): make a smaller edit, or declare that the response needed a rewrite (needs_rewrite)",
            field="needs_rewrite", minimality=verdict.to_dict(),
        )


def grade(
    session: Session, item: Item, edited_text: str, dataset: Dataset | None = None
) -> tuple[list[Any], dict[str, Any], Minimality]:
    """grade_texts for an edit of `item` against its dataset."""
    dataset = dataset or session.get(Dataset, item.dataset_id)
    assert dataset is not None
    return grade_texts(item.rejected, edited_text, dataset.tokenizer, dataset)


def save_edit(
    session: Session,
    item_id: int,
    user: User,
    edited_text: str,
    status: str = "draft",
    version: int = 0,
    time_spent_s: float = 0.0,
    outcome: str = "edited",
    needs_rewrite: bool = False,
) -> Edit:
    """Save the caller's draft of an item, or submit it; commits and returns the stored edit.

    `version` is the version of the draft the client last saw (0 when it has none yet); the stored
    version goes up by one on every save. `time_spent_s` is the work time since this client's previous
    successful save; the server adds it up. Raises NotFound, InvalidInput (field named),
    TooLarge, StaleEdit (current_version given) and LeaseLost.
    A submit over the dataset's hard minimality threshold needs `needs_rewrite=True`."""
    locked = lock_item_and_dataset(session, item_id)
    if locked is None:
        raise NotFound(f"item {item_id} not found")
    item, dataset = locked
    checked = check_request(item.rejected, edited_text, status, outcome, time_spent_s)
    # Graded under the item lock: a few milliseconds, and it saves the save path a round trip.
    hunks, stats, verdict = grade(session, item, edited_text, dataset)
    submitting = checked.status == EditStatus.submitted
    if submitting:
        check_submittable(verdict, needs_rewrite)
    lease, draft = _lease_and_draft(session, item_id, user)
    keep_lease(session, item, user, lease, lazy=True)  # a submit deletes the lease: renewing it first is a wasted write
    stored = draft.version if draft else 0
    if version != stored:
        raise StaleEdit(f"edit version {version} is stale: the stored draft is at version {stored}; "
                        "reload it before saving", current_version=stored)
    now = utcnow()
    values: dict[str, Any] = dict(
        edited_text=edited_text, status=checked.status, outcome="rewrite" if needs_rewrite else checked.outcome,
        needs_rewrite=needs_rewrite, hunks=hunks, stats=stats, updated_at=now,
        submitted_at=now if submitting else None,
    )
    if draft is None:
        edit = Edit(item_id=item_id, author_id=user.id, version=1, time_spent_s=checked.time_spent_s, **values)
        session.add(edit)
        session.flush()
    else:
        # The item lock makes the version read above authoritative: no other save of this item runs now.
        edit = draft
        values.update(version=stored + 1, time_spent_s=(draft.time_spent_s or 0.0) + checked.time_spent_s)
        _write_draft(session, edit, values)
    if submitting:
        _finish_submit(session, item, user, edit, dataset.annotations_per_item)
    session.commit()
    if submitting:
        enqueue_after_commit(edit.id)
    return edit


def _finish_submit(session: Session, item: Item, user: User, edit: Edit, annotations_needed: int) -> None:
    release_lease_in_tx(session, item.id, user)
    refresh_item_state(session, item, annotations_needed)
    audit.record(session, user, "edit.submit", edit,
                 {"item_id": item.id, "outcome": edit.outcome, "version": edit.version})


def save_model_edit(
    session: Session,
    item_id: int,
    edited_text: str,
    model_name: str,
    batch_id: int | None = None,
    submit: bool = True,
    accept: bool = False,
    rationale: str | None = None,
    prompt_version: str | None = None,
    usage: dict[str, Any] | None = None,
    cost_usd: float = 0.0,
    flags: list[str] | None = None,
) -> Edit:
    """Store an edit made by a model (no lease, no version check), graded like a human one; commits.

    `submit` puts it in the review queue; `accept` stores it as accepted at once (callers must not
    auto-accept an edit over the hard threshold; `needs_rewrite` is set when it is over). The flags
    "rewrite" and "no_change" are added from the server's own figures."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} not found")
    check_text(edited_text)
    hunks, stats, verdict = grade(session, item, edited_text)
    own_flags = list(flags or [])
    if verdict.level == HARD and "rewrite" not in own_flags:
        own_flags.append("rewrite")
    unchanged = edited_text == item.rejected
    if unchanged and "no_change" not in own_flags:
        own_flags.append("no_change")
    status = EditStatus.accepted if accept else (EditStatus.submitted if submit else EditStatus.draft)
    now = utcnow()
    item = lock_item(session, item_id)
    assert item is not None
    edit = Edit(
        item_id=item_id, author_id=None, model_name=model_name, batch_id=batch_id, edited_text=edited_text,
        status=status, outcome="no_edit_needed" if unchanged else ("rewrite" if verdict.level == HARD else "edited"),
        needs_rewrite=verdict.level == HARD, flags=own_flags, hunks=hunks, stats=stats, version=1,
        rationale=rationale, prompt_version=prompt_version, usage=usage or {}, cost_usd=cost_usd,
        submitted_at=now if status != EditStatus.draft else None,
        reviewed_at=now if accept else None,
    )
    session.add(edit)
    session.flush()
    refresh_item_state(session, item)
    session.commit()
    if status != EditStatus.draft:
        enqueue_after_commit(edit.id)
    return edit


def get_edit(session: Session, edit_id: int) -> Edit:
    edit = session.get(Edit, edit_id)
    if edit is None:
        raise NotFound(f"edit {edit_id} not found")
    return edit
