"""The authorization matrix: every route of the app, called by every role, gets the status the table says.

The table (route_cases.CASES) must name every route that app.routes lists, so a new route without an
entry fails here until someone decides who may call it.
"""

from collections.abc import Callable

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.main import create_app
from tests.fixtures_app import Account
from tests.reliability.route_cases import CASES, Case
from tests.reliability.world import ROLES, World

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every route, HEAD left out (Starlette adds it to every GET); mounts count as GET."""
    found = set()
    for route in iter_route_contexts(create_app().routes):
        methods = getattr(route, "methods", None) or {"GET"}
        for method in methods - {"HEAD"}:
            found.add((method, route.path))
    return found


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def send(case: Case, world: World, role: str, app_client: TestClient, accounts: dict[str, Account],
         cookie_client_for: Callable[[str], tuple[TestClient, str]], csrf: bool = True) -> httpx.Response:
    """One request of `case` as `role`: bearer token for the API, session cookie (+ CSRF token) for pages."""
    spec = dict(case.build(world, role))
    url = spec.pop("url", case.path)
    cookies = spec.pop("cookies", {})
    headers: dict[str, str] = {}
    if role == "anonymous":
        client = TestClient(app_client.app)
    elif is_api(case.path):
        client = TestClient(app_client.app)
        headers["Authorization"] = f"Bearer {accounts[role].token}"
    else:
        client, token = cookie_client_for(role)
        if csrf:
            headers["X-CSRF-Token"] = token
    for name, value in cookies.items():
        client.cookies.set(name, value)
    return client.request(case.method, url, headers=headers, follow_redirects=False, **spec)


def test_every_route_has_exactly_one_case() -> None:
    listed = [(c.method, c.path) for c in CASES]
    assert len(listed) == len(set(listed)), "a route is listed twice"
    missing = app_routes() - set(listed)
    stale = set(listed) - app_routes()
    assert not missing, f"routes without an entry in tests/reliability/route_cases.py: {sorted(missing)}"
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_on_every_route(
    role: str, world: World, app_client: TestClient, accounts: dict[str, Account],
    cookie_client_for: Callable[[str], tuple[TestClient, str]],
) -> None:
    index = ROLES.index(role)
    wrong = []
    for case in CASES:
        response = send(case, world, role, app_client, accounts, cookie_client_for)
        expected = case.expect[index]
        if response.status_code != expected:
            wrong.append(f"{case.method} {case.path}: expected {expected}, got {response.status_code} "
                         f"{response.text[:150]!r}")
        if expected == 303 and role == "anonymous" and not is_api(case.path) and case.path not in ("/login", "/", "/logout"):
            assert response.headers["location"].startswith("/login"), case.path
    assert not wrong, "\n".join(wrong)


def test_cookie_sessions_cannot_change_anything_without_the_csrf_token(
    world: World, app_client: TestClient, accounts: dict[str, Account],
    cookie_client_for: Callable[[str], tuple[TestClient, str]],
) -> None:
    """Every state-changing route, called with an admin's session cookie (admins pass every role check)
    but no CSRF token, is refused with 403. The API accepts cookies too, so it is checked the same way."""
    changing = [c for c in CASES if c.method in STATE_CHANGING]
    assert len(changing) > 30  # the enumeration found the routes
    exempt = {("POST", "/login"), ("POST", "/api/v1/auth/token")}  # no session yet: see test_login_routes_*
    accepted = []
    for case in changing:
        if (case.method, case.path) in exempt:
            continue
        spec = dict(case.build(world, "admin"))
        client, _ = cookie_client_for("admin")
        response = client.request(case.method, spec.pop("url", case.path), follow_redirects=False, **spec)
        if response.status_code != 403:
            accepted.append(f"{case.method} {case.path}: {response.status_code}")
    assert not accepted, "state changed through a cookie session without a CSRF token:\n" + "\n".join(accepted)


def test_login_routes_without_a_session_are_csrf_safe(app_client: TestClient, accounts: dict[str, Account]) -> None:
    """The login form needs its own double-submit token; the token endpoint reads JSON only, which a
    cross-site form cannot send, and hands the token to the caller alone (no cookie is set)."""
    form = {"email": accounts["admin"].email, "password": "correct horse battery"}
    refused = app_client.post("/login", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "redline_session" not in refused.cookies
    as_form = app_client.post("/api/v1/auth/token", data=form)
    assert as_form.status_code == 422
    ok = app_client.post("/api/v1/auth/token", json=form)
    assert ok.status_code == 201 and not ok.cookies
