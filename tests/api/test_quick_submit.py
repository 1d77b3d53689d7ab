"""The quick submit (app/services/quick_submit.py): it stores what the locked path would, refuses what the
locked path would, and gives way to it for everything unusual, including a draft saved while it graded."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import AuditEvent, Edit, EditStatus, Item, Lease
from app.models.base import utcnow
from app.services import edits, quick_submit, saving
from tests.api.test_edits import lease, put_edit

Clients = Callable[[str], TestClient]


def _while_grading(monkeypatch: pytest.MonkeyPatch, statement: Any) -> None:
    """Commit `statement` from another session between the quick submit's read and its write."""
    from app.db import get_sessionmaker

    real_grade = quick_submit.grade_texts

    def grade_after_another_writer(*args):
        with get_sessionmaker()() as other:
            other.execute(statement)
            other.commit()
        return real_grade(*args)

    monkeypatch.setattr(quick_submit, "grade_texts", grade_after_another_writer)


@pytest.fixture
def locked_path_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """(item id, status) of every save that reached the locked path (edits.save_edit)."""
    calls: list[tuple[int, str]] = []

    def counted(session, item_id, *args, **kwargs):
        calls.append((item_id, kwargs["status"]))
        return edits.save_edit(session, item_id, *args, **kwargs)

    monkeypatch.setattr(saving, "save_edit", counted)
    return calls


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _drafted(client: TestClient, dataset_id: int, text: str) -> tuple[dict, int]:
    """Lease an item of the dataset and save a first draft of it: (item, draft version)."""
    item = lease(client, dataset_id)["item"]
    first = put_edit(client, item["id"], text, 0)
    assert first.status_code == 200, first.text
    return item, first.json()["version"]


def _stored_outcome(session: Session, item_id: int, labels_calls: list[int]) -> dict[str, Any]:
    """What a submit leaves behind, without ids and clocks: the edits, the item, its leases, the events."""
    session.expire_all()
    stored = session.scalars(select(Edit).where(Edit.item_id == item_id).order_by(Edit.id)).all()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "edit.submit",
                                                      AuditEvent.target_id.in_([str(e.id) for e in stored]))).all()
    return {
        "edits": [(e.status, e.version, e.outcome, e.needs_rewrite, e.edited_text, e.hunks, e.stats, e.time_spent_s,
                   e.submitted_at is not None) for e in stored],
        "item_state": session.get(Item, item_id).state,  # type: ignore[union-attr]
        "leases": session.scalars(select(Lease.user_id).where(Lease.item_id == item_id)).all(),
        "events": sorted((e.target_type, e.detail["item_id"] == item_id, e.detail["outcome"], e.detail["version"],
                          e.user_id is not None) for e in events),
        "labels_queued": [e.id in labels_calls for e in stored],
    }


@pytest.mark.parametrize("annotations", [1, 2])
def test_the_quick_submit_stores_what_the_locked_path_stores(
    client_for: Clients, make_dataset, session: Session, labels_calls: list[int],
    locked_path_calls: list[tuple[int, str]], monkeypatch: pytest.MonkeyPatch, annotations: int,
) -> None:
    """The same work submitted on two datasets, once with the quick path turned off: every stored figure
    is equal (one and two annotations per item: the item's state follows the counts either way)."""
    people = [client_for("annotator"), client_for("annotator2")][:annotations]
    outcomes = []
    for quick in (False, True):
        dataset = make_dataset(1, annotations_per_item=annotations)
        with monkeypatch.context() as patch:
            if not quick:
                patch.setattr(saving, "quick_submit", lambda *args: None)
            states = []
            for k, person in enumerate(people):
                item, version = _drafted(person, dataset.id, f"draft {k}")
                edited = item["rejected"].replace("an hour", f"{k + 2} hours")
                answer = put_edit(person, item["id"], edited, version, status="submitted", time_spent_s=3.0)
                assert answer.status_code == 200, answer.text
                body = answer.json()
                assert (body["status"], body["version"], body["edited_text"]) == ("submitted", version + 1, edited)
                assert body["stats"]["minimality"]["level"] == "ok" and body["submitted_at"] is not None
                session.expire_all()
                states.append(session.get(Item, item["id"]).state)  # type: ignore[union-attr]
        outcomes.append((states, _stored_outcome(session, item["id"], labels_calls)))
    submits_locked = [status for _, status in locked_path_calls if status == "submitted"]
    assert submits_locked == ["submitted"] * annotations * (2 if not _is_postgres(session) else 1)
    assert outcomes[0] == outcomes[1]
    states, stored = outcomes[1]
    assert states == ["open"] * (annotations - 1) + ["submitted"]
    assert stored["leases"] == [] and stored["labels_queued"] == [True] * annotations
    assert [e[2:4] for e in stored["events"]] == [("edited", 2)] * annotations


