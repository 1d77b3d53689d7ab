"""Admin endpoints for users and tokens, and who may call them."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent
from tests.fixtures_app import Account

Clients = Callable[[str], TestClient]


def test_admin_creates_users_and_tokens(client_for: Clients, app_client: TestClient, session: Session) -> None:
    admin = client_for("admin")
    created = admin.post("/api/v1/users", json={"email": "New@Example.org", "role": "reviewer",
                                                "password": "long enough"})
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "new@example.org" and user["role"] == "reviewer" and "password" not in str(user)
    duplicate = admin.post("/api/v1/users", json={"email": "new@example.org", "role": "admin",
                                                  "password": "long enough"})
    assert duplicate.status_code == 409
    token = admin.post(f"/api/v1/users/{user['id']}/tokens", json={"name": "laptop"}).json()
    assert token["token"].startswith(token["prefix"])
    listed = admin.get(f"/api/v1/users/{user['id']}/tokens").json()
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    me = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert me.json()["email"] == "new@example.org"
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "user.create" in actions and "token.create" in actions
    assert not any(token["token"] in str(e.detail) for e in session.scalars(select(AuditEvent)))


def test_bad_user_input_names_the_field(client_for: Clients) -> None:
    admin = client_for("admin")
    cases = [
        ({"email": "a@b.c", "role": "boss", "password": "long enough"}, "role"),
        ({"email": "a@b.c", "role": "admin", "password": "short"}, "password"),
        ({"role": "admin", "password": "long enough"}, "email"),
    ]
    for body, field in cases:
        response = admin.post("/api/v1/users", json=body)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == field, response.text
    no_at = admin.post("/api/v1/users", json={"email": "not-an-email", "role": "admin", "password": "long enough"})
    assert no_at.status_code == 422 and no_at.json()["field"] == "email"
    assert admin.patch("/api/v1/users/999999", json={"role": "admin"}).status_code == 404
    assert admin.post("/api/v1/users/999999/tokens", json={}).status_code == 404
    assert admin.delete("/api/v1/tokens/999999").status_code == 404


def test_role_change_deactivation_and_the_last_admin(client_for: Clients, accounts: dict[str, Account]) -> None:
    admin = client_for("admin")
    annotator_id = accounts["annotator"].user.id
    assert admin.patch(f"/api/v1/users/{annotator_id}", json={"role": "reviewer"}).json()["role"] == "reviewer"
    assert client_for("annotator").get("/api/v1/review/queue").status_code == 200
    admin_id = accounts["admin"].user.id
    last = admin.patch(f"/api/v1/users/{admin_id}", json={"is_active": False})
    assert last.status_code == 409 and "last active admin" in last.json()["detail"]
    assert admin.patch(f"/api/v1/users/{annotator_id}", json={"role": "admin"}).status_code == 200
    assert admin.patch(f"/api/v1/users/{admin_id}", json={"is_active": False}).json()["is_active"] is False
    assert admin.get("/api/v1/users").status_code == 401


def test_only_admins_manage_users(client_for: Clients, app_client: TestClient, accounts: dict[str, Account]) -> None:
    target = accounts["engineer"].user.id
    calls = [
        ("get", "/api/v1/users", None),
        ("post", "/api/v1/users", {"email": "x@y.z", "role": "admin", "password": "long enough"}),
        ("get", f"/api/v1/users/{target}", None),
        ("patch", f"/api/v1/users/{target}", {"role": "admin"}),
        ("get", f"/api/v1/users/{target}/tokens", None),
        ("post", f"/api/v1/users/{target}/tokens", {}),
        ("delete", "/api/v1/tokens/1", None),
    ]
    for method, path, body in calls:
        assert app_client.request(method, path, json=body).status_code == 401, path
        for role in ("annotator", "reviewer", "engineer"):
            response = client_for(role).request(method, path, json=body)
            assert response.status_code == 403, (role, path)
