"""Exports over the API and the CLI: annotate through the API, export, read the snapshot back."""

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from app.config import get_settings


@pytest.fixture
def tiny_dataset(make_dataset, session, tmp_path_factory):
    from training.tiny import tiny_model_dir

    return make_dataset(3, tokenizer=str(tiny_model_dir(tmp_path_factory.getbasetemp() / "models")))


@pytest.fixture(autouse=True)
def artifact_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def annotate_all(client) -> list[str]:
    """Lease every item and submit a small edit of it through the API; returns the edited texts."""
    edited = []
    while (resp := client.get("/api/v1/queue/next")).status_code == 200:
        item = resp.json()["item"]
        text = item["rejected"].replace("cold water and wait for an hour", "boiling water for nine minutes")
        saved = client.put(f"/api/v1/items/{item['id']}/edit",
                           json={"edited_text": text, "status": "submitted", "version": 0})
        assert saved.status_code == 200, saved.text
        edited.append(text)
    return edited


def test_engineer_exports_what_annotators_submitted(client_for, tiny_dataset):
    edited = annotate_all(client_for("annotator"))
    assert len(edited) == 3
    resp = client_for("engineer").get(f"/api/v1/datasets/{tiny_dataset.id}/export")
    assert resp.status_code == 200, resp.text
    rows = [json.loads(line) for line in resp.text.splitlines()]
    assert sorted(r["edited"] for r in rows) == sorted(edited)
    assert all(r["author"] == "annotator@example.org" and r["author_kind"] == "human" for r in rows)
    for row in rows:
        assert len(row["original_labels"]) == len(row["original_input_ids"])
        assert -1 in row["original_labels"] and 1 in row["edited_labels"]
    export_id, digest = resp.headers["X-Redline-Export-Id"], resp.headers["X-Redline-Content-Hash"]

    meta = client_for("engineer").get(f"/api/v1/exports/{export_id}").json()
    assert meta["content_hash"] == digest and meta["row_count"] == 3 and "## Label scheme" in meta["card"]
    again = client_for("engineer").get(f"/api/v1/exports/{export_id}/download")
    assert again.content == resp.content
    listed = client_for("admin").get("/api/v1/exports", params={"dataset_id": tiny_dataset.id}).json()
    assert [e["export_id"] for e in listed] == [export_id]


def test_parquet_preference_view(client_for, tiny_dataset, tmp_path):
    annotate_all(client_for("annotator"))
    resp = client_for("engineer").get(f"/api/v1/datasets/{tiny_dataset.id}/export",
                                      params={"format": "parquet", "view": "preference"})
    assert resp.status_code == 200
    (tmp_path / "p.parquet").write_bytes(resp.content)
    rows = pq.read_table(tmp_path / "p.parquet").to_pylist()
    assert len(rows) == 3 and all(r["chosen"] != r["rejected"] for r in rows)


def test_bad_export_requests(client_for, app_client, tiny_dataset):
    eng = client_for("engineer")
    assert eng.get("/api/v1/datasets/999999/export").status_code == 404
    bad_view = eng.get(f"/api/v1/datasets/{tiny_dataset.id}/export", params={"view": "everything"})
    assert bad_view.status_code == 422 and "unknown view 'everything'" in bad_view.json()["detail"]
    bad_format = eng.get(f"/api/v1/datasets/{tiny_dataset.id}/export", params={"format": "xlsx"})
    assert bad_format.status_code == 422 and "unknown format 'xlsx'" in bad_format.json()["detail"]
    assert eng.get("/api/v1/exports/nope").status_code == 404
    for role in ("annotator", "reviewer"):
        assert client_for(role).get(f"/api/v1/datasets/{tiny_dataset.id}/export").status_code == 403
    assert app_client.get(f"/api/v1/datasets/{tiny_dataset.id}/export").status_code == 401
    assert eng.get("/api/v1/exports").json() == []


def test_cli_export_to_file_and_stdout(client_for, tiny_dataset, tmp_path):
    from app.cli import commands  # noqa: F401
    from app.cli.groups import root

    annotate_all(client_for("annotator"))
    out = tmp_path / "out" / "edits.jsonl"
    result = CliRunner().invoke(root, ["export", tiny_dataset.name, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 3
    manifest = json.loads((tmp_path / "out" / "edits.jsonl.manifest.json").read_text())
    assert manifest["row_count"] == 3 and manifest["dataset"] == tiny_dataset.name
    assert "Label scheme" in (tmp_path / "out" / "edits.jsonl.README.md").read_text()

    stdout = CliRunner().invoke(root, ["export", str(tiny_dataset.id), "--view", "original-pairs"])
    assert stdout.exit_code == 0
    assert sum(1 for line in stdout.stdout.splitlines() if line.startswith("{")) == 3

    missing = CliRunner().invoke(root, ["export", "no-such-dataset"])
    assert missing.exit_code == 2 and "dataset 'no-such-dataset' not found" in missing.output
