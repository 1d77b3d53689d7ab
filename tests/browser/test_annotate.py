"""The annotator's page in a real browser: live token diff, submit by keyboard, drafts, leases, skip."""

import re
import time

import pytest
from playwright.sync_api import BrowserContext, Request, expect
from sqlalchemy import select

from app.config import Settings
from app.models import Edit, EditStatus, Item, Skip, User
from tests.browser.conftest import ITEM_URL, Site, log_in, screenshot, start_dataset

pytestmark = pytest.mark.browser

def expected_labels(original: str, edited: str) -> tuple[list[str], list[str]]:
    """Texts of the tokens the shared alignment labels -1 (original) and +1 (edit)."""
    from training.alignment import align

    alignment = align(original, edited, cache_dir=Settings().model_cache_dir)
    removed = [t.text for t in alignment.original_tokens if t.label == -1]
    inserted = [t.text for t in alignment.edited_tokens if t.label == 1]
    return removed, inserted


def test_live_diff_shows_the_training_labels_and_ctrl_enter_submits(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "ann1@example.org")
    item_id = start_dataset(page, site, "everyday")
    with site.sessions() as s:
        original = s.get(Item, item_id).rejected  # type: ignore[union-attr]
    expect(page.locator("#editor")).to_have_value(original)
    # Change a word, delete a clause and add a line: three kinds of hunk, one with a newline.
    edited = original.replace("cold", "boiling", 1).replace("30", "9", 1) + "\nCool it first."
    if edited == original + "\nCool it first.":
        edited = "Fixed: " + original + "\nCool it first."
    page.fill("#editor", edited)
    removed, inserted = expected_labels(original, edited)
    expect(page.locator("#neg-count")).to_have_text(str(len(removed)))
    expect(page.locator("#pos-count")).to_have_text(str(len(inserted)))
    assert page.locator("#diff del.tok").all_text_contents() == removed
    assert page.locator("#diff ins.tok").all_text_contents() == inserted
    # Struck and underlined, not only coloured; the text between keeps its line breaks.
    assert "line-through" in page.locator("#diff del.tok").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "underline" in page.locator("#diff ins.tok").first.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert page.locator("#diff").evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert page.locator("#diff").evaluate("e => e.textContent.replace(/\\n/g, '|')").count("|") >= edited.count("\n")
    page.click("#chosen-panel summary")
    screenshot(page, f"editor-{site.backend}.png")

    # A keystroke just before a slow submit leaves an autosave pending: it must not fire after it.
    page.route("**/submit", lambda route: (time.sleep(1.6), route.continue_()))
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url.rsplit("/", 1)[-1]) if r.method == "POST" else None)
    page.locator("#editor").press("End")
    page.locator("#editor").press_sequentially(" ")
    page.locator("#editor").press("Backspace")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*done=submitted.*"))
    assert "submit" in sent and "draft" not in sent[sent.index("submit"):]
    expect(page.locator(".notice.ok")).to_contain_text("Edit submitted")
    with site.sessions() as s:
        edit = s.scalars(select(Edit).where(Edit.item_id == item_id)).one()
        author = s.get(User, edit.author_id)
        assert (edit.status, edit.edited_text, author.email if author else None) == (
            EditStatus.submitted, edited, "ann1@example.org")
        # The server's own figures: the stored stats count the same tokens the page showed.
        assert edit.stats["changed_tokens_original"] == len(removed)
        assert edit.stats["changed_tokens_edited"] == len(inserted)
        assert edit.time_spent_s > 0


def test_autosave_once_per_pause_and_the_draft_survives_a_reload(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "ann2@example.org")
    item_id = start_dataset(page, site, "everyday")
    saves: list[Request] = []
    previews: list[Request] = []
    page.on("request", lambda r: saves.append(r) if r.url.endswith("/draft") else None)
    page.on("request", lambda r: previews.append(r) if r.url.endswith("/preview") else None)
    editor = page.locator("#editor")
    editor.press("Control+End")
    typed = " Please check."
    editor.press_sequentially(typed, delay=40)
    expect(page.locator("#save-status")).to_contain_text("Draft saved · version 1")
    page.wait_for_timeout(1500)  # longer than the autosave delay: no second save may follow
    assert len(saves) == 1, "autosave must send one request per pause in typing, not one per keystroke"
    assert 1 <= len(previews) < len(typed)
    text = editor.input_value()
    assert text.endswith(typed)

    page.reload()
    expect(page.locator("#editor")).to_have_value(text)
    expect(page.locator("#save-status")).to_contain_text("Draft restored · version 1")
    # Ctrl+S saves at once, under the version the page holds.
    page.locator("#editor").press("End")
    page.locator("#editor").press_sequentially("!")
    page.keyboard.press("Control+s")
    expect(page.locator("#save-status")).to_contain_text("version 2")
    with site.sessions() as s:
        draft = s.scalars(select(Edit).where(Edit.item_id == item_id, Edit.status == EditStatus.draft)).one()
        assert (draft.edited_text, draft.version) == (text + "!", 2)


def test_a_second_annotator_gets_a_different_item(site: Site, context: BrowserContext,
                                                  second_context: BrowserContext) -> None:
    first, second = context.new_page(), second_context.new_page()
    log_in(first, site, "ann3@example.org")
    log_in(second, site, "ann4@example.org")
    first_item = start_dataset(first, site, "everyday")
    second_item = start_dataset(second, site, "everyday")
    assert first_item != second_item
    # Reloading the queue gives each annotator their own item back, not a new one.
    assert start_dataset(first, site, "everyday") == first_item


def test_reset_no_edit_needed_and_skip_by_keyboard(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site, "ann5@example.org")
    first = start_dataset(page, site, "everyday")
    page.fill("#editor", "Something else entirely.")
    expect(page.locator("#hunk-count")).not_to_have_text("0")
    page.click("#reset-btn")
    expect(page.locator("#hunk-count")).to_have_text("0")
    page.click("#no-edit-btn")
    page.wait_for_url(re.compile(r".*done=no_edit.*"))
    second = int(ITEM_URL.match(page.url).group(1))  # type: ignore[union-attr]
    assert second != first

    page.keyboard.press("Alt+ArrowRight")  # opens the skip panel and focuses the reason
    expect(page.locator("#skip-reason")).to_be_focused()
    page.select_option("#skip-reason", "too-long")
    page.keyboard.press("Alt+ArrowRight")
    page.wait_for_url(re.compile(r".*done=skipped.*"))
    with site.sessions() as s:
        done = s.scalars(select(Edit).where(Edit.item_id == first)).one()
        assert (done.outcome, done.status, done.edited_text) == ("no_edit_needed", EditStatus.submitted,
                                                                 s.get(Item, first).rejected)  # type: ignore[union-attr]
        skip = s.scalars(select(Skip).where(Skip.item_id == second)).one()
        assert skip.reason == "Too long to edit well"
