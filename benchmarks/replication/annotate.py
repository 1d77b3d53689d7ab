"""The annotation step of the replication: pairs and oracle edits through the server's own library code.

`annotate_pairs` imports the pairs into a fresh embedded database (app.services.imports.import_file),
stores each oracle edit the way a Claude auto-edit is stored (app.services.edits.save_model_edit, then
the token labels the worker would compute, app.services.labels.compute_labels), and exports the
token-labels view (app.services.exports.create_export). The reward models then train on that export, so
the benchmark exercises the same import -> edit -> export path as a real annotation project.

The database and export live in `work_dir`; the process environment is pointed at them only for the
duration of the call and restored afterwards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EDITOR_NAME = "oracle-editor"
DATASET_NAME = "replication"


@contextmanager
def server_settings(work_dir: Path) -> Iterator[None]:
    """Point the server's settings at an embedded database and artifact folder inside work_dir."""
    from app import config, db

    work_dir.mkdir(parents=True, exist_ok=True)
    wanted = {"DATABASE_URL": f"sqlite:///{(work_dir / 'redline.db').resolve()}",
              "ARTIFACT_DIR": str((work_dir / "artifacts").resolve())}
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    _clear_caches(config, db)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _clear_caches(config, db)


def _clear_caches(config: Any, db: Any) -> None:
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()


def annotate_pairs(pairs: list[dict], edits: list[str], work_dir: Path, tokenizer: str,
                   editor_name: str = EDITOR_NAME) -> Path:
    """Import `pairs`, save `edits[i]` as the model edit of pair i, export token labels; the export path.

    `tokenizer` is the tokenizer spec of the export (the reward models' and policy's tokenizer: the
    bundled name, or a model directory). work_dir must not hold an earlier database.
    """
    if len(pairs) != len(edits):
        raise ValueError(f"{len(pairs)} pairs but {len(edits)} edits; give one edit per pair")
    if (work_dir / "redline.db").exists():
        raise ValueError(f"{work_dir} already holds a database; give an empty work folder")
    source = work_dir / "pairs.jsonl"
    work_dir.mkdir(parents=True, exist_ok=True)
    with source.open("w", encoding="utf-8") as fh:
        for pair in pairs:
            row = {"id": pair["id"], "prompt": pair["prompt"], "chosen": pair["chosen"], "rejected": pair["rejected"]}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with server_settings(work_dir):
        from app.config import get_settings
        from app.db import get_sessionmaker
        from app.migrate import upgrade
        from app.models import Item
        from app.services import datasets, labels
        from app.services import edits as edit_service
        from app.services.exports import create_export
        from app.services.imports import import_file

        upgrade()
        with get_sessionmaker()() as session:
            report = import_file(session, source, DATASET_NAME, fmt=None)
            dataset = datasets.get_dataset(session, report.dataset_id)
            datasets.update_settings(session, dataset, {"tokenizer": tokenizer}, actor=None)
            session.commit()
            items = {item.external_id: item.id for item in session.query(Item).filter_by(dataset_id=dataset.id)}
            submitted: list[int] = []
            with _labels_inline(edit_service, submitted.append):
                for pair, edited in zip(pairs, edits, strict=True):
                    edit_service.save_model_edit(session, items[pair["id"]], edited, model_name=editor_name,
                                                 submit=True, accept=False)
            for edit_id in submitted:  # what the labels task does after each submit
                labels.compute_labels(session, edit_id)
        files = create_export(get_settings(), DATASET_NAME, view="token-labels", fmt="jsonl", tokenizer=tokenizer)
        return files.data_path


@contextmanager
def _labels_inline(edit_service: Any, record: Callable[[int], None]) -> Iterator[None]:
    """Collect the edits whose labels would be queued, instead of sending tasks to a broker."""
    original = edit_service.enqueue_labels
    edit_service.enqueue_labels = record
    try:
        yield
    finally:
        edit_service.enqueue_labels = original
