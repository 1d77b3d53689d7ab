"""Page tests: the app fixtures, plus browser-like clients that log in with a session cookie."""

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.fixtures_app import *  # noqa: F401,F403
from tests.fixtures_app import PASSWORD, Account

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


class PageClient:
    """A TestClient with a logged-in session cookie and the page's CSRF token."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def get(self, path: str, htmx: bool = False) -> httpx.Response:
        return self.client.get(path, headers={"HX-Request": "true"} if htmx else {})

    def post(self, path: str, data: dict[str, Any] | None = None, htmx: bool = False,
             files: dict[str, Any] | None = None) -> httpx.Response:
        """A form post carrying the CSRF token (in the header as htmx sends it, or as a form field)."""
        headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf} if htmx else {}
        body = dict(data or {})
        if not htmx:
            body.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=body, files=files, headers=headers, follow_redirects=False)


def log_in(app_client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app_client.app)
    page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token is not None
    reply = client.post("/login", data={"email": email, "password": password, "login_csrf": token.group(1)},
                        follow_redirects=False)
    assert reply.status_code == 303, reply.text
    return client


@pytest.fixture
def page_client(app_client: TestClient, accounts: dict[str, Account]) -> Callable[[str], PageClient]:
    """page_client("annotator"): that account logged in through the login form, with its CSRF token."""

    def make(name: str) -> PageClient:
        client = log_in(app_client, accounts[name].email)
        home = client.get("/")
        match = CSRF_FIELD.search(home.text)
        assert match is not None, "no CSRF token on the start page"
        return PageClient(client, match.group(1))

    return make
