"""Seeds the first-run demo: four accounts, one per role, and the demo dataset of SmolLM2 responses."""

from pathlib import Path

from sqlalchemy import select

from app.config import Settings
from app.db import session_scope
from app.models import Dataset

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_DATASET = "demo"
DEMO_ACCOUNTS = (
    ("admin@redline.local", "redline-admin", "admin"),
    ("annotator@redline.local", "redline-annotator", "annotator"),
    ("reviewer@redline.local", "redline-reviewer", "reviewer"),
    ("engineer@redline.local", "redline-engineer", "engineer"),
)
DEMO_GUIDELINES = """\
## How to edit

1. Read the prompt and both responses. The preferred one is a hint, not a target.
2. Change **only** the spans that make the less-preferred response worse: a wrong fact, filler,
   hedging, an unsafe instruction, a repeated sentence, rambling past the point.
3. Keep every other character as it is. Do not restyle, reorder or polish.
4. If nothing needs changing, choose **No edit needed**.
"""


def seed_demo(settings: Settings) -> str:
    """Create what is missing; running it twice changes nothing."""
    from app.services.imports import import_file
    from app.services.users import create_user, find_user_by_email

    lines = []
    with session_scope() as session:
        for email, password, role in DEMO_ACCOUNTS:
            if find_user_by_email(session, email) is None:
                create_user(session, email, role, password)
                lines.append(f"created {role} account {email}")
    with session_scope() as session:
        exists = session.scalars(select(Dataset).where(Dataset.name == DEMO_DATASET)).first()
        if exists is None:
            report = import_file(session, DEMO_DIR / "demo_pairs.jsonl", DEMO_DATASET)
            dataset = session.scalars(select(Dataset).where(Dataset.name == DEMO_DATASET)).one()
            dataset.guidelines = DEMO_GUIDELINES
            dataset.description = "SmolLM2-135M-Instruct responses to prompts written for Redline."
            lines.append(f"imported demo dataset: {report}")
    return "\n".join(lines) or "demo data already in place"


def prepare_models(settings: Settings) -> None:
    """Convert the bundled SmolLM2 once, so the editor's first preview does not wait for it."""
    from training.bundled import bundled_model_dir

    bundled_model_dir(settings.model_cache_dir)
