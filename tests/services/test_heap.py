"""A server process warms up and freezes its heap at start-up (app/heap.py), and only when asked to."""

import gc

import pytest
from fastapi.testclient import TestClient

from app import heap


@pytest.fixture
def restored_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def _start_app(monkeypatch: pytest.MonkeyPatch, warm_up: str) -> None:
    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("WARM_UP", warm_up)
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:  # the context runs the lifespan
            assert client.get("/healthz").status_code == 200
    finally:
        get_settings.cache_clear()


def test_start_up_loads_the_grading_tokenizer_and_freezes_the_warmed_up_heap(
    monkeypatch: pytest.MonkeyPatch, restored_gc: None
) -> None:
    from app.services import diffing

    graded: list[str | None] = []
    real = diffing.edit_figures
    monkeypatch.setattr(diffing, "edit_figures", lambda a, b, tokenizer=None: graded.append(tokenizer) or real(a, b))
    gc.unfreeze()
    _start_app(monkeypatch, "1")
    assert graded == [None]  # one edit graded with the bundled tokenizer before any request
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD


def test_without_warm_up_the_collector_is_left_alone(monkeypatch: pytest.MonkeyPatch, restored_gc: None) -> None:
    gc.unfreeze()
    _start_app(monkeypatch, "0")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold()[0] != heap.YOUNG_THRESHOLD


def test_a_warm_up_that_fails_is_logged_and_the_server_starts_anyway(
    monkeypatch: pytest.MonkeyPatch, restored_gc: None, caplog: pytest.LogCaptureFixture
) -> None:
    from app.services import diffing
    from app.services.errors import InvalidInput

    def broken(*args, **kwargs):
        raise InvalidInput("cannot load tokenizer None: the bundled model is missing", field="tokenizer")

    monkeypatch.setattr(diffing, "edit_figures", broken)
    _start_app(monkeypatch, "1")  # answers /healthz
    assert "bundled model is missing" in caplog.text
    assert gc.get_freeze_count() > 0
