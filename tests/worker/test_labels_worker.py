"""A submit through the API reaches a real worker process over Redis, which stores the token labels."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import REDIS_TEST_URL, reset_app_state
from tests.fixtures_app import create_dataset, make_account

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

REDIS_DB = 12  # this module's own Redis database


@pytest.fixture
def worker_env(pg_only_url: str) -> Iterator[dict[str, str]]:
    redis_url = REDIS_TEST_URL.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    values = {"DATABASE_URL": pg_only_url, "REDIS_URL": redis_url, "HF_HUB_OFFLINE": "1"}
    saved = {k: os.environ.get(k) for k in values}
    reset_app_state(pg_only_url, **values)
    yield values
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_app_state(os.environ["DATABASE_URL"])


def test_submit_queues_labels_that_a_worker_stores(
    worker_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.config import get_settings
    from app.db import get_sessionmaker
    from app.main import create_app
    from app.models import Role, TokenLabels
    from app.services import edits
    from worker.celery_app import make_celery

    queue = f"labels-test-{uuid.uuid4().hex[:8]}"  # no other worker on this Redis takes our task
    sender = make_celery(get_settings())  # a fresh app: the module-level one bound its broker at import
    monkeypatch.setattr(edits, "enqueue_labels",
                        lambda edit_id: sender.send_task(edits.LABELS_TASK, args=[edit_id], queue=queue))
    with get_sessionmaker()() as session:
        token = make_account(session, "worker@example.org", Role.annotator).token
        create_dataset(session, "labels-e2e", 1)
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker", "-Q", queue,
         "-P", "solo", "--loglevel", "INFO", "-n", f"{queue}@%h"],
        env={**os.environ, **worker_env}, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        with TestClient(create_app(), headers={"Authorization": f"Bearer {token}"}) as client:
            item = client.get("/api/v1/queue/next").json()["item"]
            edited = item["rejected"].replace("cold", "hot")
            saved = client.put(f"/api/v1/items/{item['id']}/edit",
                               json={"edited_text": edited, "status": "submitted", "version": 0})
            assert saved.status_code == 200, saved.text
        edit_id = saved.json()["id"]
        deadline = time.monotonic() + 90
        row = None
        while row is None and time.monotonic() < deadline and proc.poll() is None:
            with get_sessionmaker()() as session:
                row = session.scalars(select(TokenLabels).where(TokenLabels.edit_id == edit_id)).first()
            time.sleep(0.3)
        assert row is not None, (tmp_path / "worker.log").read_text()[-3000:]
        assert -1 in row.original_labels and 1 in row.edited_labels
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
