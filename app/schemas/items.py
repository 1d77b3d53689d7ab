"""Items, leases, edits and the requests that change them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models import EditStatus


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    external_id: str
    prompt: str
    chosen: str
    rejected: str
    meta: dict[str, Any]
    state: str
    flag: str | None


class LeasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    item_id: int
    user_id: int
    expires_at: datetime


class EditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    author_id: int | None
    model_name: str | None
    batch_id: int | None
    parent_id: int | None
    edited_text: str
    status: EditStatus
    outcome: str
    needs_rewrite: bool
    flags: list[Any]
    hunks: list[Any] = Field(description="[orig_start, orig_end, edit_start, edit_end] character offsets")
    stats: dict[str, Any] = Field(description="alignment stats and the minimality verdict, computed by the server")
    version: int
    time_spent_s: float
    prompt_version: str | None
    rationale: str | None
    reviewer_id: int | None
    review_reason: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeasedItem(BaseModel):
    """The item leased to the caller, its lease, and the caller's draft of it if there is one."""

    item: ItemPublic
    lease: LeasePublic
    draft: EditPublic | None


class EditSave(BaseModel):
    edited_text: str = Field(description="The whole edited response (the server computes the diff).")
    status: Literal["draft", "submitted"] = "draft"
    version: int = Field(ge=0, le=2**31 - 1, description="Version of the draft the client last saw; 0 before the first save.")
    time_spent_s: float = Field(default=0.0, ge=0.0, le=86_400.0,
                                description="Seconds of work since this client's previous successful save.")
    outcome: Literal["edited", "no_edit_needed"] = "edited"
    needs_rewrite: bool = Field(default=False, description="Declared rewrite: lets a submit pass the hard threshold.")


class SkipRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class FlagRequest(BaseModel):
    kind: Literal["unsafe", "unclear", "broken"]
    note: str = Field(default="", max_length=2000)
