"""Edits of an item's rejected response, their token labels, and the leases that hand items out."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Computed, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamped, utcnow
from app.models.datasets import Item


class EditStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
    superseded = "superseded"  # an earlier version replaced by a reviewer's modification


class Edit(Timestamped, Base):
    __tablename__ = "edits"
    __table_args__ = (
        Index("ix_edits_item_status", "item_id", "status"),
        # An annotator's own edits by item: leasing skips the items they already finished.
        Index("ix_edits_author_item", "author_id", "item_id"),
        # The review queue, oldest submission first.
        Index("ix_edits_review_queue", "submitted_at", "id", postgresql_where=text("status = 'submitted'"),
              sqlite_where=text("status = 'submitted'")),
        # One working draft per item and author (model drafts have none): first saves rely on it.
        Index("uq_edits_one_draft", "item_id", "author_id", unique=True, postgresql_where=text("status = 'draft'"),
              sqlite_where=text("status = 'draft'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    model_name: Mapped[str | None] = mapped_column(String(200), default=None, doc="Set when a model made it.")
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("autoedit_batches.id", ondelete="SET NULL"), index=True, default=None
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("edits.id", ondelete="SET NULL"), default=None)
    edited_text: Mapped[str] = mapped_column(Text)
    status: Mapped[EditStatus] = mapped_column(Enum(EditStatus, native_enum=False, length=16))
    # edited | no_edit_needed | rewrite (over the hard threshold, declared by the annotator)
    outcome: Mapped[str] = mapped_column(String(20), default="edited")
    needs_rewrite: Mapped[bool] = mapped_column(default=False)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    hunks: Mapped[list[Any]] = mapped_column(default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # stats["minimality"]["level"], kept by the database (migration 0003 has the SQLite form): the
    # dashboard counts it per annotator without decoding every edit's stats.
    minimality_level: Mapped[str | None] = mapped_column(
        String(8), Computed("(stats -> 'minimality' ->> 'level')", persisted=True))
    version: Mapped[int] = mapped_column(default=1)
    time_spent_s: Mapped[float] = mapped_column(default=0.0)
    prompt_version: Mapped[str | None] = mapped_column(String(50), default=None)
    rationale: Mapped[str | None] = mapped_column(Text, default=None)
    usage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    review_reason: Mapped[str | None] = mapped_column(Text, default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)

    item: Mapped[Item] = relationship()
    labels: Mapped[list["TokenLabels"]] = relationship(back_populates="edit", cascade="all, delete-orphan")


class TokenLabels(Base):
    __tablename__ = "token_labels"
    __table_args__ = (UniqueConstraint("edit_id", "tokenizer_hash", name="uq_token_labels_edit_tokenizer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edit_id: Mapped[int] = mapped_column(ForeignKey("edits.id", ondelete="CASCADE"), index=True)
    tokenizer_name: Mapped[str] = mapped_column(String(500))
    tokenizer_hash: Mapped[str] = mapped_column(String(64))
    original_ids: Mapped[list[Any]] = mapped_column()
    original_labels: Mapped[list[Any]] = mapped_column()
    original_offsets: Mapped[list[Any]] = mapped_column()
    edited_ids: Mapped[list[Any]] = mapped_column()
    edited_labels: Mapped[list[Any]] = mapped_column()
    edited_offsets: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    edit: Mapped[Edit] = relationship(back_populates="labels")


class Lease(Base):
    __tablename__ = "leases"
    __table_args__ = (UniqueConstraint("item_id", "user_id", name="uq_leases_item_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Skip(Base):
    """An item an annotator skipped, with the reason; it is not offered to them again."""

    __tablename__ = "skips"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
