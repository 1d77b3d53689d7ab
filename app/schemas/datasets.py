"""Datasets, their settings and progress."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DatasetProgressPublic(BaseModel):
    items: int
    edited: int
    reviewed: int
    accepted: int
    flagged: int
    no_edit_needed: int


class DatasetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    guidelines: str
    tokenizer: str
    soft_max_changed_words: int
    hard_max_changed_words: int
    soft_max_edit_ratio: float
    hard_max_edit_ratio: float
    annotations_per_item: int
    created_at: datetime


class DatasetDetail(DatasetPublic):
    progress: DatasetProgressPublic


class DatasetUpdate(BaseModel):
    """Only the fields given are changed."""

    description: str | None = Field(default=None, max_length=20_000)
    guidelines: str | None = Field(default=None, max_length=200_000)
    tokenizer: str | None = Field(default=None, min_length=1, max_length=500)
    soft_max_changed_words: int | None = Field(default=None, ge=0, le=1_000_000)
    hard_max_changed_words: int | None = Field(default=None, ge=0, le=1_000_000)
    soft_max_edit_ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    hard_max_edit_ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    annotations_per_item: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def soft_not_above_hard(self) -> "DatasetUpdate":
        pairs = (("soft_max_changed_words", "hard_max_changed_words"), ("soft_max_edit_ratio", "hard_max_edit_ratio"))
        for soft, hard in pairs:
            s, h = getattr(self, soft), getattr(self, hard)
            if s is not None and h is not None and s > h:
                raise ValueError(f"{soft} ({s}) must not exceed {hard} ({h})")
        return self


class ImportOutcome(BaseModel):
    """What an import did; the fields come from the import service's report."""

    dataset: DatasetPublic
    report: dict[str, Any]