def test_a_submit_over_the_hard_limit_is_refused_and_changes_nothing(
    client_for: Clients, make_dataset, session: Session, labels_calls: list[int],
    locked_path_calls: list[tuple[int, str]],
) -> None:
    dataset = make_dataset(1, hard_max_changed_words=4, soft_max_changed_words=2)
    annotator = client_for("annotator")
    item, version = _drafted(annotator, dataset.id, "kept draft")
    rewrite = "Something else entirely, written from scratch by the annotator today."
    refused = put_edit(annotator, item["id"], rewrite, version, status="submitted")
    assert refused.status_code == 422 and refused.json()["field"] == "needs_rewrite"
    assert locked_path_calls == ([] if _is_postgres(session) else [(item["id"], "draft"), (item["id"], "submitted")])
    before = _stored_outcome(session, item["id"], labels_calls)
    assert before["edits"][0][:2] == (EditStatus.draft, version) and before["edits"][0][4] == "kept draft"
    assert before["item_state"] == "open" and len(before["leases"]) == 1 and before["events"] == []

    declared = put_edit(annotator, item["id"], rewrite, version, status="submitted", needs_rewrite=True)
    assert declared.status_code == 200, declared.text
    assert (declared.json()["outcome"], declared.json()["needs_rewrite"]) == ("rewrite", True)
    assert _stored_outcome(session, item["id"], labels_calls)["events"][0][2] == "rewrite"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_unusual_submits_take_the_locked_path(
    client_for: Clients, make_dataset, session: Session, locked_path_calls: list[tuple[int, str]]
) -> None:
    """No draft yet, a stale version, an expired lease, an item no longer open: the locked path answers."""
    dataset = make_dataset(4)
    annotator = client_for("annotator")

    first = lease(annotator, dataset.id)["item"]  # a submit without a draft saved first
    direct = put_edit(annotator, first["id"], first["rejected"] + " More.", 0, status="submitted")
    assert direct.status_code == 200 and direct.json()["version"] == 1
    assert locked_path_calls == [(first["id"], "submitted")]

    stale_item, version = _drafted(annotator, dataset.id, "draft")
    small = stale_item["rejected"].replace("an hour", "a day")
    stale = put_edit(annotator, stale_item["id"], small, version + 1, status="submitted")
    assert stale.status_code == 409 and stale.json()["current_version"] == version
    assert locked_path_calls[-1] == (stale_item["id"], "submitted")
    assert put_edit(annotator, stale_item["id"], small, version, status="submitted").status_code == 200

    expired_item, version = _drafted(annotator, dataset.id, "draft")
    session.execute(update(Lease).where(Lease.item_id == expired_item["id"])
                    .values(expires_at=utcnow() - timedelta(seconds=5)))
    session.commit()
    late = put_edit(annotator, expired_item["id"], expired_item["rejected"].replace("an hour", "a while"), version,
                    status="submitted")  # late, but nobody took the item meanwhile
    assert late.status_code == 200 and locked_path_calls[-1] == (expired_item["id"], "submitted")

    flagged_item, version = _drafted(annotator, dataset.id, "draft")
    session.execute(update(Item).where(Item.id == flagged_item["id"]).values(state="flagged", flag="unclear"))
    session.commit()
    refused = put_edit(annotator, flagged_item["id"], flagged_item["rejected"] + " Flagged.", version,
                       status="submitted")
    assert refused.status_code == 409 and "flagged" in refused.json()["detail"]
    assert locked_path_calls[-1] == (flagged_item["id"], "submitted")


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_draft_saved_while_the_submit_graded_makes_it_a_409_and_keeps_that_draft(
    client_for: Clients, make_dataset, session: Session, labels_calls: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A quick draft save takes no item lock: one from another tab lands between the submit's locked read
    and its write. The write matches nothing, the locked path refuses the submit as stale, and the other
    tab's draft, the lease and the item stay as they were."""
    dataset = make_dataset(1)
    annotator = client_for("annotator")
    item, version = _drafted(annotator, dataset.id, "draft")
    _while_grading(monkeypatch, update(Edit).where(Edit.item_id == item["id"])
                   .values(edited_text="the other tab's words", version=Edit.version + 1))
    answer = put_edit(annotator, item["id"], item["rejected"].replace("an hour", "a day"), version, status="submitted")
    assert answer.status_code == 409 and answer.json()["current_version"] == version + 1
    stored = _stored_outcome(session, item["id"], labels_calls)
    assert [e[:2] + (e[4],) for e in stored["edits"]] == [(EditStatus.draft, version + 1, "the other tab's words")]
    assert stored["item_state"] == "open" and len(stored["leases"]) == 1
    assert stored["events"] == [] and stored["labels_queued"] == [False]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_annotators_submitting_one_item_at_once_leave_it_submitted(
    client_for: Clients, make_dataset, session: Session
) -> None:
    """Two annotations per item, both submitted at the same moment, ten times: the item lock orders the
    two, so the second always counts the first and the item always ends up submitted."""
    people = [client_for("annotator"), client_for("annotator2")]
    for _ in range(10):
        dataset = make_dataset(1, annotations_per_item=2)
        drafted = [_drafted(person, dataset.id, "draft") for person in people]
        assert drafted[0][0]["id"] == drafted[1][0]["id"]
        barrier = threading.Barrier(2)
        answers: list[int] = []

        def submit(person: TestClient, item_id: int, text: str, version: int, barrier: threading.Barrier,
                   answers: list[int]) -> None:
            tab = TestClient(person.app, headers=dict(person.headers))
            barrier.wait()
            answers.append(put_edit(tab, item_id, text, version, status="submitted").status_code)

        item = drafted[0][0]
        threads = [threading.Thread(target=submit, args=(person, item["id"], item["rejected"].replace("an hour", f"{k} hours"),
                                                         version, barrier, answers))
                   for k, (person, (_, version)) in enumerate(zip(people, drafted, strict=True))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert answers == [200, 200]
        session.expire_all()
        assert session.get(Item, drafted[0][0]["id"]).state == "submitted"  # type: ignore[union-attr]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_state_set_while_a_one_annotation_submit_graded_is_not_overwritten(
    client_for: Clients, make_dataset, session: Session, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the item lock, a flag raised between the submit's read and its write orders before it: the
    edit is submitted (as if submitted a moment earlier and flagged after) and the item stays flagged."""
    dataset = make_dataset(1)
    annotator = client_for("annotator")
    item, version = _drafted(annotator, dataset.id, "draft")
    _while_grading(monkeypatch, update(Item).where(Item.id == item["id"]).values(state="flagged", flag="unsafe"))
    answer = put_edit(annotator, item["id"], item["rejected"].replace("an hour", "a day"), version, status="submitted")
    assert answer.status_code == 200 and answer.json()["status"] == "submitted"
    session.expire_all()
    assert session.get(Item, item["id"]).state == "flagged"  # type: ignore[union-attr]
