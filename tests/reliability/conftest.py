"""Reliability tests: the app fixtures, a world to call every route in, and clients per role."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.fixtures_app import *  # noqa: F401,F403
from tests.fixtures_app import Account
from tests.reliability.world import World, build_world
from tests.web.conftest import page_client  # noqa: F401 (a fixture: browser-like clients per role)


@pytest.fixture
def artifact_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Exports and job files go to a temporary directory for the test."""
    from app.config import get_settings

    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    yield tmp_path / "artifacts"
    monkeypatch.delenv("ARTIFACT_DIR")
    get_settings.cache_clear()


@pytest.fixture
def queued_jobs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Ids of training jobs queued (the broker is not touched)."""
    from app.services import jobs

    queued: list[int] = []
    monkeypatch.setattr(jobs, "enqueue", lambda job: queued.append(job.id))
    return queued


@pytest.fixture
def sent_autoedit_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Auto-edit task messages sent (the broker is not touched)."""
    from app.services.autoedit import enqueue

    sent: list[tuple] = []
    monkeypatch.setattr(enqueue, "_send", sent.extend)
    return sent


@pytest.fixture
def world(session: Session, accounts: dict[str, Account], artifact_dir: Path, queued_jobs: list[int],
          sent_autoedit_tasks: list[tuple]) -> World:
    from app.config import get_settings

    return build_world(session, get_settings(), accounts)


@pytest.fixture
def cookie_client_for(app_client: TestClient, accounts: dict[str, Account]) -> Callable[[str], tuple[TestClient, str]]:
    """cookie_client_for("admin"): a client signed in by session cookie, and the CSRF token of that session."""
    from app.config import get_settings
    from app.security import SESSION_COOKIE, csrf_token_for, encode_session, new_browser_session

    def make(name: str) -> tuple[TestClient, str]:
        user = accounts[name].user
        browser_session = new_browser_session(user.id, user.password_hash)
        client = TestClient(app_client.app)
        client.cookies.set(SESSION_COOKIE, encode_session(get_settings(), browser_session))
        return client, csrf_token_for(get_settings(), browser_session)

    return make
