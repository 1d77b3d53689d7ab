"""Claude auto-edit batches over the API: start, list, watch (done, failed, remaining, tokens, cost), cancel."""

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from app.deps import AdminUser, SessionDep, SettingsDep
from app.services.autoedit import batches
from app.services.autoedit.options import MODES, SELECTIONS, BatchRequest, BatchTiming
from app.services.autoedit.prompt import DEFAULT_PROMPT_VERSION

router = APIRouter(prefix="/api/v1/autoedit-batches", tags=["auto-edit batches"])


class BatchCreate(BaseModel):
    dataset: str | int = Field(description="Dataset name or id.")
    model: str | None = Field(None, description="Claude model; the AUTOEDIT_MODEL setting when left out.")
    prompt_version: str = Field(DEFAULT_PROMPT_VERSION, description="Template under app/services/autoedit/prompts/.")
    mode: str = Field("messages", description=f"One of: {', '.join(MODES)}.")
    selection: str = Field("unedited", description=f"One of: {', '.join(SELECTIONS)}.")
    item_ids: list[int] | None = Field(None, description="Only these items.")
    external_id_glob: str | None = Field(None, description="Only items whose external id matches (* and ?).")
    limit: int | None = Field(None, description="At most this many items.")
    max_cost_usd: float | None = Field(None, description="Cost ceiling; the batch stops before passing it.")
    concurrency: int = Field(8, description="Calls in flight at once, across every worker.")
    auto_accept: bool = Field(False, description="Accept drafts directly (never rewrites or no-change).")
    timing: dict[str, float] = Field(default_factory=dict, description="Timing knobs over the defaults.")

    def to_request(self) -> BatchRequest:
        return BatchRequest(
            dataset=self.dataset, model=self.model, prompt_version=self.prompt_version, mode=self.mode,
            selection=self.selection, item_ids=self.item_ids, external_id_glob=self.external_id_glob,
            limit=self.limit, max_cost_usd=self.max_cost_usd, concurrency=self.concurrency,
            auto_accept=self.auto_accept, timing=BatchTiming.from_values(self.timing),
        )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_batch(body: BatchCreate, session: SessionDep, settings: SettingsDep, user: AdminUser) -> dict[str, Any]:
    """Select the items, store the batch and queue it; 422 names the offending field."""
    batch = batches.create_batch(session, settings, body.to_request(), user)
    return batches.batch_progress(session, batch.id)


@router.get("")
def list_batches(session: SessionDep, user: AdminUser, dataset_id: int | None = None) -> list[dict[str, Any]]:
    return [batches.batch_progress(session, b.id) for b in batches.list_batches(session, dataset_id)]


@router.get("/{batch_id}")
def get_batch(batch_id: int, session: SessionDep, user: AdminUser) -> dict[str, Any]:
    return batches.batch_progress(session, batch_id)


@router.post("/{batch_id}/cancel")
def cancel_batch(batch_id: int, session: SessionDep, settings: SettingsDep, user: AdminUser) -> dict[str, Any]:
    """Stop the rest of the batch; what is done stays (409 when it already ended)."""
    batches.cancel_batch(session, settings, batch_id, user)
    return batches.batch_progress(session, batch_id)
