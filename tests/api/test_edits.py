"""Saving and submitting edits through the API: versions, leases, minimality, bad input."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Edit, Item, Lease
from app.models.base import utcnow

Clients = Callable[[str], TestClient]


def lease(client: TestClient, dataset_id: int | None = None) -> dict:
    response = client.get("/api/v1/queue/next", params={"dataset_id": dataset_id} if dataset_id else None)
    assert response.status_code == 200, response.text
    return response.json()


def put_edit(client: TestClient, item_id: int, text: str, version: int, status: str = "draft", **extra):
    return client.put(f"/api/v1/items/{item_id}/edit",
                      json={"edited_text": text, "status": status, "version": version, **extra})


def test_draft_saves_bump_the_version_and_submit_queues_labels(
    client_for: Clients, make_dataset, session: Session, labels_calls: list[int]
) -> None:
    make_dataset(2)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    edited = item["rejected"].replace("cold water and wait for an hour", "boiling water for nine minutes")

    first = put_edit(annotator, item["id"], edited, 0)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["status"] == "draft"
    second = put_edit(annotator, item["id"], edited + " Enjoy.", 1, time_spent_s=12.5)
    assert second.json()["version"] == 2
    assert second.json()["id"] == first.json()["id"]  # one draft row, updated in place
    assert labels_calls == []

    submitted = put_edit(annotator, item["id"], edited, 2, status="submitted", time_spent_s=3)
    body = submitted.json()
    assert submitted.status_code == 200, submitted.text
    assert body["status"] == "submitted" and body["version"] == 3 and body["time_spent_s"] == 15.5
    assert body["submitted_at"] is not None
    assert labels_calls == [body["id"]]
    session.expire_all()
    assert session.get(Item, item["id"]).state == "submitted"
    assert session.scalars(select(Lease).where(Lease.item_id == item["id"])).first() is None


def test_stored_figures_come_from_the_texts_not_the_client(client_for: Clients, make_dataset) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    edited = item["rejected"].replace("an hour", "an afternoon")
    response = put_edit(annotator, item["id"], edited, 0, stats={"changed_words_original": 0}, hunks=[])
    body = response.json()
    start = item["rejected"].index("hour")
    assert body["hunks"] == [[start, start + len("hour"), start, start + len("afternoon")]]
    assert body["stats"]["changed_words_original"] == 1
    assert body["stats"]["changed_words_edited"] == 1
    assert body["stats"]["minimality"]["level"] == "ok"
    assert body["stats"]["minimality"]["changed_words"] == 2


def test_two_tabs_of_one_annotator_the_stale_one_gets_409_and_nothing_is_lost(
    client_for: Clients, make_dataset, session: Session
) -> None:
    make_dataset(1)
    tab_a = client_for("annotator")
    tab_b = TestClient(tab_a.app, headers=dict(tab_a.headers))
    item = lease(tab_a)["item"]
    assert put_edit(tab_a, item["id"], "version one", 0).json()["version"] == 1
    # Both tabs have seen version 1; tab A saves first.
    assert put_edit(tab_a, item["id"], "tab A's words", 1).status_code == 200
    stale = put_edit(tab_b, item["id"], "tab B's words", 1)
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    session.expire_all()
    stored = session.scalars(select(Edit).where(Edit.item_id == item["id"])).all()
    assert [(e.edited_text, e.version) for e in stored] == [("tab A's words", 2)]
    # Tab B reloads, sees version 2 and saves on top of it.
    assert put_edit(tab_b, item["id"], "tab B's words", 2).json()["version"] == 3


def test_first_save_from_two_tabs_creates_one_draft(client_for: Clients, make_dataset, session: Session) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    assert put_edit(annotator, item["id"], "first", 0).status_code == 200
    again = put_edit(annotator, item["id"], "second", 0)
    assert again.status_code == 409 and again.json()["current_version"] == 1
    session.expire_all()
    assert session.scalars(select(Edit.edited_text).where(Edit.item_id == item["id"])).all() == ["first"]


def test_a_lease_taken_over_after_expiry_is_lost_with_409(
    client_for: Clients, make_dataset, session: Session
) -> None:
    make_dataset(1)
    first, second = client_for("annotator"), client_for("annotator2")
    item = lease(first)["item"]
    assert put_edit(first, item["id"], "my draft", 0).status_code == 200
    session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert lease(second)["item"]["id"] == item["id"]  # the expired lease frees the item
    lost = put_edit(first, item["id"], "my draft, continued", 1)
    assert lost.status_code == 409
    assert "lease" in lost.json()["detail"]
    session.expire_all()
    assert session.scalars(select(Edit.edited_text)).all() == ["my draft"]


def test_an_expired_lease_nobody_took_is_renewed_on_save(client_for: Clients, make_dataset, session: Session) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert put_edit(annotator, item["id"], "still mine", 0).status_code == 200
    session.expire_all()
    assert session.scalars(select(Lease)).one().expires_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)


def test_saving_without_a_lease_is_409(client_for: Clients, make_dataset, session: Session) -> None:
    dataset = make_dataset(1)
    item_id = session.scalars(select(Item.id).where(Item.dataset_id == dataset.id)).one()
    response = put_edit(client_for("annotator"), item_id, "text", 0)
    assert response.status_code == 409
    assert "queue/next" in response.json()["detail"]


def test_submit_over_the_hard_threshold_needs_a_declared_rewrite(
    client_for: Clients, make_dataset, session: Session
) -> None:
    make_dataset(1, hard_max_changed_words=4, soft_max_changed_words=2)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    rewrite = "Eggs: simmer nine minutes, then chill them in iced water before peeling."
    refused = put_edit(annotator, item["id"], rewrite, 0, status="submitted")
    assert refused.status_code == 422
    assert refused.json()["field"] == "needs_rewrite"
    assert refused.json()["minimality"]["level"] == "hard"
    draft = put_edit(annotator, item["id"], rewrite, 0)  # a draft over the threshold is kept
    assert draft.status_code == 200 and draft.json()["stats"]["minimality"]["level"] == "hard"
    ok = put_edit(annotator, item["id"], rewrite, 1, status="submitted", needs_rewrite=True)
    assert ok.status_code == 200, ok.text
    assert ok.json()["needs_rewrite"] is True and ok.json()["outcome"] == "rewrite"


def test_no_edit_needed_is_recorded(client_for: Clients, make_dataset, session: Session) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item = lease(annotator)["item"]
    unchanged = put_edit(annotator, item["id"], item["rejected"], 0, status="submitted")
    assert unchanged.status_code == 422 and unchanged.json()["field"] == "edited_text"
    mismatch = put_edit(annotator, item["id"], "changed", 0, status="submitted", outcome="no_edit_needed")
    assert mismatch.status_code == 422 and mismatch.json()["field"] == "outcome"
    done = put_edit(annotator, item["id"], item["rejected"], 0, status="submitted", outcome="no_edit_needed")
    assert done.status_code == 200
    assert done.json()["outcome"] == "no_edit_needed" and done.json()["hunks"] == []
    progress = client_for("reviewer").get(f"/api/v1/datasets/{item['dataset_id']}").json()["progress"]
    assert progress["edited"] == 1 and progress["no_edit_needed"] == 1


def test_bad_edit_requests_name_the_field(client_for: Clients, make_dataset, app_client: TestClient) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    item_id = lease(annotator)["item"]["id"]
    cases = [
        ({"edited_text": "x", "status": "accepted", "version": 0}, "status"),
        ({"edited_text": "x", "status": "draft", "version": -1}, "version"),
        ({"edited_text": "x", "status": "draft"}, "version"),
        ({"status": "draft", "version": 0}, "edited_text"),
        ({"edited_text": 5, "status": "draft", "version": 0}, "edited_text"),
        ({"edited_text": "x", "status": "draft", "version": 0, "time_spent_s": -3}, "time_spent_s"),
        ({"edited_text": "x", "status": "draft", "version": 0, "outcome": "maybe"}, "outcome"),
    ]
    for body, field in cases:
        response = annotator.put(f"/api/v1/items/{item_id}/edit", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"][0]["loc"][-1] == field, (body, response.json())
    assert annotator.put(f"/api/v1/items/{item_id}/edit", content=b"{not json").status_code == 422
    assert put_edit(annotator, 999_999, "x", 0).status_code == 404


def test_oversized_texts_are_refused(client_for: Clients, make_dataset, monkeypatch) -> None:
    from app.config import get_settings

    make_dataset(1)
    annotator = client_for("annotator")
    item_id = lease(annotator)["item"]["id"]
    limit = get_settings().max_text_chars
    response = put_edit(annotator, item_id, "a" * (limit + 1), 0)
    assert response.status_code == 413 and response.json()["field"] == "edited_text"
    from app.middleware import MAX_NON_UPLOAD_BYTES

    huge = annotator.put(f"/api/v1/items/{item_id}/edit", content=b"x" * (MAX_NON_UPLOAD_BYTES + 1),
                         headers={"content-type": "application/json"})
    assert huge.status_code == 413


def test_skip_and_flag(client_for: Clients, make_dataset, session: Session) -> None:
    make_dataset(2)
    annotator = client_for("annotator")
    first = lease(annotator)["item"]["id"]
    assert annotator.post(f"/api/v1/items/{first}/skip", json={"reason": ""}).status_code == 422
    assert annotator.post(f"/api/v1/items/{first}/skip", json={"reason": "not my field"}).status_code == 204
    second = lease(annotator)["item"]["id"]
    assert second != first
    bad = annotator.post(f"/api/v1/items/{second}/flag", json={"kind": "boring"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "kind"
    flagged = annotator.post(f"/api/v1/items/{second}/flag", json={"kind": "unsafe", "note": "asks for harm"})
    assert flagged.json()["state"] == "flagged"
    assert annotator.get("/api/v1/queue/next").status_code == 204
    # Another annotator gets the skipped item, never the flagged one, until an admin clears the flag.
    other = client_for("annotator2")
    assert lease(other)["item"]["id"] == first
    assert client_for("annotator").delete(f"/api/v1/items/{second}/flag").status_code == 403
    assert client_for("admin").delete(f"/api/v1/items/{second}/flag").json()["state"] == "open"
    assert lease(annotator)["item"]["id"] == second
    session.expire_all()
    assert session.get(Item, second).flag is None


def test_lease_renew_and_release(client_for: Clients, make_dataset) -> None:
    make_dataset(1)
    annotator, other = client_for("annotator"), client_for("annotator2")
    item_id = lease(annotator)["item"]["id"]
    assert other.get("/api/v1/queue/next").status_code == 204
    renewed = annotator.post(f"/api/v1/items/{item_id}/lease")
    assert renewed.status_code == 200 and renewed.json()["item_id"] == item_id
    assert other.post(f"/api/v1/items/{item_id}/lease").status_code == 409
    assert annotator.delete(f"/api/v1/items/{item_id}/lease").status_code == 204
    assert lease(other)["item"]["id"] == item_id


def test_lease_returns_the_draft(client_for: Clients, make_dataset) -> None:
    make_dataset(3)
    annotator = client_for("annotator")
    item_id = lease(annotator)["item"]["id"]
    put_edit(annotator, item_id, "work in progress", 0)
    again = lease(annotator)
    assert again["item"]["id"] == item_id
    assert again["draft"]["edited_text"] == "work in progress" and again["draft"]["version"] == 1
