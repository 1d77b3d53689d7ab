"""Annotators see only the items leased to them and their own edits, through every route that could show
another annotator's item or work (API and pages), and cannot act on an item someone else holds."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Dataset, Edit, EditStatus, Item, Lease
from app.services import queue
from tests.fixtures_app import Account

Clients = Callable[[str], TestClient]


def _setup(session: Session, make_dataset: Callable[..., Dataset], accounts: dict[str, Account],
           client_for: Clients) -> tuple[Item, Item, Edit, Edit]:
    """Annotator 2 holds item `theirs` with a draft, and submitted an edit of another item; annotator 1
    holds item `mine`."""
    dataset = make_dataset(3)
    two = client_for("annotator2")
    done_id = two.get(f"/api/v1/queue/next?dataset_id={dataset.id}").json()["item"]["id"]
    done = session.get(Item, done_id)
    assert done is not None
    submitted = two.put(f"/api/v1/items/{done_id}/edit", json={
        "edited_text": done.rejected.replace("an hour", "nine minutes"), "status": "submitted", "version": 0})
    assert submitted.status_code == 200, submitted.text
    theirs_id = two.get(f"/api/v1/queue/next?dataset_id={dataset.id}").json()["item"]["id"]
    theirs = session.get(Item, theirs_id)
    assert theirs is not None
    draft = two.put(f"/api/v1/items/{theirs_id}/edit", json={
        "edited_text": theirs.rejected + " SECRET-DRAFT", "status": "draft", "version": 0})
    assert draft.status_code == 200
    mine_id = client_for("annotator").get(f"/api/v1/queue/next?dataset_id={dataset.id}").json()["item"]["id"]
    mine = session.get(Item, mine_id)
    assert mine is not None and mine.id not in (theirs.id, done.id)
    edits = {e.id: e for e in session.scalars(select(Edit).execution_options(populate_existing=True))}
    return mine, theirs, edits[submitted.json()["id"]], edits[draft.json()["id"]]


def test_annotators_see_only_their_items_and_edits_over_the_api(
    session: Session, make_dataset: Callable[..., Dataset], accounts: dict[str, Account], client_for: Clients,
) -> None:
    mine, theirs, submitted, draft = _setup(session, make_dataset, accounts, client_for)
    one = client_for("annotator")
    assert one.get(f"/api/v1/items/{mine.id}").status_code == 200
    for item_id in (theirs.id, submitted.item_id):
        reply = one.get(f"/api/v1/items/{item_id}")
        assert reply.status_code == 403 and "rejected" not in reply.json()
    for edit in (submitted, draft):
        reply = one.get(f"/api/v1/edits/{edit.id}")
        assert reply.status_code == 403 and "SECRET" not in reply.text
    assert one.get(f"/api/v1/items/{theirs.id}/history").status_code == 403
    assert one.get("/api/v1/review/queue").status_code == 403
    assert one.get(f"/api/v1/datasets/{mine.dataset_id}/export?view=preference").status_code == 403
    # The queue hands back the caller's own item and draft only.
    leased = one.get("/api/v1/queue/next").json()
    assert leased["item"]["id"] == mine.id and leased["draft"] is None


def test_annotators_cannot_act_on_an_item_someone_else_holds(
    session: Session, make_dataset: Callable[..., Dataset], accounts: dict[str, Account], client_for: Clients,
) -> None:
    mine, theirs, _, draft = _setup(session, make_dataset, accounts, client_for)
    one = client_for("annotator")
    write = one.put(f"/api/v1/items/{theirs.id}/edit", json={"edited_text": "overwrite", "status": "draft",
                                                               "version": draft.version})
    assert write.status_code == 409
    assert one.post(f"/api/v1/items/{theirs.id}/lease").status_code == 409
    flag = one.post(f"/api/v1/items/{theirs.id}/flag", json={"kind": "unsafe", "note": ""})
    assert flag.status_code == 403 and theirs.rejected not in flag.text
    assert one.post(f"/api/v1/items/{theirs.id}/skip", json={"reason": "not mine"}).status_code == 403
    one.delete(f"/api/v1/items/{theirs.id}/lease")  # releases only the caller's own lease, if any
    session.expire_all()
    item = session.get(Item, theirs.id)
    assert item is not None and item.state == "open" and item.flag is None
    held = session.scalars(select(Lease).where(Lease.item_id == theirs.id)).all()
    assert [lease.user_id for lease in held] == [accounts["annotator2"].user.id]
    stored = session.get(Edit, draft.id)
    assert stored is not None and stored.edited_text.endswith("SECRET-DRAFT") and stored.status == EditStatus.draft


def test_annotator_pages_show_only_the_callers_items(
    session: Session, make_dataset: Callable[..., Dataset], accounts: dict[str, Account], client_for: Clients,
    cookie_client_for: Callable[[str], tuple[TestClient, str]],
) -> None:
    mine, theirs, submitted, _ = _setup(session, make_dataset, accounts, client_for)
    page, csrf = cookie_client_for("annotator")
    assert theirs.rejected not in page.get(f"/annotate/items/{mine.id}").text
    for item_id in (theirs.id, submitted.item_id):
        shown = page.get(f"/annotate/items/{item_id}")
        assert shown.status_code == 409 and theirs.rejected not in shown.text and "SECRET" not in shown.text
        for action, form in [("preview", {"edited_text": "x"}), ("draft", {"edited_text": "x", "version": "0"}),
                             ("submit", {"edited_text": "x", "version": "0"}), ("skip", {"reason": "other"}),
                             ("flag", {"kind": "unsafe"})]:
            reply = page.post(f"/annotate/items/{item_id}/{action}", data=form, headers={"X-CSRF-Token": csrf},
                              follow_redirects=False)
            assert reply.status_code in (403, 409), (action, reply.status_code)
            assert "SECRET" not in reply.text and theirs.rejected not in reply.text
    assert queue.live_lease(session, theirs.id, accounts["annotator2"].user) is not None
