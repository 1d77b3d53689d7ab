"""The quick draft save (app/services/draft_save.py): when it answers, what it stores, and how it gives way
to the locked path for everything unusual, including a writer that holds the draft's row."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item, Lease, User
from app.models.base import utcnow
from app.services import edits
from app.services.draft_save import quick_save_draft
from tests.api.test_edits import lease, put_edit

Clients = Callable[[str], TestClient]


@pytest.fixture
def locked_path_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The item ids that reached the locked path (edits.save_edit) through the API route."""
    from app.services import saving

    calls: list[int] = []

    def counted(session, item_id, *args, **kwargs):
        calls.append(item_id)
        return edits.save_edit(session, item_id, *args, **kwargs)

    monkeypatch.setattr(saving, "save_edit", counted)
    return calls


def _leased_draft(client: TestClient, text: str = "a first draft") -> dict:
    item = lease(client)["item"]
    first = put_edit(client, item["id"], text, 0)
    assert first.status_code == 200, first.text
    return item


def test_a_draft_save_on_a_live_lease_takes_the_quick_path_and_stores_what_the_locked_one_would(
    client_for: Clients, make_dataset, session: Session, locked_path_calls: list[int]
) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = _leased_draft(annotator)
    first_save_path = [] if session.get_bind().dialect.name == "postgresql" else [item["id"]]
    assert locked_path_calls == first_save_path  # SQLite's first saves take the locked path
    edited = item["rejected"].replace("an hour", "an afternoon")

    quick = put_edit(annotator, item["id"], edited, 1, time_spent_s=4.5)
    assert quick.status_code == 200, quick.text
    assert locked_path_calls == first_save_path  # the second went the quick way
    body = quick.json()
    start = item["rejected"].index("hour")
    assert body["version"] == 2 and body["status"] == "draft" and body["edited_text"] == edited
    assert body["hunks"] == [[start, start + len("hour"), start, start + len("afternoon")]]
    assert body["stats"]["minimality"]["changed_words"] == 2 and body["stats"]["minimality"]["level"] == "ok"

    stored = session.scalars(select(Edit).where(Edit.item_id == item["id"])).one()
    assert (stored.version, stored.edited_text, stored.hunks, stored.time_spent_s) == (2, edited, body["hunks"], 4.5)
    assert stored.stats == body["stats"]
    # The reply is the stored row, as the locked path would have answered it.
    third = put_edit(annotator, item["id"], edited + "!", 2)
    assert third.json()["created_at"] == body["created_at"] and third.json()["id"] == body["id"]


def test_a_stale_version_goes_to_the_locked_path_and_gets_409_with_the_stored_version(
    client_for: Clients, make_dataset, locked_path_calls: list[int]
) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = _leased_draft(annotator)
    assert put_edit(annotator, item["id"], "second", 1).status_code == 200
    stale = put_edit(annotator, item["id"], "from an old tab", 1)
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert locked_path_calls[-1] == item["id"]


def test_a_lease_past_half_its_time_is_renewed_by_the_locked_path(
    client_for: Clients, make_dataset, session: Session, locked_path_calls: list[int]
) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = _leased_draft(annotator)
    soon = utcnow() + timedelta(seconds=30)
    session.execute(update(Lease).where(Lease.item_id == item["id"]).values(expires_at=soon))
    session.commit()
    saved = put_edit(annotator, item["id"], "still working", 1)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert locked_path_calls[-1] == item["id"]
    session.expire_all()
    renewed = session.scalars(select(Lease).where(Lease.item_id == item["id"])).one()
    assert renewed.expires_at.replace(tzinfo=None) > soon.replace(tzinfo=None) + timedelta(minutes=1)


def test_a_lost_lease_or_a_closed_item_is_refused_and_the_draft_kept(
    client_for: Clients, make_dataset, session: Session
) -> None:
    make_dataset(2)
    annotator = client_for("annotator")
    item = _leased_draft(annotator, "kept words")
    session.execute(update(Item).where(Item.id == item["id"]).values(state="flagged"))
    session.commit()
    refused = put_edit(annotator, item["id"], "lost words", 1)
    assert refused.status_code == 409 and "flagged" in refused.json()["detail"]

    other = _leased_draft(annotator, "other kept words")
    session.execute(Lease.__table__.delete().where(Lease.item_id == other["id"]))
    session.commit()
    refused = put_edit(annotator, other["id"], "lost words", 1)
    assert refused.status_code == 409 and "lease" in refused.json()["detail"]
    session.expire_all()
    texts = set(session.scalars(select(Edit.edited_text)))
    assert texts == {"kept words", "other kept words"}


