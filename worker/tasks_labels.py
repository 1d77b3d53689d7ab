"""Token-labels task: after an edit is submitted, store its labels for the dataset's tokenizer."""

from datetime import timedelta

from app.config import get_settings
from app.db import session_scope
from app.models.base import utcnow
from app.services import labels
from app.services.autoedit.enqueue import LABELS_MANY
from worker.celery_app import celery_app

LABELS_TASK = "redline.labels.compute"
RESEND_TASK = "redline.labels.resend_missing"


@celery_app.task(name=LABELS_TASK, acks_late=True)
def compute_edit_labels(edit_id: int, tokenizer: str | None = None) -> int | None:
    """Store the labels of edit `edit_id` (default tokenizer: its dataset's). Idempotent: a redelivered
    task finds the stored row and returns its id; returns None for a deleted edit or a draft."""
    with session_scope() as session:
        row = labels.compute_labels(session, edit_id, tokenizer)
        return row.id if row is not None else None


@celery_app.task(name=LABELS_MANY, acks_late=True)
def compute_many_edit_labels(edit_ids: list[int]) -> list[int | None]:
    """compute_edit_labels for several edits, each in its own transaction: the auto-edit workers send
    their new edits this way, since a message per edit cost them more CPU than grading the edit."""
    return [compute_edit_labels(edit_id) for edit_id in edit_ids]


@celery_app.task(name=RESEND_TASK, acks_late=True)
def resend_missing_labels() -> list[int]:
    """Periodic (beat): send the labels task again for finished edits that still have no labels, because
    their message was lost (a broker restart without persistence, a broker down at submit time)."""
    older_than = utcnow() - timedelta(seconds=get_settings().resend_after_s)
    with session_scope() as session:
        edit_ids = labels.claim_edits_missing_labels(session, older_than)
    for edit_id in edit_ids:
        compute_edit_labels.delay(edit_id)
    return edit_ids
