"""One entry for an annotator's save or submit: the quick path for the common case, else the locked one.

The API route and the editor's form posts both come here, so they store and refuse alike."""

from sqlalchemy.orm import Session

from app.models import User
from app.schemas.items import EditPublic
from app.services.draft_save import quick_save_draft
from app.services.edits import save_edit
from app.services.quick_submit import quick_submit


def save_annotation(session: Session, item_id: int, user: User, edited_text: str, status: str, version: int,
                    time_spent_s: float = 0.0, outcome: str = "edited", needs_rewrite: bool = False) -> EditPublic:
    """Save the caller's draft (status draft) or submit it (status submitted); see edits.save_edit for the
    rules and the errors raised. The quick paths answer only where the locked path would store the same."""
    quick = {"draft": quick_save_draft, "submitted": quick_submit}.get(status)
    if quick is not None:
        stored = quick(session, item_id, user, edited_text, version, time_spent_s, outcome, needs_rewrite)
        if stored is not None:
            return stored
    edit = save_edit(session, item_id, user, edited_text, status=status, version=version,
                     time_spent_s=time_spent_s, outcome=outcome, needs_rewrite=needs_rewrite)
    return EditPublic.model_validate(edit)