def test_bad_input_on_the_quick_path_names_the_field_and_stores_nothing(
    client_for: Clients, make_dataset, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = _leased_draft(annotator, "kept words")
    bad_outcome = put_edit(annotator, item["id"], "x", 1, outcome="perfect")
    assert bad_outcome.status_code == 422 and "outcome" in bad_outcome.text
    monkeypatch.setenv("MAX_TEXT_CHARS", "50")
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        too_long = put_edit(annotator, item["id"], "y" * 51, 1)
    finally:
        monkeypatch.delenv("MAX_TEXT_CHARS")
        get_settings.cache_clear()
    assert too_long.status_code == 413 and "edited_text" in too_long.text
    session.expire_all()
    assert session.scalars(select(Edit.edited_text)).one() == "kept words"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_writer_holding_the_draft_row_makes_the_quick_save_give_way(
    client_for: Clients, make_dataset, session: Session
) -> None:
    """A submit of the same draft holds its row when the quick save's UPDATE arrives: the UPDATE waits,
    re-tests its WHERE clause on the submitted row, matches nothing, and the quick path steps aside."""
    from app.db import get_sessionmaker

    make_dataset(1)
    annotator = client_for("annotator")
    item = _leased_draft(annotator, "draft words")
    user = session.scalars(select(User).where(User.role == "annotator")).first()
    assert user is not None
    holder = get_sessionmaker()()
    holder.execute(update(Edit).where(Edit.item_id == item["id"]).values(status=EditStatus.submitted, version=2))
    answers: list[object] = []
    saver = threading.Thread(target=lambda: answers.append(quick_save_draft(
        get_sessionmaker()(), item["id"], user, "late draft words", 1, 0.0, "edited", False)))
    saver.start()
    saver.join(1.0)
    assert saver.is_alive(), "the quick save did not wait for the row lock"
    holder.commit()
    holder.close()
    saver.join(10)
    assert answers == [None]
    session.expire_all()
    stored = session.scalars(select(Edit).where(Edit.item_id == item["id"])).one()
    assert (stored.status, stored.version, stored.edited_text) == (EditStatus.submitted, 2, "draft words")


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_locked_path_refuses_a_draft_written_since_it_read_it(
    client_for: Clients, make_dataset, session: Session
) -> None:
    """The locked path reads the draft's version, then writes under a version test: a quick save that
    committed in between makes it a 409 naming the version now stored, not a silent overwrite."""
    make_dataset(1)
    annotator = client_for("annotator")
    item = _leased_draft(annotator, "draft words")
    draft = session.scalars(select(Edit).where(Edit.item_id == item["id"])).one()
    assert put_edit(annotator, item["id"], "quick words", 1).json()["version"] == 2
    with pytest.raises(edits.StaleEdit) as refused:
        edits._write_draft(session, draft, {"edited_text": "overwrite", "version": 2})
    assert refused.value.current_version == 2
    session.expire_all()
    assert session.scalars(select(Edit.edited_text)).one() == "quick words"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_first_save_inserts_the_draft_the_quick_way_with_every_default(
    client_for: Clients, make_dataset, session: Session, locked_path_calls: list[int]
) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    first = put_edit(annotator, item["id"], "a first draft", 0, time_spent_s=2.0)
    assert first.status_code == 200, first.text
    assert locked_path_calls == []
    body = first.json()
    assert (body["version"], body["status"], body["outcome"], body["flags"], body["time_spent_s"]) == (
        1, "draft", "edited", [], 2.0)
    stored = session.scalars(select(Edit).where(Edit.item_id == item["id"])).one()
    assert (stored.id, stored.version, stored.usage, stored.cost_usd, stored.submitted_at) == (body["id"], 1, {}, 0.0, None)
    assert stored.stats == body["stats"] and stored.hunks == body["hunks"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_first_saves_at_once_make_one_draft_and_one_409(
    client_for: Clients, make_dataset, session: Session
) -> None:
    """Two tabs send a first save (version 0) together: the unique index of drafts lets one insert, the
    other's INSERT meets the conflict and the locked path refuses it as stale."""
    make_dataset(1)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def first_save(text: str) -> None:
        tab = TestClient(annotator.app, headers=dict(annotator.headers))
        barrier.wait()
        answers.append(put_edit(tab, item["id"], text, 0).status_code)

    tabs = [threading.Thread(target=first_save, args=(f"tab {k}",)) for k in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join(20)
    assert sorted(answers) == [200, 409]
    assert len(session.scalars(select(Edit).where(Edit.item_id == item["id"])).all()) == 1


def test_a_first_save_without_a_lease_stores_nothing(client_for: Clients, make_dataset, session: Session) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    session.execute(Lease.__table__.delete().where(Lease.item_id == item["id"]))
    session.commit()
    refused = put_edit(annotator, item["id"], "no lease", 0)
    assert refused.status_code == 409 and "lease" in refused.json()["detail"]
    assert session.scalars(select(Edit)).all() == []


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_first_save_that_lost_the_race_inserts_nothing(
    client_for: Clients, make_dataset, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The moment between reading "no draft yet" and inserting: another first save got in. The INSERT meets
    the unique index of drafts, writes nothing and the quick path steps aside."""
    from app.services import draft_save

    make_dataset(1)
    annotator = client_for("annotator")
    item = _leased_draft(annotator, "the other tab's draft")
    user = session.scalars(select(User).where(User.role == "annotator")).first()
    assert user is not None
    monkeypatch.setattr(draft_save, "_takes_quick_path", lambda context, version, now: True)  # read before it
    answer = quick_save_draft(session, item["id"], user, "late first draft", 0, 0.0, "edited", False)
    assert answer is None
    assert session.scalars(select(Edit.edited_text)).all() == ["the other tab's draft"]
