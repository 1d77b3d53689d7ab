"""The annotator's pages and fragments: meter thresholds, refusals, figures recomputed by the server,
skip, flag, lease renewal and what a lost lease shows."""

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Dataset, Edit, EditStatus, Item, Lease, Skip
from app.services import queue
from app.web.annotate import MAX_GAP_S
from tests.fixtures_app import Account
from tests.web.conftest import PageClient

# item_rows' rejected text: "Put egg {k} in cold water and wait for an hour until it is done cooking."
TIGHT = {"soft_max_changed_words": 2, "hard_max_changed_words": 4,
         "soft_max_edit_ratio": 0.9, "hard_max_edit_ratio": 0.95}


def _lease(session: Session, make_dataset: Callable[..., Dataset], account: Account, **settings: object) -> Item:
    dataset = make_dataset(3, **settings)
    leased = queue.lease_next(session, account.user, dataset.id)
    assert leased is not None
    return leased[0]


def _meter_level(html: str) -> str:
    match = re.search(r'id="meter" data-level="(\w+)"', html)
    assert match is not None
    return match.group(1)


def test_preview_fragment_grades_against_the_dataset_thresholds(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    item = _lease(session, make_dataset, accounts["annotator"], **TIGHT)
    ann = page_client("annotator")
    url = f"/annotate/items/{item.id}/preview"
    cases = {
        item.rejected.replace("cold", "hot"): "ok",  # 1 word out, 1 in: 2 changed words
        item.rejected.replace("cold water", "hot tea"): "soft",  # 4 changed words
        item.rejected.replace("in cold water and wait", "in a pan and then wait"): "hard",
    }
    for text, level in cases.items():
        reply = ann.post(url, {"edited_text": text}, htmx=True)
        assert reply.status_code == 200
        assert "<html" not in reply.text, "an htmx request gets the fragment alone"
        assert _meter_level(reply.text) == level, text
        assert ('meter-item warn' in reply.text) == (level == "soft")
        assert ('meter-item over' in reply.text) == (level == "hard")
        assert ("Above the hard limit" in reply.text) == (level == "hard")
    page = ann.get(f"/annotate/items/{item.id}")
    assert "<html" in page.text and _meter_level(page.text) == "ok"  # a plain request gets the whole page


def test_submit_above_the_hard_limit_needs_a_declared_rewrite(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient], labels_calls: list[int],
) -> None:
    item = _lease(session, make_dataset, accounts["annotator"], **TIGHT)
    ann = page_client("annotator")
    rewrite = "Boil the egg for nine minutes, then cool it."
    url = f"/annotate/items/{item.id}/submit"
    refused = ann.post(url, {"edited_text": rewrite, "version": "0"}, htmx=True)
    assert refused.status_code == 422 and "above the dataset&#39;s hard limit" in refused.text
    assert session.scalars(select(Edit).where(Edit.status == EditStatus.submitted)).first() is None
    done = ann.post(url, {"edited_text": rewrite, "version": "0", "needs_rewrite": "true"}, htmx=True)
    assert done.status_code == 204 and "done=submitted" in done.headers["hx-redirect"]
    edit = session.scalars(select(Edit).where(Edit.item_id == item.id)).one()
    assert (edit.status, edit.needs_rewrite, edit.outcome) == (EditStatus.submitted, True, "rewrite")
    assert labels_calls == [edit.id]


