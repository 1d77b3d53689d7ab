"""Datasets: look up, list, and change the settings an admin owns (thresholds, guidelines, tokenizer)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Dataset, User
from app.services import audit
from app.services.errors import InvalidInput, NotFound

SETTINGS_FIELDS = (
    "description", "guidelines", "tokenizer", "soft_max_changed_words", "hard_max_changed_words",
    "soft_max_edit_ratio", "hard_max_edit_ratio", "annotations_per_item",
)


def get_dataset(session: Session, dataset_id: int) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"dataset {dataset_id} not found")
    return dataset


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).order_by(Dataset.id)))


def update_settings(session: Session, dataset: Dataset, changes: dict[str, Any], actor: User | None) -> Dataset:
    """Apply the given settings (no commit); InvalidInput when soft thresholds would exceed hard ones."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown dataset settings: {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    merged = {name: changes.get(name, getattr(dataset, name)) for name in SETTINGS_FIELDS}
    for soft, hard in (("soft_max_changed_words", "hard_max_changed_words"),
                       ("soft_max_edit_ratio", "hard_max_edit_ratio")):
        if merged[soft] > merged[hard]:
            raise InvalidInput(f"{soft} ({merged[soft]}) must not exceed {hard} ({merged[hard]})", field=soft)
    for name, value in changes.items():
        setattr(dataset, name, value)
    audit.record(session, actor, "dataset.settings", dataset,
                 {k: v for k, v in changes.items() if k not in ("guidelines", "description")})
    return dataset
