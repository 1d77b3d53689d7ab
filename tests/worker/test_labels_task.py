"""The token-labels task, called directly (twice: a redelivered task must change nothing)."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item, TokenLabels


def _tokens_labelled(ids: list[int], labels: list[int], value: int, tokenizer) -> str:
    return "".join(tokenizer.decode([i]) for i, lab in zip(ids, labels, strict=True) if lab == value)


def test_labels_task_is_idempotent_and_marks_the_edit(session: Session, make_dataset, accounts) -> None:
    from app.services.diffing import get_tokenizer
    from worker.tasks_labels import compute_edit_labels

    dataset = make_dataset(1)
    item = session.scalars(select(Item).where(Item.dataset_id == dataset.id)).one()
    edit = Edit(item_id=item.id, author_id=accounts["annotator"].user.id, status=EditStatus.submitted,
                edited_text=item.rejected.replace("cold", "hot"))
    session.add(edit)
    session.commit()

    first = compute_edit_labels(edit.id)
    second = compute_edit_labels(edit.id)
    assert first is not None and first == second
    assert session.scalar(select(func.count()).select_from(TokenLabels)) == 1
    row = session.get(TokenLabels, first)
    tok = get_tokenizer(dataset.tokenizer)
    assert row.tokenizer_name == dataset.tokenizer and len(row.tokenizer_hash) == 64
    assert len(row.original_ids) == len(row.original_labels) == len(row.original_offsets)
    assert _tokens_labelled(row.original_ids, row.original_labels, -1, tok).strip() == "cold"
    assert _tokens_labelled(row.edited_ids, row.edited_labels, 1, tok).strip() == "hot"
    # The prompt is part of the ids and masked out; the response text is all there, unlabelled elsewhere.
    prompt_part = _tokens_labelled(row.original_ids, row.original_labels, -100, tok)
    assert item.prompt in prompt_part
    assert item.rejected in tok.decode(row.original_ids)


def test_labels_task_skips_drafts_and_missing_edits(session: Session, make_dataset, accounts) -> None:
    from worker.tasks_labels import compute_edit_labels

    dataset = make_dataset(1)
    item = session.scalars(select(Item).where(Item.dataset_id == dataset.id)).one()
    draft = Edit(item_id=item.id, author_id=accounts["annotator"].user.id, status=EditStatus.draft,
                 edited_text="x")
    session.add(draft)
    session.commit()
    assert compute_edit_labels(draft.id) is None
    assert compute_edit_labels(999_999) is None
    assert session.scalar(select(func.count()).select_from(TokenLabels)) == 0


def test_task_is_registered_with_acks_late() -> None:
    from app.services.edits import LABELS_TASK as SENT_NAME
    from worker.celery_app import TASK_MODULES, celery_app
    from worker.tasks_labels import LABELS_TASK

    assert "worker.tasks_labels" in TASK_MODULES
    assert LABELS_TASK == SENT_NAME  # the name the web side sends is the name the worker serves
    assert celery_app.tasks[LABELS_TASK].acks_late is True


def test_labels_of_several_edits_in_one_task(session: Session, make_dataset, accounts) -> None:
    from worker.tasks_labels import compute_edit_labels, compute_many_edit_labels

    dataset = make_dataset(2)
    items = session.scalars(select(Item).where(Item.dataset_id == dataset.id).order_by(Item.id)).all()
    edits = [Edit(item_id=item.id, author_id=accounts["annotator"].user.id, status=EditStatus.submitted,
                  edited_text=item.rejected + " Also true.") for item in items]
    session.add_all(edits)
    session.commit()
    ids = [edit.id for edit in edits]

    stored = compute_many_edit_labels([*ids, 10**9])  # an edit that is gone gives None, the others go on
    assert stored[2] is None and None not in stored[:2]
    assert stored[:2] == [compute_edit_labels(edit_id) for edit_id in ids]  # again: the same rows
    assert session.scalar(select(func.count()).select_from(TokenLabels)) == 2
