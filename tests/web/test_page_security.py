"""Page security: CSRF on every cookie-authenticated change, login CSRF and throttling, escaping,
the CSP header, no inline script or handler in any template, role checks and login redirects."""

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import REPO_ROOT
from app.models import Dataset, Edit, Item
from app.security import SESSION_COOKIE, LoginRateLimiter
from app.services import queue
from app.web import auth
from tests.fixtures_app import Account
from tests.web.conftest import PageClient, log_in

SCRIPT = "<script>window.__pwned = 1</script>"


def _leased_item(session: Session, make_dataset: Callable[..., Dataset], account: Account, **settings: object) -> Item:
    dataset = make_dataset(2, **settings)
    leased = queue.lease_next(session, account.user, dataset.id)
    assert leased is not None
    return leased[0]


def test_state_changes_refuse_a_missing_or_wrong_csrf_token(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    item = _leased_item(session, make_dataset, accounts["annotator"])
    ann = page_client("annotator")
    url = f"/annotate/items/{item.id}/draft"
    body = {"edited_text": item.rejected + " Done.", "version": "0"}
    assert ann.client.post(url, data=body).status_code == 403
    assert ann.client.post(url, data=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert ann.client.post(url, data={**body, "csrf_token": "f" * 64}).status_code == 403
    assert session.scalars(select(Edit)).first() is None
    assert ann.post(url, body, htmx=True).status_code == 200  # header, as htmx sends it
    assert ann.post(f"/annotate/items/{item.id}/renew", {}).status_code == 200  # form field
    assert ann.client.post("/logout").status_code == 403


def test_login_form_needs_its_own_token_and_is_throttled(app_client: TestClient, accounts: dict[str, Account],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "login_limiter", LoginRateLimiter())  # a fresh count for this test
    email = accounts["reviewer"].email
    refused = app_client.post("/login", data={"email": email, "password": "correct horse battery"})
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.cookies
    client = TestClient(app_client.app)
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    for _ in range(5):
        wrong = client.post("/login", data={"email": email, "password": "wrong password", "login_csrf": token})
        assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.text
    throttled = client.post("/login", data={"email": email, "password": "correct horse battery", "login_csrf": token})
    assert throttled.status_code == 429 and "Too many failed attempts" in throttled.text


def test_user_text_is_escaped_and_guidelines_render_without_html(
    session: Session, accounts: dict[str, Account], make_dataset: Callable[..., Dataset],
    page_client: Callable[[str], PageClient],
) -> None:
    guidelines = "# Rules\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) and **bold**"
    dataset = make_dataset(0, guidelines=guidelines)
    item = Item(dataset_id=dataset.id, external_id="x", prompt=f"Why {SCRIPT}?", chosen=f"<b>{SCRIPT}</b>",
                rejected=f'It <img src=x onerror="alert(3)"> {SCRIPT}', content_hash="h" * 64)
    session.add(item)
    session.commit()
    queue.lease_next(session, accounts["annotator"].user, dataset.id)
    page = page_client("annotator").get(f"/annotate/items/{item.id}").text
    assert SCRIPT not in page and "<img src=x" not in page and "<b>" not in page
    assert "Why &lt;script&gt;window.__pwned = 1&lt;/script&gt;?" in page
    assert "&lt;img src=x onerror=&#34;alert(3)&#34;&gt;" in page
    assert "<h1>Rules</h1>" in page and "<strong>bold</strong>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and 'href="javascript:' not in page


def test_pages_carry_a_csp_without_inline_script(page_client: Callable[[str], PageClient]) -> None:
    admin = page_client("admin")
    for path in ("/login", "/dashboard", "/annotate", "/review", "/admin/users", "/admin/datasets"):
        reply = admin.get(path)
        assert reply.status_code == 200, path
        csp = reply.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert re.search(r"<script(?![^>]*\bsrc=)", reply.text) is None, f"inline script on {path}"


def test_templates_have_no_inline_scripts_handlers_or_styles() -> None:
    for path in sorted((REPO_ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        assert re.search(r"<script(?![^>]*\bsrc=)", text) is None, f"inline script in {path}"
        assert re.search(r"\son[a-z]+\s*=", text) is None, f"inline event handler in {path}"
        assert re.search(r"\sstyle\s*=", text) is None, f"inline style in {path}"
        assert "hx-on" not in text and "js:" not in text, f"htmx eval in {path}"


def test_pages_redirect_visitors_to_login_and_refuse_other_roles(app_client: TestClient,
                                                                   accounts: dict[str, Account]) -> None:
    anonymous = app_client.get("/annotate", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login?next=/annotate")
    partial = app_client.post("/annotate/items/1/preview", data={"edited_text": "x"},
                              headers={"HX-Request": "true"}, follow_redirects=False)
    assert (partial.status_code, partial.headers["hx-redirect"]) == (401, "/login?next=/annotate/items/1/preview")
    annotator = log_in(app_client, accounts["annotator"].email)
    for path in ("/review", "/admin/users", "/admin/datasets", "/dashboard"):
        refused = annotator.get(path)
        assert refused.status_code == 403 and "This page is not for your role" in refused.text, path
    reviewer = log_in(app_client, accounts["reviewer"].email)
    assert reviewer.get("/annotate").status_code == 403
    assert reviewer.get("/review").status_code == 200
