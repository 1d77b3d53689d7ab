"""Training jobs over the API: launch (validated before queueing), list, watch, cancel, retry, artifacts."""

from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.deps import EngineerUser, SessionDep, SettingsDep
from app.models import TrainingJob
from app.services import artifacts, jobs
from app.services.errors import NotFound
from app.services.job_kinds import KINDS, PRESETS, get_kind, preset_config

router = APIRouter(prefix="/api/v1/training-jobs", tags=["training jobs"])


class JobCreate(BaseModel):
    kind: str = Field(description=f"One of: {', '.join(KINDS)}.")
    preset: str = Field("cpu-tiny", description=f"One of: {', '.join(PRESETS)}.")
    config: dict[str, Any] = Field(default_factory=dict, description="Fields over the preset.")
    export_id: str | None = Field(None, description="Export snapshot to train on.")
    dataset: str | int | None = Field(None, description="Or: export this dataset now.")


def job_public(job: TrainingJob) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "preset": job.preset, "status": job.status, "error": job.error,
        "export_id": job.export_id, "step": job.step, "total_steps": job.total_steps,
        "latest_metrics": job.latest_metrics, "config": job.config, "provenance": job.provenance,
        "worker_host": job.worker_host, "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "heartbeat_at": job.heartbeat_at,
    }


@router.post("", status_code=status.HTTP_201_CREATED)
def create_job(body: JobCreate, session: SessionDep, settings: SettingsDep, user: EngineerUser) -> dict[str, Any]:
    job = jobs.submit_job(session, settings, body.kind, body.preset, body.config, body.export_id, body.dataset, user)
    session.commit()
    return job_public(job)


@router.get("")
def list_jobs(session: SessionDep, settings: SettingsDep, user: EngineerUser, limit: int = 100) -> list[dict[str, Any]]:
    jobs.reap_stale_jobs(session, settings.job_heartbeat_timeout_s)
    stmt = select(TrainingJob).order_by(TrainingJob.id.desc()).limit(min(max(limit, 1), 500))
    return [job_public(j) for j in session.scalars(stmt)]


@router.get("/presets/{kind}/{preset}")
def get_preset(kind: str, preset: str, user: EngineerUser) -> dict[str, Any]:
    """A preset's full config, as the launch form shows it for editing."""
    return preset_config(get_kind(kind), preset)


@router.get("/{job_id}")
def get_job(job_id: int, session: SessionDep, settings: SettingsDep, user: EngineerUser) -> dict[str, Any]:
    jobs.reap_stale_jobs(session, settings.job_heartbeat_timeout_s)
    return job_public(_get(session, job_id))


@router.get("/{job_id}/metrics")
def get_metrics(job_id: int, session: SessionDep, settings: SettingsDep, user: EngineerUser) -> list[dict[str, Any]]:
    return jobs.read_metrics(_get(session, job_id), settings)


@router.post("/{job_id}/cancel")
def cancel_job(job_id: int, session: SessionDep, user: EngineerUser) -> dict[str, Any]:
    return job_public(jobs.cancel_job(session, _get(session, job_id)))


@router.post("/{job_id}/retry")
def retry_job(job_id: int, session: SessionDep, user: EngineerUser) -> dict[str, Any]:
    return job_public(jobs.retry_job(session, _get(session, job_id)))


@router.get("/{job_id}/artifacts")
def list_artifacts(job_id: int, session: SessionDep, settings: SettingsDep, user: EngineerUser) -> list[dict[str, Any]]:
    job = _get(session, job_id)
    found = artifacts.list_artifacts(settings, job.id, jobs.job_dir(settings, job.id))
    return [{"path": a.path, "size": a.size, "url": f"/api/v1/training-jobs/{job.id}/artifacts/{a.path}"} for a in found]


@router.get("/{job_id}/artifacts/{path:path}")
def download_artifact(
    job_id: int, path: str, session: SessionDep, settings: SettingsDep, user: EngineerUser
) -> StreamingResponse:
    job = _get(session, job_id)
    try:
        fh = artifacts.open_artifact(settings, job.id, jobs.job_dir(settings, job.id), path)
    except artifacts.ArtifactError as exc:
        raise NotFound(str(exc)) from exc
    name = path.rsplit("/", 1)[-1]
    return StreamingResponse(
        iter(lambda: fh.read(1 << 20), b""),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _get(session: SessionDep, job_id: int) -> TrainingJob:
    job = session.get(TrainingJob, job_id)
    if job is None:
        raise NotFound(f"training job {job_id} not found")
    return job
