"""A small world to call every route in: accounts of each role, a dataset, and factories that make a fresh
object for each call (an item leased to the caller, an edit waiting for review, a job in a given state),
so that one role's successful call never changes what the next role's call finds."""

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app.config import Settings
from app.models import (
    ApiToken,
    AutoEditBatch,
    Dataset,
    Edit,
    EditStatus,
    Export,
    Item,
    Lease,
    Role,
    TrainingJob,
    User,
)
from app.models.base import utcnow
from app.security import generate_api_token
from tests.fixtures_app import Account, password_hash

ROLES = ("anonymous", "annotator", "reviewer", "engineer", "admin")
ANNOTATING = ("annotator", "admin")  # the roles that lease items (admins may do everything)


@dataclass
class World:
    session: Session
    settings: Settings
    accounts: dict[str, Account]
    dataset: Dataset
    export: Export
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def user(self, role: str) -> User:
        """The account a role acts as (anonymous callers get the annotator's objects)."""
        return self.accounts["annotator" if role == "anonymous" else role].user

    def item(self, flagged: bool = False) -> Item:
        n = next(self._ids)
        rejected = f"Put egg {n} in cold water and wait for an hour until it is done cooking."
        prompt = f"Question {n}: how do I boil an egg?"
        item = Item(dataset_id=self.dataset.id, external_id=f"w-{n}", prompt=prompt,
                    chosen="Boil it for nine minutes.", rejected=rejected,
                    content_hash=hashlib.sha256(f"{prompt}\0{rejected}".encode()).hexdigest(),
                    flag="unsafe" if flagged else None, state="flagged" if flagged else "open")
        self.session.add(item)
        self.session.flush()
        return item

    def leased_item(self, role: str) -> Item:
        """A fresh item leased to the caller (to the annotator when the caller's role cannot lease)."""
        item = self.item()
        holder = self.user(role if role in ANNOTATING else "annotator")
        self.session.add(Lease(item_id=item.id, user_id=holder.id, expires_at=utcnow().replace(year=2100)))
        self.session.commit()
        return item

    def flagged_item(self) -> Item:
        item = self.item(flagged=True)
        self.session.commit()
        return item

    def edit(self, author: str = "annotator2", status: EditStatus = EditStatus.submitted) -> Edit:
        """A fresh edit of a fresh item (by default a submitted one by the second annotator, so that any
        reviewer or admin may review it)."""
        item = self.item()
        edit = Edit(item_id=item.id, author_id=self.accounts[author].user.id, status=status,
                    edited_text=item.rejected.replace("cold", "boiling"), submitted_at=utcnow(),
                    hunks=[[10, 14, 10, 17]], stats={})
        self.session.add(edit)
        if status == EditStatus.submitted:
            item.state = "submitted"
        self.session.commit()
        return edit

    def job(self, status: str = "queued") -> TrainingJob:
        job = TrainingJob(kind="reward-token", preset="cpu-tiny", config={}, export_id=None, status=status,
                          created_by_id=self.accounts["engineer"].user.id)
        self.session.add(job)
        self.session.commit()
        return job

    def job_with_artifact(self) -> TrainingJob:
        from app.services.jobs import job_dir

        job = self.job("succeeded")
        workdir = Path(job_dir(self.settings, job.id))
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "metrics.jsonl").write_text('{"step": 1, "loss": 0.5}\n', encoding="utf-8")
        return job

    def batch(self) -> AutoEditBatch:
        """A running auto-edit batch (its tasks are never sent: the broker is replaced in these tests)."""
        batch = AutoEditBatch(dataset_id=self.dataset.id, model="claude-sonnet-4-5", mode="messages",
                              prompt_version="v1", status="running")
        self.session.add(batch)
        self.session.commit()
        return batch

    def unedited_item(self) -> Item:
        item = self.item()
        self.session.commit()
        return item

    def other_user(self) -> User:
        n = next(self._ids)
        user = User(email=f"someone{n}@example.org", role=Role.annotator, password_hash=password_hash())
        self.session.add(user)
        self.session.commit()
        return user

    def token_of(self, user: User) -> ApiToken:
        new = generate_api_token()
        row = ApiToken(user_id=user.id, name="w", token_hash=new.token_hash, prefix=new.prefix)
        self.session.add(row)
        self.session.commit()
        return row

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"


def token_labels_export(session: Session, dataset: Dataset) -> Export:
    """An export row that training jobs accept (the job is never run, so no file is needed)."""
    export = Export(id=f"00000000-0000-4000-8000-{dataset.id:012d}", dataset_id=dataset.id, view="token-labels",
                    format="jsonl", content_hash="0" * 64, row_count=0, path=None, card="")
    session.add(export)
    session.commit()
    return export


def build_world(session: Session, settings: Settings, accounts: dict[str, Account]) -> World:
    from app.services.exports import create_export

    dataset = Dataset(name="world")
    session.add(dataset)
    session.commit()
    world = World(session, settings, accounts, dataset, export=None)  # type: ignore[arg-type]
    world.edit("annotator", EditStatus.accepted)  # something to export
    world.export = create_export(settings, dataset.id, view="preference").export
    token_labels_export(session, dataset)
    return world
