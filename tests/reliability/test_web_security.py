"""Web security as a whole: no secret in a log line, error reply or export; tokens hashed and shown once;
argon2id passwords; cookie flags with and without TLS; security headers on every kind of reply; the
login throttle shared by both login routes. (CSRF on every state-changing route is in the matrix test.)"""

import hashlib
import json
import logging
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken, User
from tests.fixtures_app import PASSWORD, Account
from tests.web.conftest import log_in

NEW_PASSWORD = "brand-new-passphrase-7731"
WRONG_PASSWORD = "wrong-passphrase-9901"
API_KEY = "sk-ant-api03-test-key-that-must-never-be-printed"


def _secrets_exposed(text: str, secrets: list[str]) -> list[str]:
    return [s[:12] + "..." for s in secrets if s and s in text]


def test_no_secret_in_any_log_line_or_error_reply(
    app_client: TestClient, client_for: Callable[[str], TestClient], accounts: dict[str, Account],
    session: Session, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Passwords, API tokens, the session cookie, the CSRF token, SECRET_KEY and the Anthropic key go
    through every route that handles them, including the refusals; none is logged or echoed back."""
    from app.config import get_settings
    from app.security import login_limiter

    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    get_settings.cache_clear()
    caplog.set_level(logging.DEBUG)
    admin = client_for("admin")
    replies = []
    created = admin.post("/api/v1/users", json={"email": "new@example.org", "role": "annotator",
                                                "password": NEW_PASSWORD})
    assert created.status_code == 201
    replies.append(created)
    user_id = created.json()["id"]
    replies.append(admin.post("/api/v1/users", json={"email": "short@example.org", "role": "annotator",
                                                     "password": "short77"}))
    replies.append(admin.patch(f"/api/v1/users/{user_id}", json={"password": WRONG_PASSWORD[:5]}))
    replies.append(app_client.post("/api/v1/auth/token", json={"email": "new@example.org", "password": WRONG_PASSWORD}))
    replies.append(app_client.post("/api/v1/auth/token", json={"password": NEW_PASSWORD}))
    login_limiter.reset("new@example.org", "testclient")
    token_reply = app_client.post("/api/v1/auth/token", json={"email": "new@example.org", "password": NEW_PASSWORD})
    new_token = token_reply.json()["token"]
    replies.append(app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {new_token}x"}))
    replies.append(admin.get(f"/api/v1/users/{user_id}/tokens"))
    browser = log_in(app_client, "new@example.org", NEW_PASSWORD)
    cookie = browser.cookies.get("redline_session")
    csrf = re.search(r'X-CSRF-Token": "([0-9a-f]+)"', browser.get("/annotate").text)
    csrf_token = csrf.group(1) if csrf else ""
    replies.append(browser.post("/annotate/next", headers={"X-CSRF-Token": csrf_token + "0"}))
    replies.append(browser.post("/login", data={"email": "new@example.org", "password": WRONG_PASSWORD,
                                                "login_csrf": "forged"}))
    replies.append(app_client.get("/api/v1/nowhere", headers={"Authorization": f"Bearer {accounts['admin'].token}"}))
    login_limiter.reset("new@example.org", "testclient")

    secrets = [NEW_PASSWORD, WRONG_PASSWORD, "short77", new_token, accounts["admin"].token, cookie or "", csrf_token,
               get_settings().secret_key, API_KEY, PASSWORD]
    assert cookie and csrf_token and all(secrets)
    assert not _secrets_exposed(caplog.text, secrets), "secret in a log line"
    for reply in replies:
        assert not _secrets_exposed(reply.text, secrets), f"secret echoed by {reply.request.url}: {reply.text[:200]}"
    assert not _secrets_exposed(repr(get_settings()), [get_settings().secret_key, API_KEY])
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    get_settings.cache_clear()


def test_api_tokens_are_stored_hashed_and_shown_once(
    client_for: Callable[[str], TestClient], accounts: dict[str, Account], session: Session,
) -> None:
    admin = client_for("admin")
    user_id = accounts["engineer"].user.id
    made = admin.post(f"/api/v1/users/{user_id}/tokens", json={"name": "training box"})
    assert made.status_code == 201
    token = made.json()["token"]
    stored = session.scalars(select(ApiToken).where(ApiToken.id == made.json()["id"])).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps([stored.token_hash, stored.prefix, stored.name]) and token.startswith(stored.prefix)
    listed = admin.get(f"/api/v1/users/{user_id}/tokens")
    assert token not in listed.text and all("token" not in row for row in listed.json())
    assert stored.token_hash not in listed.text  # not even the hash leaves the server
    assert client_for("engineer").get("/api/v1/me").status_code == 200


def test_passwords_are_stored_as_argon2id(
    client_for: Callable[[str], TestClient], page_client, session: Session,
) -> None:
    from argon2 import PasswordHasher

    client_for("admin").post("/api/v1/users", json={"email": "api@example.org", "role": "reviewer",
                                                    "password": NEW_PASSWORD})
    page_client("admin").post("/admin/users", {"email": "page@example.org", "role": "engineer",
                                               "password": NEW_PASSWORD})
    for email in ("api@example.org", "page@example.org"):
        user = session.scalars(select(User).where(User.email == email)).one()
        assert user.password_hash.startswith("$argon2id$") and NEW_PASSWORD not in user.password_hash
        assert PasswordHasher().verify(user.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize("secure", [False, True])
def test_cookies_from_a_real_login_carry_their_flags(db_url: str, accounts: dict[str, Account], secure: bool,
                                                      labels_calls: list[int]) -> None:
    from app.main import create_app
    from tests.conftest import reset_app_state

    reset_app_state(db_url, SECURE_COOKIES=str(secure).lower())
    try:
        client = TestClient(create_app(), base_url="https://testserver" if secure else "http://testserver")
        form = client.get("/login")
        login_cookie = form.headers["set-cookie"]
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        reply = client.post("/login", data={"email": accounts["reviewer"].email, "password": PASSWORD,
                                            "login_csrf": token}, follow_redirects=False)
        assert reply.status_code == 303
        session_cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("redline_session="))
        for header, same_site in ((session_cookie, "lax"), (login_cookie, "strict")):
            assert "HttpOnly" in header and f"SameSite={same_site}" in header, header
            assert ("Secure" in header) is secure, header
        assert ("strict-transport-security" in reply.headers) is secure
    finally:
        import os

        os.environ.pop("SECURE_COOKIES", None)
        reset_app_state(db_url)


def test_every_kind_of_reply_carries_the_security_headers(
    app_client: TestClient, client_for: Callable[[str], TestClient], page_client,
) -> None:
    admin = client_for("admin")
    replies = {
        "page": page_client("admin").get("/dashboard"), "login page": app_client.get("/login"),
        "redirect": app_client.get("/annotate", follow_redirects=False), "API": admin.get("/api/v1/me"),
        "401": app_client.get("/api/v1/me"), "403 page": page_client("annotator").get("/dashboard"),
        "404": admin.get("/api/v1/items/999999"), "405": admin.delete("/api/v1/me"),
        "422": admin.post("/api/v1/users", json={}), "static": app_client.get("/static/js/app.js"),
        "export": admin.get("/api/v1/exports"), "docs": app_client.get("/docs"),
    }
    for name, reply in replies.items():
        h = reply.headers
        assert h["x-content-type-options"] == "nosniff", name
        assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "same-origin", name
        csp = dict(part.strip().split(" ", 1) for part in h["content-security-policy"].split(";"))
        assert csp["frame-ancestors"] == "'none'", name
        if name != "docs":  # Swagger UI needs its inline starter script; it renders no user content
            assert csp["script-src"] == "'self'" and csp["object-src"] == "'none'", (name, csp)


def test_login_throttle_is_shared_by_the_form_and_the_token_endpoint(
    app_client: TestClient, accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import security
    from app.routes import auth as api_auth
    from app.web import auth as web_auth

    limiter = security.LoginRateLimiter(max_failures=3)
    monkeypatch.setattr(api_auth, "login_limiter", limiter)
    monkeypatch.setattr(web_auth, "login_limiter", limiter)
    email = accounts["engineer"].email
    for _ in range(3):
        assert app_client.post("/api/v1/auth/token", json={"email": email, "password": WRONG_PASSWORD}).status_code == 401
    client = TestClient(app_client.app)
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    form = client.post("/login", data={"email": email, "password": PASSWORD, "login_csrf": token})
    assert form.status_code == 429 and "redline_session" not in form.cookies  # even the right password waits
    other = app_client.post("/api/v1/auth/token", json={"email": accounts["admin"].email, "password": PASSWORD})
    assert other.status_code == 201  # another account is not locked out by this one's failures


def test_exports_hold_no_credentials(
    client_for: Callable[[str], TestClient], accounts: dict[str, Account], session: Session, make_dataset,
    tmp_path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.config import get_settings

    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    dataset = make_dataset(2)
    annotator = client_for("annotator")
    item = annotator.get(f"/api/v1/queue/next?dataset_id={dataset.id}").json()["item"]
    annotator.put(f"/api/v1/items/{item['id']}/edit", json={
        "edited_text": item["rejected"].replace("an hour", "nine minutes"), "status": "submitted", "version": 0})
    engineer = client_for("engineer")
    secrets = [a.token for a in accounts.values()] + [a.user.password_hash for a in accounts.values()]
    secrets += [t.token_hash for t in session.scalars(select(ApiToken))] + [PASSWORD, get_settings().secret_key]
    for view in ("preference", "original-pairs"):
        for fmt in ("jsonl", "parquet"):
            reply = engineer.get(f"/api/v1/datasets/{dataset.id}/export?view={view}&format={fmt}")
            assert reply.status_code == 200
            card = engineer.get(f"/api/v1/exports/{reply.headers['x-redline-export-id']}").text
            blob = reply.content.decode("latin-1") + card
            assert not _secrets_exposed(blob, secrets), (view, fmt)
    monkeypatch.delenv("ARTIFACT_DIR")
    get_settings.cache_clear()
