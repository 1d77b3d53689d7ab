"""The reviewer pass over human and model edits: accept, reject, modify, history, conflicts."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Edit, EditStatus, Item

Clients = Callable[[str], TestClient]


def submit_one(client: TestClient, replacement: str = "boiling water for nine minutes") -> dict:
    item = client.get("/api/v1/queue/next").json()["item"]
    text = item["rejected"].replace("cold water and wait for an hour", replacement)
    response = client.put(f"/api/v1/items/{item['id']}/edit",
                          json={"edited_text": text, "status": "submitted", "version": 0})
    assert response.status_code == 200, response.text
    return response.json()


def test_queue_lists_human_and_model_edits_and_accept_finishes_the_item(
    client_for: Clients, make_dataset, session: Session, labels_calls: list[int]
) -> None:
    from app.services.edits import save_model_edit

    dataset = make_dataset(2)
    human = submit_one(client_for("annotator"))
    other_item = session.scalars(select(Item).where(Item.dataset_id == dataset.id, Item.id != human["item_id"])).one()
    model = save_model_edit(session, other_item.id, other_item.rejected.replace("an hour", "nine minutes"),
                            model_name="claude-test", rationale="too long")
    reviewer = client_for("reviewer")
    queue = reviewer.get("/api/v1/review/queue", params={"dataset_id": dataset.id}).json()
    assert queue["total"] == 2
    entries = {e["edit"]["id"]: e for e in queue["entries"]}
    assert entries[human["id"]]["author_email"] == "annotator@example.org"
    assert entries[model.id]["edit"]["model_name"] == "claude-test" and entries[model.id]["author_email"] is None
    assert entries[model.id]["item"]["rejected"] == other_item.rejected
    assert labels_calls == [human["id"], model.id]

    accepted = reviewer.post(f"/api/v1/edits/{human['id']}/accept", json={})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["reviewer_id"] is not None
    again = client_for("admin").post(f"/api/v1/edits/{human['id']}/accept", json={})
    assert again.status_code == 409 and "accepted" in again.json()["detail"]
    assert reviewer.get(f"/api/v1/items/{human['item_id']}").json()["state"] == "accepted"
    progress = reviewer.get(f"/api/v1/datasets/{dataset.id}").json()["progress"]
    assert progress == {"items": 2, "edited": 2, "reviewed": 1, "accepted": 1, "flagged": 0, "no_edit_needed": 0}


def test_reject_needs_a_reason_and_sends_the_item_back(client_for: Clients, make_dataset) -> None:
    make_dataset(1)
    annotator = client_for("annotator")
    edit = submit_one(annotator)
    reviewer = client_for("reviewer")
    missing = reviewer.post(f"/api/v1/edits/{edit['id']}/reject", json={})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "reason"
    blank = reviewer.post(f"/api/v1/edits/{edit['id']}/reject", json={"reason": "   "})
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    rejected = reviewer.post(f"/api/v1/edits/{edit['id']}/reject", json={"reason": "changed too little"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["review_reason"] == "changed too little"
    assert reviewer.get(f"/api/v1/items/{edit['item_id']}").json()["state"] == "open"
    # Back in the queue, for the same annotator too (they can fix their work), starting a new draft.
    again = annotator.get("/api/v1/queue/next").json()
    assert again["item"]["id"] == edit["item_id"] and again["draft"] is None
    assert annotator.get(f"/api/v1/edits/{edit['id']}").json()["review_reason"] == "changed too little"


def test_modify_creates_a_new_version_and_keeps_history(
    client_for: Clients, make_dataset, session: Session, labels_calls: list[int]
) -> None:
    make_dataset(1)
    edit = submit_one(client_for("annotator"))
    reviewer = client_for("reviewer")
    better = edit["edited_text"].replace("nine", "ten")
    modified = reviewer.post(f"/api/v1/edits/{edit['id']}/modify", json={"edited_text": better, "reason": "ten"})
    assert modified.status_code == 200, modified.text
    new = modified.json()
    assert new["parent_id"] == edit["id"] and new["status"] == "accepted" and new["version"] == edit["version"] + 1
    assert new["hunks"] and new["stats"]["changed_words_edited"] >= 1
    history = reviewer.get(f"/api/v1/items/{edit['item_id']}/history").json()
    assert [(e["id"], e["status"]) for e in history["edits"]] == [(edit["id"], "superseded"), (new["id"], "accepted")]
    assert reviewer.post(f"/api/v1/edits/{edit['id']}/modify", json={"edited_text": better}).status_code == 409
    assert labels_calls[-1] == new["id"]
    session.expire_all()
    assert session.scalars(select(Edit.status).order_by(Edit.id)).all() == [EditStatus.superseded, EditStatus.accepted]


def test_review_roles_and_own_edits(client_for: Clients, make_dataset) -> None:
    make_dataset(2)
    edit = submit_one(client_for("annotator"))
    for role in ("annotator", "engineer"):
        assert client_for(role).get("/api/v1/review/queue").status_code == 403
        assert client_for(role).post(f"/api/v1/edits/{edit['id']}/accept", json={}).status_code == 403
    assert client_for("annotator").get(f"/api/v1/items/{edit['item_id']}/history").status_code == 403
    assert client_for("annotator2").get(f"/api/v1/edits/{edit['id']}").status_code == 403
    # An admin who annotated does not see their own edit in the review queue.
    admin = client_for("admin")
    own = submit_one(admin)
    ids = [e["edit"]["id"] for e in admin.get("/api/v1/review/queue").json()["entries"]]
    assert edit["id"] in ids and own["id"] not in ids
    assert client_for("reviewer").post("/api/v1/edits/999999/accept", json={}).status_code == 404
