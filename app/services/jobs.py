"""Training jobs: submit (validated before queueing), cancel, retry, reap dead ones, read metrics."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Export, TrainingJob, User
from app.services.errors import Conflict
from app.services.job_kinds import JobConfigError, get_kind, preset_config, validate_config

FINAL_STATES = ("succeeded", "failed", "cancelled")
TASK_NAME = "redline.training.run_job"


class JobError(Conflict):
    """A job action that its state does not allow (409)."""


def submit_job(
    session: Session,
    settings: Settings,
    kind_name: str,
    preset: str,
    config: dict[str, Any] | None = None,
    export_id: str | None = None,
    dataset: str | int | None = None,
    user: User | None = None,
) -> TrainingJob:
    """Validate, snapshot the data if asked ("export now"), store the job and queue it after commit."""
    kind = get_kind(kind_name)
    values = preset_config(kind, preset)
    if config:
        values.update(config)
    values = validate_config(kind, _resolve_job_refs(session, settings, values))
    export = None
    if kind.needs_export:
        if export_id:
            export = session.get(Export, export_id)
            if export is None:
                raise JobConfigError([{"field": "export_id", "message": f"export {export_id!r} not found"}])
        elif dataset is not None:
            from app.services.exports import ExportError, create_export

            try:
                export = create_export(settings, dataset, user_id=user.id if user else None).export
            except ExportError as exc:
                raise JobConfigError([{"field": "dataset", "message": str(exc)}]) from exc
        else:
            raise JobConfigError([{"field": "export_id", "message": "give an export id or a dataset to export now"}])
        if export.view != "token-labels":
            raise JobConfigError([{"field": "export_id", "message": f"training needs a token-labels export, not {export.view!r}"}])
    job = TrainingJob(
        kind=kind.name,
        preset=preset,
        config=values,
        export_id=export.id if export else None,
        created_by_id=user.id if user else None,
        provenance={"export_id": export.id, "export_content_hash": export.content_hash} if export else {},
    )
    session.add(job)
    session.commit()
    enqueue(job)
    return job


def _resolve_job_refs(session: Session, settings: Settings, values: dict[str, Any]) -> dict[str, Any]:
    """`job:N` in a config value means the checkpoint of finished job N (a reward model, a policy)."""
    out = dict(values)
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("job:"):
            ref = value.removeprefix("job:")
            other = session.get(TrainingJob, int(ref)) if ref.isdigit() else None
            if other is None or other.status != "succeeded":
                raise JobConfigError([{"field": key, "message": f"{value!r} is not a succeeded job"}])
            out[key] = str(job_dir(settings, other.id) / "checkpoint")
    return out


def enqueue(job: TrainingJob) -> None:
    from worker.celery_app import send_task

    result = send_task(TASK_NAME, job.id, queue="gpu")
    job.celery_task_id = result.id


def cancel_job(session: Session, job: TrainingJob) -> TrainingJob:
    """A queued job is cancelled at once; a running one is stopped by its worker at the next heartbeat."""
    if job.status in FINAL_STATES:
        raise JobError(f"job {job.id} already {job.status}")
    job.cancel_requested = True
    if job.status == "queued":
        job.status = "cancelled"
        job.finished_at = datetime.now(UTC)
    session.commit()
    return job


def retry_job(session: Session, job: TrainingJob) -> TrainingJob:
    if job.status not in ("failed", "cancelled"):
        raise JobError(f"only failed or cancelled jobs can be retried; job {job.id} is {job.status}")
    job.status, job.error, job.cancel_requested = "queued", None, False
    job.step, job.started_at, job.finished_at, job.heartbeat_at, job.pid = 0, None, None, None, None
    session.commit()
    enqueue(job)
    session.commit()
    return job


def jobs_to_resend(session: Session, older_than: datetime) -> list[TrainingJob]:
    """Queued jobs untouched since `older_than`: their message may be lost (a broker restarted), so they
    are sent again and touched, at most once per period. A duplicate message finds the job claimed and
    does nothing (job_runner.run_job)."""
    waiting = session.scalars(
        select(TrainingJob).where(TrainingJob.status == "queued", TrainingJob.cancel_requested.is_(False),
                                  TrainingJob.updated_at < older_than).with_for_update(skip_locked=True)
    ).all()
    for job in waiting:
        job.updated_at = datetime.now(UTC)
    return list(waiting)


def reap_stale_jobs(session: Session, timeout_s: float) -> list[int]:
    """Mark failed every running job whose worker stopped sending heartbeats (SIGKILL, lost machine)."""
    cutoff = datetime.now(UTC) - timedelta(seconds=timeout_s)
    stale = session.scalars(select(TrainingJob).where(TrainingJob.status == "running")).all()
    reaped = []
    for job in stale:
        beat = job.heartbeat_at or job.started_at
        if beat is not None and _aware(beat) < cutoff:
            job.status = "failed"
            job.error = f"worker {job.worker_host or '?'} stopped sending heartbeats for over {timeout_s:g} s"
            job.finished_at = datetime.now(UTC)
            reaped.append(job.id)
    if reaped:
        session.commit()
    return reaped


def read_metrics(job: TrainingJob, settings: Settings, limit: int = 5000) -> list[dict[str, Any]]:
    """The job's metrics.jsonl as a list of dicts (the newest `limit` lines)."""
    path = job_dir(settings, job.id) / "metrics.jsonl"
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line being written right now
    return rows[-limit:]


def log_tail(job: TrainingJob, settings: Settings, max_bytes: int = 8000) -> str:
    path = job_dir(settings, job.id) / "train.log"
    if not path.exists():
        return ""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - max_bytes))
        return fh.read().decode("utf-8", errors="replace")


def job_dir(settings: Settings, job_id: int) -> Path:
    """The local working directory of a job (also its artifact directory when artifacts are local)."""
    return Path(settings.job_work_dir) / f"job-{job_id}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
