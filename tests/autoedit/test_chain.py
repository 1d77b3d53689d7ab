"""Items run back to back in one worker thread: the successors of a finished item run without a
message each, and a chained item that must wait goes back to the broker with its countdown."""

import pytest
from sqlalchemy import select

from app.models import AutoEditTask, Edit
from app.services.autoedit.batches import batch_progress, create_batch
from app.services.autoedit.chain import run_chain
from app.services.autoedit.enqueue import EDIT_ITEM
from app.services.autoedit.options import BatchRequest, BatchTiming
from tests.autoedit.conftest import FAST_TIMING, drain
from worker import tasks_autoedit


@pytest.fixture(autouse=True)
def chains(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services.autoedit import chain

    monkeypatch.setattr(chain, "CHAIN_SECONDS", 30.0)


def _task_ids(session, batch_id: int) -> list[int]:
    return list(session.scalars(select(AutoEditTask.id).where(AutoEditTask.batch_id == batch_id)
                                .order_by(AutoEditTask.id)))


def _item_messages(sent) -> list[tuple[int, float | None]]:
    return [(m[1][0], m[2]) for m in sent if m[0] == EDIT_ITEM]


def test_a_finished_item_runs_its_successors_in_the_same_thread(
    session, redis_settings, sent, fake, marked_dataset, no_label_tasks
) -> None:
    dataset, _ = marked_dataset(n=5)
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, concurrency=1,
                                                                timing=BatchTiming(**FAST_TIMING)))
    ids = _task_ids(session, batch.id)
    assert [t for t, _ in _item_messages(sent)] == ids[:3]  # the window: three times the concurrency
    sent.clear()
    assert tasks_autoedit.edit_item(ids[0]) == "done"
    assert _item_messages(sent) == [] and fake.stats.messages_calls == 3  # items 4 and 5 ran here
    chained = session.scalars(select(AutoEditTask.edit_id).where(AutoEditTask.id.in_([ids[0], *ids[3:]]))).all()
    assert sorted(no_label_tasks) == sorted(chained)  # their labels went in one message, at the end
    assert tasks_autoedit.edit_item(ids[0]) == "skip"  # redelivered: nothing new
    for task_id in ids[1:3]:
        assert tasks_autoedit.edit_item(task_id) == "done"
    progress = batch_progress(session, batch.id)
    assert (progress["status"], progress["done"]) == ("succeeded", 5)
    assert len(session.scalars(select(Edit).where(Edit.batch_id == batch.id)).all()) == 5


def test_a_chained_item_that_must_retry_goes_to_the_broker_with_its_countdown(
    session, redis_settings, sent, fake, marked_dataset
) -> None:
    dataset, _ = marked_dataset(["One wrong.", "Two wrong. [[fake:rate_limitx1]]", "Three wrong."])
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, concurrency=1,
                                                                timing=BatchTiming(**FAST_TIMING)))
    ids = _task_ids(session, batch.id)
    assert run_chain([ids[1]], redis_settings) == 1
    messages = _item_messages(sent)
    assert messages[-1][0] == ids[1] and (messages[-1][1] or 0) > 0
    assert session.scalar(select(AutoEditTask.status).where(AutoEditTask.id == ids[1])) == "retrying"
    drain(sent)
    progress = batch_progress(session, batch.id)
    assert (progress["status"], progress["done"]) == ("succeeded", 3)


def test_a_spent_budget_sends_the_items_as_messages(session, redis_settings, sent, fake, marked_dataset) -> None:
    dataset, _ = marked_dataset(n=2)
    batch = create_batch(session, redis_settings, BatchRequest(dataset=dataset.name, concurrency=1,
                                                                timing=BatchTiming(**FAST_TIMING)))
    ids = _task_ids(session, batch.id)
    sent.clear()
    assert run_chain(ids, redis_settings, budget_s=0.0) == 0
    assert [t for t, _ in _item_messages(sent)] == ids and fake.stats.requests == 0


def test_labels_go_to_a_message_once_there_are_enough(monkeypatch) -> None:
    from app.services.autoedit import chain

    messages: list[list[int]] = []
    monkeypatch.setattr(chain, "send_labels_many", lambda ids: messages.append(list(ids)))
    labels = [1, 2]
    chain.send_labels_of(labels, at_least=3)
    assert messages == [] and labels == [1, 2]
    labels.append(3)
    chain.send_labels_of(labels, at_least=3)
    assert messages == [[1, 2, 3]] and labels == []
