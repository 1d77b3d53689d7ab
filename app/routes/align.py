"""The shared alignment as JSON: hunks, labelled tokens of both sides, stats."""

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from app.deps import CurrentUser, SessionDep
from app.models import Dataset
from app.schemas.align import AlignRequest
from app.services.diffing import align_texts
from app.services.edits import check_text
from app.services.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["align"])


def _check_tokenizer(session: SessionDep, spec: str | None) -> None:
    """Only the bundled tokenizer and those datasets use: a client must not make the server load
    arbitrary paths or reach for a model hub."""
    from training.bundled import BUNDLED_NAME

    if spec is None or spec == BUNDLED_NAME:
        return
    if session.scalar(select(Dataset.id).where(Dataset.tokenizer == spec).limit(1)) is None:
        raise InvalidInput(f"unknown tokenizer {spec!r}: use {BUNDLED_NAME!r} or one a dataset uses",
                           field="tokenizer")


@router.post("/align")
def align_pair(body: AlignRequest, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Align `original` and `edited` for a tokenizer (the bundled SmolLM2 one by default)."""
    check_text(body.original, "original")
    check_text(body.edited, "edited")
    _check_tokenizer(session, body.tokenizer)
    session.close()  # the alignment needs no database; give the connection back while it runs
    return align_texts(body.original, body.edited, body.tokenizer).to_dict()
