"""Datasets of preference pairs and their items (immutable once imported)."""

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped


class Dataset(Timestamped, Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    guidelines: Mapped[str] = mapped_column(Text, default="", doc="Markdown shown beside the editor.")
    tokenizer: Mapped[str] = mapped_column(String(500), default="smollm2-135m-instruct")
    # Minimality thresholds on changed words: warn above soft, refuse above hard unless a rewrite is declared.
    soft_max_changed_words: Mapped[int] = mapped_column(default=30)
    hard_max_changed_words: Mapped[int] = mapped_column(default=80)
    soft_max_edit_ratio: Mapped[float] = mapped_column(default=0.3)
    hard_max_edit_ratio: Mapped[float] = mapped_column(default=0.6)
    annotations_per_item: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list["Item"]] = relationship(back_populates="dataset", cascade="all, delete-orphan")


class Item(Timestamped, Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("dataset_id", "external_id", name="uq_items_dataset_external"),
        UniqueConstraint("dataset_id", "content_hash", name="uq_items_dataset_content"),
        Index("ix_items_dataset_state", "dataset_id", "state"),
        # The queue's scan: a dataset's open items in id order, without stepping over the finished ones.
        Index("ix_items_open_queue", "dataset_id", "id", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(300))
    prompt: Mapped[str] = mapped_column(Text)
    chosen: Mapped[str] = mapped_column(Text)
    rejected: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # SHA-256 of prompt + rejected: the same pair imported twice is skipped.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Workflow state: open -> submitted -> accepted (or back to open on rejection); flagged/skipped aside.
    state: Mapped[str] = mapped_column(String(16), default="open")
    flag: Mapped[str | None] = mapped_column(String(32), default=None)

    dataset: Mapped[Dataset] = relationship(back_populates="items")
