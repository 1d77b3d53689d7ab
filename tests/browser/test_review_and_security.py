"""The reviewer pass, the dashboard, and hostile text, in a real browser."""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from app.models import Edit, EditStatus, Item, User
from app.models.base import utcnow
from app.services.edits import grade
from tests.browser.conftest import XSS_IMG, XSS_SCRIPT, Site, log_in, screenshot, start_dataset

pytestmark = pytest.mark.browser


def submitted_model_edit(site: Site, dataset_id: int, text_of: object) -> tuple[int, str]:
    """Store a model-made submitted edit of the dataset's last open item; (edit id, edited text)."""
    with site.sessions() as s:
        item = s.scalars(select(Item).where(Item.dataset_id == dataset_id, Item.state == "open")
                         .order_by(Item.id.desc())).first()
        assert item is not None
        edited = text_of(item.rejected)  # type: ignore[operator]
        hunks, stats, verdict = grade(s, item, edited)
        edit = Edit(item_id=item.id, model_name="claude-test", edited_text=edited, status=EditStatus.submitted,
                    outcome="edited", hunks=hunks, stats=stats, rationale="Fixed the factual error.",
                    submitted_at=utcnow())
        s.add(edit)
        item.state = "submitted"
        s.commit()
        return edit.id, edited


def assert_not_run(page: Page) -> None:
    assert page.evaluate("window.__pwned === undefined"), "a script from user text ran"


def test_reviewer_accepts_a_model_edit(site: Site, context: BrowserContext) -> None:
    edit_id, _ = submitted_model_edit(site, site.dataset_id, lambda text: "Fixed: " + text)
    page = context.new_page()
    log_in(page, site, "rev@example.org")
    assert page.url.endswith("/review")
    row = page.locator(f"a[data-review-edit='{edit_id}']")
    expect(row).to_be_visible()
    expect(page.locator("#review-queue")).to_contain_text("claude-test")
    row.click()
    page.wait_for_url(f"**/review/edits/{edit_id}")
    expect(page.locator("#diff ins.tok").first).to_have_text("Fixed")
    expect(page.locator("#history li")).to_have_count(1)
    screenshot(page, f"review-{site.backend}.png")
    page.click("#accept-btn")
    page.wait_for_url(re.compile(r".*done=accepted.*"))
    expect(page.locator(".notice.ok")).to_contain_text("Edit accepted")
    with site.sessions() as s:
        edit = s.get(Edit, edit_id)
        reviewer = s.get(User, edit.reviewer_id) if edit and edit.reviewer_id else None
        assert edit is not None and edit.status == EditStatus.accepted
        assert reviewer is not None and reviewer.email == "rev@example.org"
        assert s.get(Item, edit.item_id).state == "accepted"  # type: ignore[union-attr]


def test_script_in_prompt_response_and_edit_never_runs(site: Site, context: BrowserContext,
                                                       second_context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "ann1@example.org")
    item_id = start_dataset(page, site, "hostile")
    # The markup shows as text, exactly as written, in the prompt, the response and the editor.
    expect(page.locator("#prompt-text")).to_contain_text(XSS_SCRIPT)
    expect(page.locator("#prompt-text")).to_contain_text(XSS_IMG)
    expect(page.locator("#editor")).to_have_value(re.compile(re.escape(XSS_SCRIPT)))
    assert page.locator("#prompt-text img, #chosen-text img, #diff img, script:not([src])").count() == 0
    # An edit that adds more of it: the live diff escapes it too.
    payload = ' <img src=y onerror="window.__pwned = 3"><svg onload="window.__pwned = 4"></svg>'
    page.locator("#editor").press("Control+End")
    page.locator("#editor").press_sequentially(payload, delay=5)
    expect(page.locator("#diff ins.tok").last).to_be_visible()
    expect(page.locator("#diff")).to_contain_text('onerror="window.__pwned = 3"')
    assert page.locator("#diff img, #diff svg").count() == 0
    assert_not_run(page)
    expect(page.locator("#minimality-verdict")).to_contain_text("Above the hard limit")
    page.check("#needs-rewrite")  # over the hard limit: the submit must say it was a rewrite
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*done=submitted.*"))

    with site.sessions() as s:
        edit = s.scalars(select(Edit).where(Edit.item_id == item_id)).one()
        assert (edit.needs_rewrite, edit.outcome) == (True, "rewrite")
    reviewer = second_context.new_page()
    log_in(reviewer, site, "rev@example.org")
    reviewer.goto(f"{site.base_url}/review/edits/{edit.id}")
    expect(reviewer.locator("#diff")).to_contain_text("window.__pwned = 4")
    expect(reviewer.locator("#prompt-text")).to_contain_text(XSS_SCRIPT)
    assert reviewer.locator("main img, main script, #diff svg").count() == 0
    assert_not_run(reviewer)
    assert_not_run(page)


def test_dashboard_shows_progress_annotators_and_chart(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "admin@example.org")
    page.goto(f"{site.base_url}/dashboard")
    row = page.locator("#progress-table tr[data-dataset='everyday']")
    with site.sessions() as s:
        edited = len({e.item_id for e in s.scalars(select(Edit).join(Item).where(
            Item.dataset_id == site.dataset_id, Edit.status.in_([EditStatus.submitted, EditStatus.accepted])))})
    expect(row.locator("td[data-col='edited']")).to_have_text(str(edited))
    expect(page.locator(".chart svg rect.bar")).to_have_count(30)
    screenshot(page, f"dashboard-{site.backend}.png")
