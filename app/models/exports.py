"""Export snapshots: what training jobs record as their data provenance."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.datasets import Dataset


class Export(Base):
    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, doc="UUID4 of the snapshot.")
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    view: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))
    tokenizer_name: Mapped[str | None] = mapped_column(String(500), default=None)
    tokenizer_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    row_count: Mapped[int] = mapped_column(default=0)
    path: Mapped[str | None] = mapped_column(String(1000), default=None, doc="Stored copy, when kept.")
    card: Mapped[str] = mapped_column(Text, default="", doc="The dataset card (README.md) of this snapshot.")
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship()