def test_the_server_ignores_figures_sent_by_the_browser(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    item = _lease(session, make_dataset, accounts["annotator"], **TIGHT)
    ann = page_client("annotator")
    rewrite = "Boil the egg for nine minutes, then cool it."
    forged = {"edited_text": rewrite, "version": "0", "changed_words": "0", "edit_ratio": "0", "level": "ok",
              "hunks": "[]", "stats": "{}", "time_spent_s": "99999", "minimality": "ok"}
    assert ann.post(f"/annotate/items/{item.id}/submit", forged, htmx=True).status_code == 422
    ann.post(f"/annotate/items/{item.id}/draft", forged, htmx=True)
    draft = session.scalars(select(Edit).where(Edit.item_id == item.id)).one()
    assert draft.stats["minimality"]["level"] == "hard" and draft.stats["changed_words_original"] > 4
    assert draft.hunks and draft.time_spent_s <= MAX_GAP_S


def test_drafts_are_versioned_and_a_stale_tab_is_told(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    item = _lease(session, make_dataset, accounts["annotator"])
    ann = page_client("annotator")
    url = f"/annotate/items/{item.id}/draft"
    first = ann.post(url, {"edited_text": item.rejected + " A.", "version": "0"}, htmx=True)
    assert "Draft saved · version 1" in first.text
    assert 'id="edit-version" name="version" value="1" hx-swap-oob="true"' in first.text
    stale = ann.post(url, {"edited_text": item.rejected + " B.", "version": "0"}, htmx=True)
    assert stale.status_code == 409 and "now version 1" in stale.text
    # The last-chance save on closing a tab is a multipart beacon carrying the form's token and version.
    beacon = ann.client.post(url, data={"edited_text": item.rejected + " C.", "version": "1", "csrf_token": ann.csrf},
                             files={"beacon": ("", b"")})
    assert beacon.status_code == 200 and "version 2" in beacon.text
    page = ann.get(f"/annotate/items/{item.id}").text
    assert item.rejected + " C." in page and "Draft restored · version 2" in page


def test_no_edit_needed_is_recorded_only_for_the_original_text(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    item = _lease(session, make_dataset, accounts["annotator"])
    ann = page_client("annotator")
    url = f"/annotate/items/{item.id}/no-edit"
    changed = ann.post(url, {"edited_text": item.rejected + "!", "version": "0"}, htmx=True)
    assert changed.status_code == 422 and "Reset" in changed.text
    done = ann.post(url, {"edited_text": item.rejected, "version": "0"}, htmx=True)
    assert done.status_code == 204
    edit = session.scalars(select(Edit).where(Edit.item_id == item.id)).one()
    assert (edit.outcome, edit.status) == ("no_edit_needed", EditStatus.submitted)


def test_skip_releases_the_lease_and_flag_takes_the_item_out(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    item = _lease(session, make_dataset, accounts["annotator"])
    ann = page_client("annotator")
    skipped = ann.post(f"/annotate/items/{item.id}/skip", {"reason": "cannot-judge", "note": "medical"})
    assert skipped.status_code == 303 and "done=skipped" in skipped.headers["location"]
    session.expire_all()
    assert session.scalars(select(Lease).where(Lease.item_id == item.id)).first() is None
    assert session.scalars(select(Skip.reason).where(Skip.item_id == item.id)).one() == (
        "I cannot judge the facts: medical")
    next_id = int(skipped.headers["location"].split("/items/")[1].split("?")[0])
    assert next_id != item.id
    flagged = ann.post(f"/annotate/items/{next_id}/flag", {"kind": "unsafe"})
    assert flagged.status_code == 303
    session.expire_all()
    flagged_item = session.get(Item, next_id)
    assert flagged_item is not None and (flagged_item.flag, flagged_item.state) == ("unsafe", "flagged")


def test_renewal_keeps_the_lease_and_a_lost_lease_is_explained(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    item = _lease(session, make_dataset, accounts["annotator"])
    ann = page_client("annotator")
    renewed = ann.post(f"/annotate/items/{item.id}/renew", {}, htmx=True)
    assert renewed.status_code == 200 and "Leased to you for" in renewed.text
    queue.release_lease(session, item.id, accounts["annotator"].user)
    lost = ann.post(f"/annotate/items/{item.id}/renew", {}, htmx=True)
    assert lost.status_code == 409 and "Your lease on this item ended" in lost.text
    page = ann.get(f"/annotate/items/{item.id}")
    assert page.status_code == 409 and "This item is not leased to you" in page.text


def test_next_item_leases_one_and_an_empty_queue_says_so(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    dataset = make_dataset(1)
    ann = page_client("annotator")
    first = ann.post("/annotate/next", {"dataset_id": str(dataset.id)})
    assert first.status_code == 303 and first.headers["location"].startswith("/annotate/items/")
    other = page_client("annotator2").post("/annotate/next", {"dataset_id": str(dataset.id)})
    assert other.headers["location"] == "/annotate?empty=1"
    assert "Nothing is left for you" in page_client("annotator2").get(other.headers["location"]).text
