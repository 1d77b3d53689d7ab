"""Messages mode end to end with the tasks called in-process against the fake API, on SQLite and PostgreSQL."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AutoEditBatch, AutoEditTask, Edit, EditStatus, Item
from app.services.autoedit.batches import batch_progress, cancel_batch, create_batch
from app.services.autoedit.enqueue import EDIT_ITEM, WATCH_BATCH
from app.services.autoedit.options import BatchRequest, BatchTiming
from tests.autoedit.conftest import API_KEY, FAST_TIMING, drain
from worker import tasks_autoedit


def start(session: Session, settings, dataset, **fields) -> AutoEditBatch:
    request = BatchRequest(dataset=dataset.name, timing=BatchTiming(**FAST_TIMING), **fields)
    return create_batch(session, settings, request)


def edits_of(session: Session, batch_id: int) -> list[Edit]:
    session.expire_all()
    return list(session.scalars(select(Edit).where(Edit.batch_id == batch_id).order_by(Edit.item_id)))


def test_a_batch_edits_every_item_once_and_books_tokens_and_cost(session, settings, sent, fake, marked_dataset) -> None:
    dataset, item_ids = marked_dataset(n=7)
    batch = start(session, settings, dataset, concurrency=2)
    assert batch.status == "running" and batch.model == "claude-sonnet-4-5"
    first = [m for m in sent if m[0] == EDIT_ITEM]
    assert len(first) == 6  # the window: three times the concurrency, the rest stays pending
    assert [m[0] for m in sent].count(WATCH_BATCH) == 1
    drain(sent)
    edits = edits_of(session, batch.id)
    assert [e.item_id for e in edits] == item_ids
    edit = edits[0]
    assert edit.author_id is None and edit.model_name == "claude-sonnet-4-5" and edit.batch_id == batch.id
    assert edit.status == EditStatus.submitted and edit.prompt_version == "v1" and edit.flags == []
    assert edit.edited_text == "The sky is right green, says answer 0." and edit.rationale == "Replaced the wrong claim."
    assert edit.usage["input_tokens"] > 0 and edit.cost_usd > 0 and edit.hunks
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "succeeded" and progress["ended"]
    assert (progress["done"], progress["failed"], progress["remaining"]) == (7, 0, 0)
    assert progress["input_tokens"] == sum(e.usage["input_tokens"] for e in edits)
    assert abs(progress["cost_usd"] - sum(e.cost_usd for e in edits)) < 1e-9
    assert session.get(Item, item_ids[0]).state == "submitted"
    assert fake.stats.messages_calls == 7


def test_calling_the_task_twice_never_makes_a_second_edit(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=1)
    batch = start(session, settings, dataset)
    task_id = session.scalars(select(AutoEditTask.id).where(AutoEditTask.batch_id == batch.id)).one()
    assert tasks_autoedit.edit_item(task_id) == "done"
    assert tasks_autoedit.edit_item(task_id) == "skip"
    assert len(edits_of(session, batch.id)) == 1 and fake.stats.messages_calls == 1


def test_a_task_running_again_after_its_worker_died_stores_one_edit(session, settings, sent, fake, marked_dataset) -> None:
    """The watcher sent a task again while its first call was still out: both answers come back,
    both are paid for, one edit is kept."""
    from app.services.autoedit.pricing import Usage
    from app.services.autoedit.results import TaskRef, record_answer
    from app.services.autoedit.runner import claim_task

    dataset, _ = marked_dataset(n=1)
    batch = start(session, settings, dataset)
    task_id = session.scalars(select(AutoEditTask.id).where(AutoEditTask.batch_id == batch.id)).one()
    assert not hasattr(claim_task(session, task_id, db_limit=False), "action")
    session.execute(AutoEditTask.__table__.update().where(AutoEditTask.id == task_id).values(status="queued"))
    session.commit()
    assert tasks_autoedit.edit_item(task_id) == "done"
    task = session.get(AutoEditTask, task_id)
    ref = TaskRef(task_id, task.batch_id, task.item_id)
    late = record_answer(session, ref, "Late.\n<<<EDITED RESPONSE>>>\nLate text.", "end_turn", Usage(10, 5), 0.5)
    assert late.duplicate
    assert len(edits_of(session, batch.id)) == 1
    progress = batch_progress(session, batch.id)
    assert progress["cost_usd"] > 0.5 and progress["output_tokens"] > 5  # both calls are booked


def test_rate_limits_and_overloads_are_retried_until_they_pass(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(["A wrong one. [[fake:rate_limitx2]]", "A wrong two. [[fake:overloadedx1]]",
                                 "A wrong three. [[fake:server_errorx1]]", "A wrong four. [[fake:slowx1]]"])
    batch = start(session, settings, dataset, concurrency=4)
    seen = drain(sent)
    assert seen["retry"] == 5 and seen["done"] == 4
    edits = edits_of(session, batch.id)
    assert len(edits) == 4
    attempts = session.scalars(select(AutoEditTask.attempts).where(AutoEditTask.batch_id == batch.id)
                               .order_by(AutoEditTask.item_id)).all()
    assert attempts == [3, 2, 2, 2]


def test_an_item_that_keeps_failing_gives_up_after_max_attempts(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(["Always overloaded. [[fake:overloaded]]", "Fine but wrong."])
    batch = start(session, settings, dataset)
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert (progress["done"], progress["failed"], progress["status"]) == (1, 1, "succeeded")
    assert "gave up after 4 attempts: 529 overloaded_error" in progress["recent_failures"][0]["error"]


def test_answers_without_the_delimiter_are_parse_failures_and_still_cost(
    session, settings, sent, fake, marked_dataset
) -> None:
    dataset, (bad, good) = marked_dataset(["No delimiter here. [[fake:no_delimiter]]", "A wrong claim."])
    batch = start(session, settings, dataset)
    drain(sent)
    task = session.scalars(select(AutoEditTask).where(AutoEditTask.item_id == bad)).one()
    assert task.status == "failed" and task.error.startswith("parse failure: no <<<EDITED RESPONSE>>> line")
    assert [e.item_id for e in edits_of(session, batch.id)] == [good]
    progress = batch_progress(session, batch.id)
    assert progress["cost_usd"] > sum(e.cost_usd for e in edits_of(session, batch.id))


def test_rewrites_and_no_change_are_flagged_and_never_auto_accepted(session, settings, sent, fake, marked_dataset) -> None:
    dataset, ids = marked_dataset(["Short wrong answer about the sky. [[fake:rewrite]]",
                                   "Nothing to fix here. [[fake:nochange]]", "A wrong claim."])
    batch = start(session, settings, dataset, auto_accept=True)
    drain(sent)
    rewrite, unchanged, fine = edits_of(session, batch.id)
    assert rewrite.flags == ["rewrite"] and rewrite.needs_rewrite and rewrite.outcome == "rewrite"
    assert rewrite.status == EditStatus.submitted
    assert unchanged.flags == ["no_change"] and unchanged.outcome == "no_edit_needed"
    assert unchanged.status == EditStatus.submitted
    assert fine.flags == [] and fine.status == EditStatus.accepted and fine.reviewed_at is not None
    assert session.get(Item, ids[2]).state == "accepted" and session.get(Item, ids[0]).state == "submitted"
    assert batch_progress(session, batch.id)["edits"] == {
        "edited": 1, "no_change": 1, "rewrite": 1, "in_review": 2, "accepted": 1}


def test_a_refused_key_stops_the_batch_at_once_with_a_clear_message(
    session, settings, sent, fake, marked_dataset, caplog
) -> None:
    fake.config.expected_key = "sk-ant-another-key"
    fake.config.echo_key_in_errors = True
    dataset, _ = marked_dataset(n=12)
    batch = start(session, settings, dataset, concurrency=2)
    caplog.set_level("DEBUG")
    seen = drain(sent)
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "failed"
    assert progress["error"].startswith("stopped: the API key was refused (401 authentication_error")
    assert "set a valid ANTHROPIC_API_KEY" in progress["error"]
    assert (progress["failed"], progress["cancelled"], progress["done"]) == (1, 11, 0)
    assert fake.stats.requests == 1 and seen["retry"] == 0  # never retried, nothing else sent
    assert API_KEY not in str(progress) and API_KEY not in caplog.text


def test_a_bad_request_stops_the_batch_too(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(["First wrong.", "Second. [[fake:bad_request]]", "Third wrong.", "Fourth wrong."])
    batch = start(session, settings, dataset, concurrency=1)
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "failed" and "400 invalid_request_error" in progress["error"]
    assert (progress["done"], progress["failed"], progress["cancelled"]) == (1, 1, 2)


def test_the_cost_ceiling_stops_the_batch_before_it_is_passed(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=30)
    ceiling = 0.05  # each call reserves about $0.012 (input estimate + max_tokens of output) and costs ~$0.0015
    batch = start(session, settings, dataset, concurrency=3, max_cost_usd=ceiling)
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "stopped" and progress["error"].startswith("cost ceiling of $0.0500 reached")
    assert 0 < progress["done"] < 30 and progress["cancelled"] == 30 - progress["done"]
    assert progress["cost_usd"] <= ceiling and progress["reserved_usd"] == 0
    assert fake.stats.messages_calls == progress["done"]


def test_cancel_stops_the_rest_and_keeps_what_is_done(session, settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=10)
    batch = start(session, settings, dataset, concurrency=1)
    items = [m for m in sent if m[0] == EDIT_ITEM]
    for _, args, _ in items[:2]:
        assert tasks_autoedit.edit_item(*args) == "done"
    cancel_batch(session, settings, batch.id)
    assert drain(sent)["skip"] >= 1  # what was already queued now does nothing
    progress = batch_progress(session, batch.id)
    assert progress["status"] == "cancelled" and progress["ended"]
    assert (progress["done"], progress["cancelled"], progress["remaining"]) == (2, 8, 0)
    assert len(edits_of(session, batch.id)) == 2 and fake.stats.messages_calls == 2


def test_two_batches_never_take_the_same_unedited_item(session, settings, sent, fake, marked_dataset) -> None:
    dataset, ids = marked_dataset(n=6)
    first = start(session, settings, dataset, limit=4)
    second = start(session, settings, dataset)
    taken = lambda b: set(session.scalars(select(AutoEditTask.item_id).where(AutoEditTask.batch_id == b.id)))  # noqa: E731
    assert taken(first) == set(ids[:4]) and taken(second) == set(ids[4:])
    drain(sent)
    assert session.scalar(select(func.count()).select_from(Edit)) == 6
