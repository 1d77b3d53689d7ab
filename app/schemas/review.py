"""Reviewer actions and the review queue."""

from pydantic import BaseModel, Field

from app.schemas.items import EditPublic, ItemPublic


class ReviewEntry(BaseModel):
    edit: EditPublic
    item: ItemPublic
    author_email: str | None


class ReviewQueue(BaseModel):
    total: int
    entries: list[ReviewEntry]


class AcceptRequest(BaseModel):
    note: str | None = Field(default=None, max_length=4000)


class RejectRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class ModifyRequest(BaseModel):
    edited_text: str
    reason: str | None = Field(default=None, max_length=4000)
    needs_rewrite: bool | None = Field(default=None, description="Default: set when over the hard threshold.")


class ItemHistory(BaseModel):
    item: ItemPublic
    edits: list[EditPublic]
