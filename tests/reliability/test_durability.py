"""Backup and restore: a database dumped with pg_dump and restored with pg_restore into another database
exports exactly the same content (same content hash for every view and format), as the README's backup
instructions promise."""

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from benchmarks.faults.pg_cluster import pg_bin
from benchmarks.load.redline_site import sqlalchemy_url
from tests.conftest import PG_ADMIN_DSN, reset_app_state

VIEWS = [("token-labels", "jsonl"), ("token-labels", "parquet"), ("preference", "jsonl"),
         ("original-pairs", "parquet")]


def _libpq_url(dsn: str, dbname: str) -> str:
    return dsn.rsplit("/", 1)[0] + f"/{dbname}"


@pytest.fixture
def db_url(pg_only_url: str) -> str:
    """pg_dump and pg_restore are PostgreSQL's: this module runs on PostgreSQL alone."""
    return pg_only_url


@pytest.fixture
def restore_target() -> Iterator[str]:
    """The name of an empty database to restore into, dropped afterwards."""
    name = f"redline_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _work(client_for: Callable[[str], TestClient], dataset_id: int) -> None:
    """A day's work through the API: submits, a no-edit, drafts, an accept, a reject and a modify."""
    annotator, second, reviewer = client_for("annotator"), client_for("annotator2"), client_for("reviewer")
    submitted = []
    for client in (annotator, second, annotator, second, annotator):
        leased = client.get(f"/api/v1/queue/next?dataset_id={dataset_id}").json()
        item = leased["item"]
        draft = client.put(f"/api/v1/items/{item['id']}/edit", json={
            "edited_text": item["rejected"] + " Then stop.", "status": "draft", "version": 0}).json()
        done = client.put(f"/api/v1/items/{item['id']}/edit", json={
            "edited_text": item["rejected"].replace("an hour", "nine minutes"), "status": "submitted",
            "version": draft["version"], "time_spent_s": 12.5})
        assert done.status_code == 200, done.text
        submitted.append(done.json()["id"])
    item = annotator.get(f"/api/v1/queue/next?dataset_id={dataset_id}").json()["item"]
    assert annotator.put(f"/api/v1/items/{item['id']}/edit", json={
        "edited_text": item["rejected"], "status": "submitted", "version": 0, "outcome": "no_edit_needed"}
    ).status_code == 200
    item = second.get(f"/api/v1/queue/next?dataset_id={dataset_id}").json()["item"]
    second.put(f"/api/v1/items/{item['id']}/edit", json={"edited_text": "unfinished", "status": "draft", "version": 0})
    assert reviewer.post(f"/api/v1/edits/{submitted[0]}/accept", json={"note": "good"}).status_code == 200
    assert reviewer.post(f"/api/v1/edits/{submitted[1]}/reject", json={"reason": "too much"}).status_code == 200
    assert reviewer.post(f"/api/v1/edits/{submitted[2]}/modify", json={
        "edited_text": "Put the egg in boiling water for nine minutes, unicode: 卵 ✓ \u00e9", "reason": "shorter"}
    ).status_code == 200


def _exports(dataset_id: int) -> dict[tuple[str, str], tuple[str, int]]:
    from app.config import get_settings
    from app.services.exports import create_export

    out = {}
    for view, fmt in VIEWS:
        files = create_export(get_settings(), dataset_id, view=view, fmt=fmt)
        out[(view, fmt)] = (files.export.content_hash, files.export.row_count)
    return out


def test_a_restored_database_exports_the_same_content_hash(
    db_url: str, client_for: Callable[[str], TestClient], make_dataset, restore_target: str,
    tmp_path: Path, artifact_dir: Path, labels_calls: list[int],
) -> None:
    from app.db import get_sessionmaker
    from app.services.labels import compute_labels
    from training.tiny import tiny_model_dir

    dataset = make_dataset(8, tokenizer=str(tiny_model_dir(tmp_path / "models")))
    _work(client_for, dataset.id)
    with get_sessionmaker()() as session:
        for edit_id in labels_calls:  # what the worker does after each submit
            compute_labels(session, edit_id)
    before = _exports(dataset.id)
    assert before[("token-labels", "jsonl")][1] >= 5  # the work is there to be exported

    dump = tmp_path / "redline.dump"
    source = _libpq_url(PG_ADMIN_DSN, db_url.rsplit("/", 1)[1])
    subprocess.run([pg_bin("pg_dump"), "--format=custom", "--no-owner", "--file", str(dump), source], check=True)
    subprocess.run([pg_bin("pg_restore"), "--no-owner", "--exit-on-error", "--dbname",
                    _libpq_url(PG_ADMIN_DSN, restore_target), str(dump)], check=True)

    reset_app_state(sqlalchemy_url(PG_ADMIN_DSN, restore_target))
    try:
        after = _exports(dataset.id)
    finally:
        from app.db import get_engine

        get_engine().dispose()
        reset_app_state(db_url)
    assert after == before
    assert list(artifact_dir.glob("exports/*/data.*")), "the exports were written where the test looks"
