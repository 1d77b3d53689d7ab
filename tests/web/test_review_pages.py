"""The reviewer's pages: the queue, reject with a reason (the item goes back), modify (a new version with
the old one in the history), and a second decision on the same edit refused."""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Dataset, Edit, EditStatus, Item
from app.services import edits, queue
from tests.fixtures_app import Account
from tests.web.conftest import PageClient


def _submitted(session: Session, make_dataset: Callable[..., Dataset], account: Account) -> Edit:
    dataset = make_dataset(2)
    leased = queue.lease_next(session, account.user, dataset.id)
    assert leased is not None
    item = leased[0]
    return edits.save_edit(session, item.id, account.user, item.rejected.replace("cold", "boiling"), "submitted")


def test_queue_lists_submitted_edits_with_their_author(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    edit = _submitted(session, make_dataset, accounts["annotator"])
    page = page_client("reviewer").get("/review").text
    assert f'href="/review/edits/{edit.id}"' in page and "annotator@example.org" in page
    assert "1 submitted edit waiting" in page
    detail = page_client("reviewer").get(f"/review/edits/{edit.id}").text
    assert '<del class="tok" data-label="-1"> cold</del><ins class="tok" data-label="1"> boiling</ins>' in detail


def test_reject_needs_a_reason_and_sends_the_item_back(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    edit = _submitted(session, make_dataset, accounts["annotator"])
    rev = page_client("reviewer")
    no_reason = rev.post(f"/review/edits/{edit.id}/reject", {"reason": "  "})
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.text
    done = rev.post(f"/review/edits/{edit.id}/reject", {"reason": "Nine minutes, not thirty."})
    assert done.status_code == 303 and "done=rejected" in done.headers["location"]
    session.expire_all()
    stored = session.get(Edit, edit.id)
    assert stored is not None and (stored.status, stored.review_reason) == (EditStatus.rejected,
                                                                             "Nine minutes, not thirty.")
    assert session.get(Item, edit.item_id).state == "open"  # type: ignore[union-attr]
    again = rev.post(f"/review/edits/{edit.id}/accept", {})
    assert again.status_code == 409 and "no longer waiting for review" in again.text
    # The annotator gets the item back and reads why.
    ann = page_client("annotator")
    back = ann.post("/annotate/next", {"dataset_id": str(stored.item.dataset_id)})
    assert back.headers["location"] == f"/annotate/items/{edit.item_id}"
    assert "sent your earlier edit of this item back: \u201cNine minutes, not thirty.\u201d" in ann.get(
        back.headers["location"]).text


def test_modify_stores_a_new_version_and_keeps_the_old_in_the_history(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    edit = _submitted(session, make_dataset, accounts["annotator"])
    rev = page_client("reviewer")
    text = edit.edited_text.replace("an hour", "nine minutes")
    preview = rev.post(f"/review/edits/{edit.id}/preview", {"edited_text": text}, htmx=True)
    assert 'id="modify-diff"' in preview.text and "<html" not in preview.text
    done = rev.post(f"/review/edits/{edit.id}/modify", {"edited_text": text, "reason": "fixed the time"})
    assert done.status_code == 303 and "done=modified" in done.headers["location"]
    session.expire_all()
    versions = list(session.scalars(select(Edit).where(Edit.item_id == edit.item_id).order_by(Edit.id)))
    assert [(v.status, v.version) for v in versions] == [(EditStatus.superseded, 1), (EditStatus.accepted, 2)]
    assert versions[1].parent_id == edit.id and versions[1].edited_text == text
    history = rev.get(f"/review/edits/{versions[1].id}").text
    assert history.count("<strong>Version ") == 2 and "fixed the time" in history


def test_the_queue_page_reads_the_same_statements_for_one_edit_or_many(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    """The list leaves texts unread; a column it still shows must not load row by row."""
    from sqlalchemy import event

    from app.db import get_engine

    reviewer = page_client("reviewer")

    def statements_of_the_page() -> list[str]:
        reviewer.get("/review")  # the session and token caches are warm for the measured request
        sent: list[str] = []

        def count(*args: object) -> None:
            sent.append(str(args[2]))

        event.listen(get_engine(), "before_cursor_execute", count)
        try:
            page = reviewer.get("/review").text
        finally:
            event.remove(get_engine(), "before_cursor_execute", count)
        assert page.count('data-review-edit="') == len(session.scalars(
            select(Edit.id).where(Edit.status == EditStatus.submitted)).all())
        return sent

    _submitted(session, make_dataset, accounts["annotator"])
    one = statements_of_the_page()
    for _ in range(4):
        _submitted(session, make_dataset, accounts["annotator"])
    assert len(statements_of_the_page()) == len(one)
