"""Authentication: API tokens, session cookies with CSRF, login throttling, security headers."""

import os
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken, User
from tests.fixtures_app import PASSWORD, Account

Clients = Callable[[str], TestClient]


def cookie_client(app_client: TestClient, user: User) -> tuple[TestClient, str]:
    """A client logged in by session cookie, and the CSRF token of that session."""
    from app.config import get_settings
    from app.security import SESSION_COOKIE, csrf_token_for, encode_session, new_browser_session

    settings = get_settings()
    browser_session = new_browser_session(user.id, user.password_hash)
    client = TestClient(app_client.app)
    client.cookies.set(SESSION_COOKIE, encode_session(settings, browser_session))
    return client, csrf_token_for(settings, browser_session)


def test_bearer_tokens(app_client: TestClient, accounts: dict[str, Account], session: Session) -> None:
    me = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {accounts['engineer'].token}"})
    assert me.status_code == 200 and me.json()["role"] == "engineer"
    for header in ("Bearer nope", "Bearer ", "Basic abc", f"Token {accounts['engineer'].token}"):
        response = app_client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"
    stored = session.scalars(select(ApiToken).where(ApiToken.user_id == accounts["engineer"].user.id)).one()
    assert accounts["engineer"].token not in (stored.token_hash, stored.prefix)
    assert accounts["engineer"].token.startswith(stored.prefix) and len(stored.token_hash) == 64


def test_revoked_tokens_and_deactivated_users_are_refused(client_for: Clients, accounts: dict[str, Account],
                                                          session: Session) -> None:
    admin, engineer = client_for("admin"), client_for("engineer")
    assert engineer.get("/api/v1/me").status_code == 200
    token_id = admin.get(f"/api/v1/users/{accounts['engineer'].user.id}/tokens").json()[0]["id"]
    assert admin.delete(f"/api/v1/tokens/{token_id}").json()["revoked"] is True
    assert engineer.get("/api/v1/me").status_code == 401
    reviewer = client_for("reviewer")
    assert reviewer.get("/api/v1/me").status_code == 200  # its owner is cached now
    admin.patch(f"/api/v1/users/{accounts['reviewer'].user.id}", json={"is_active": False})
    assert reviewer.get("/api/v1/me").status_code == 401


def test_a_role_change_applies_to_the_next_request(client_for: Clients, accounts: dict[str, Account]) -> None:
    admin, annotator = client_for("admin"), client_for("annotator")
    assert annotator.get("/api/v1/me").json()["role"] == "annotator"
    admin.patch(f"/api/v1/users/{accounts['annotator'].user.id}", json={"role": "reviewer"})
    assert annotator.get("/api/v1/me").json()["role"] == "reviewer"


def test_cookie_sessions_need_csrf_for_changes(app_client: TestClient, accounts: dict[str, Account],
                                               make_dataset) -> None:
    make_dataset(1)
    client, csrf = cookie_client(app_client, accounts["annotator"].user)
    assert client.get("/api/v1/me").json()["email"] == "annotator@example.org"
    item_id = client.get("/api/v1/queue/next").json()["item"]["id"]  # a GET needs no token
    body = {"edited_text": "draft", "status": "draft", "version": 0}
    missing = client.put(f"/api/v1/items/{item_id}/edit", json=body)
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = client.put(f"/api/v1/items/{item_id}/edit", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    ok = client.put(f"/api/v1/items/{item_id}/edit", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    # A plain form carries the token as a field.
    form = client.post(f"/api/v1/items/{item_id}/skip", data={"csrf_token": "bad"})
    assert form.status_code == 403
    # Another session's token does not fit this one.
    _, other_csrf = cookie_client(app_client, accounts["annotator"].user)
    assert client.delete(f"/api/v1/items/{item_id}/lease", headers={"X-CSRF-Token": other_csrf}).status_code == 403
    assert client.delete(f"/api/v1/items/{item_id}/lease", headers={"X-CSRF-Token": csrf}).status_code == 204


def test_csrf_form_field_is_read(app_client: TestClient, accounts: dict[str, Account]) -> None:
    """The form field works where a route takes form data (the dataset upload)."""
    client, csrf = cookie_client(app_client, accounts["admin"].user)
    files = {"file": ("pairs.jsonl", b'{"prompt": "p", "chosen": "c", "rejected": "r"}\n')}
    refused = client.post("/api/v1/datasets", data={"name": "csrf", "csrf_token": "bad"}, files=files)
    assert refused.status_code == 403
    accepted = client.post("/api/v1/datasets", data={"name": "csrf", "csrf_token": csrf}, files=files)
    assert accepted.status_code == 201, accepted.text


def test_bad_or_stale_cookies_are_anonymous(app_client: TestClient, accounts: dict[str, Account],
                                            session: Session) -> None:
    from app.security import SESSION_COOKIE
    from app.services.users import set_password

    client, _ = cookie_client(app_client, accounts["reviewer"].user)
    assert client.get("/api/v1/me").status_code == 200
    user = session.get(User, accounts["reviewer"].user.id)
    set_password(session, user, "a brand new password")
    session.commit()
    assert client.get("/api/v1/me").status_code == 401  # a password change ends older sessions
    forged = TestClient(app_client.app, cookies={SESSION_COOKIE: "eyJ1IjoxfQ.forged.sig"})
    assert forged.get("/api/v1/me").status_code == 401


def test_login_token_endpoint_and_throttle(app_client: TestClient, accounts: dict[str, Account]) -> None:
    from app.security import login_limiter

    login_limiter.reset("engineer@example.org", "testclient")
    ok = app_client.post("/api/v1/auth/token", json={"email": "Engineer@Example.org", "password": PASSWORD})
    assert ok.status_code == 201
    token = ok.json()["token"]
    assert app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "engineer"
    try:
        for _ in range(login_limiter.max_failures):
            bad = app_client.post("/api/v1/auth/token", json={"email": "engineer@example.org", "password": "wrong!!"})
            assert bad.status_code == 401
        blocked = app_client.post("/api/v1/auth/token", json={"email": "engineer@example.org", "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    finally:
        login_limiter.reset("engineer@example.org", "testclient")
    missing = app_client.post("/api/v1/auth/token", json={"email": "engineer@example.org"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "password"


def test_security_headers(app_client: TestClient) -> None:
    response = app_client.get("/healthz")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert app_client.get("/api/v1/me").headers["x-frame-options"] == "DENY"  # errors too


def test_session_cookie_flags(db_url: str) -> None:
    from fastapi import Response

    from app.config import get_settings
    from app.security import new_browser_session, set_session_cookie
    from tests.conftest import reset_app_state

    for secure in (False, True):
        reset_app_state(db_url, SECURE_COOKIES=str(secure).lower())
        response = Response()
        set_session_cookie(response, get_settings(), new_browser_session(1, "hash"))
        header = response.headers["set-cookie"]
        assert "HttpOnly" in header and "SameSite=lax" in header
        assert ("Secure" in header) is secure
    os.environ.pop("SECURE_COOKIES")
    reset_app_state(db_url)


@pytest.mark.parametrize("password,ok", [(PASSWORD, True), ("wrong", False)])
def test_argon2_hashes(password: str, ok: bool) -> None:
    from app.security import hash_password, verify_password

    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, password) is ok
    assert verify_password(None, password) is False
