"""Claude auto-edit batches: one row per batch, one row per selected item."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped


class AutoEditBatch(Timestamped, Base):
    __tablename__ = "autoedit_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    model: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16), default="messages", doc="messages | batches")
    prompt_version: Mapped[str] = mapped_column(String(50))
    max_cost_usd: Mapped[float | None] = mapped_column(default=None)
    concurrency: Mapped[int] = mapped_column(default=8)
    auto_accept: Mapped[bool] = mapped_column(default=False)
    # queued | running | succeeded | failed | cancelled | stopped (cost ceiling)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    remote_batch_id: Mapped[str | None] = mapped_column(String(200), default=None)
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class AutoEditTask(Timestamped, Base):
    __tablename__ = "autoedit_tasks"
    __table_args__ = (UniqueConstraint("batch_id", "item_id", name="uq_autoedit_tasks_batch_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("autoedit_batches.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # pending | running | done | failed | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    edit_id: Mapped[int | None] = mapped_column(ForeignKey("edits.id", ondelete="SET NULL"), default=None)
