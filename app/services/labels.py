"""Token labels of an edit for a tokenizer: -1 on removed/replaced tokens of the original, +1 on
inserted/replaced tokens of the edit, 0 elsewhere, -100 on prompt tokens; stored once per tokenizer.

Prompt and response are joined by training.chat_format exactly as the export, the reward models and
PPO join them, so the stored ids are the ids training sees.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Dataset, Edit, EditStatus, Item, TokenLabels
from app.services.diffing import get_tokenizer


def _encode(tok: Any, item: Item, edit: Edit) -> dict[str, Any]:
    from training.chat_format import encode_edit_pairs

    return encode_edit_pairs(tok, [{"prompt": item.prompt, "original": item.rejected, "edited": edit.edited_text}])[0]


def claim_edits_missing_labels(session: Session, older_than: datetime, limit: int = 500) -> list[int]:
    """Finished edits (submitted or accepted before `older_than`) with no token labels at all: their
    labels task was lost (a broker restarted without persistence, or was down at submit) and must be
    sent again. Each one returned is touched (`updated_at`), so a backlog is sent again at most once
    per period rather than on every sweep; the caller commits."""
    has_labels = exists().where(TokenLabels.edit_id == Edit.id)
    edits = session.scalars(
        select(Edit).where(Edit.status.in_((EditStatus.submitted, EditStatus.accepted)),
                           Edit.submitted_at < older_than, Edit.updated_at < older_than, ~has_labels)
        .order_by(Edit.id).limit(limit).with_for_update(of=Edit, skip_locked=True)
    ).all()
    now = datetime.now(UTC)
    for edit in edits:
        edit.updated_at = now
    return [edit.id for edit in edits]


def find_labels(session: Session, edit_id: int, tokenizer_hash: str) -> TokenLabels | None:
    return session.scalars(
        select(TokenLabels).where(TokenLabels.edit_id == edit_id, TokenLabels.tokenizer_hash == tokenizer_hash)
    ).first()


def compute_labels(session: Session, edit_id: int, tokenizer: str | None = None) -> TokenLabels | None:
    """Compute and store the labels of edit `edit_id` for `tokenizer` (default: its dataset's); commits.

    Idempotent: labels already stored for this edit and tokenizer hash are returned as they are.
    None when the edit is gone or still a draft (drafts get labels when they are submitted)."""
    from training.tokenizers import tokenizer_hash, tokenizer_name

    edit = session.get(Edit, edit_id)
    if edit is None or edit.status == EditStatus.draft:
        return None
    item = session.get(Item, edit.item_id)
    dataset = session.get(Dataset, item.dataset_id) if item else None
    assert item is not None and dataset is not None
    tok = get_tokenizer(tokenizer or dataset.tokenizer)
    digest = tokenizer_hash(tok)
    existing = find_labels(session, edit_id, digest)
    if existing is not None:
        return existing
    enc = _encode(tok, item, edit)
    row = TokenLabels(
        edit_id=edit_id, tokenizer_name=tokenizer_name(tok), tokenizer_hash=digest,
        original_ids=[int(x) for x in enc["original_input_ids"]],
        original_labels=[int(x) for x in enc["original_labels"]],
        original_offsets=[list(map(int, o)) for o in enc.get("original_offsets", [])],
        edited_ids=[int(x) for x in enc["edited_input_ids"]],
        edited_labels=[int(x) for x in enc["edited_labels"]],
        edited_offsets=[list(map(int, o)) for o in enc.get("edited_offsets", [])],
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # a redelivered task raced us to it: the stored row is the same computation
        session.rollback()
        return find_labels(session, edit_id, digest)
    return row
