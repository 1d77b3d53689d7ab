"""Training-job tasks on the `gpu` queue: run a job in a child process; reap jobs whose worker died."""

from datetime import UTC, datetime, timedelta

from app.config import get_settings
from app.db import session_scope
from app.services import job_runner, jobs
from worker.celery_app import celery_app


@celery_app.task(name="redline.training.run_job", acks_late=True)
def run_training_job(job_id: int) -> str:
    return job_runner.run_job(job_id, get_settings())


@celery_app.task(name="redline.training.resend_queued", acks_late=True)
def resend_queued_jobs() -> list[int]:
    """Periodic (beat): send again the jobs still queued after settings.resend_after_s (their message may
    have been lost with the broker); a duplicate finds the job claimed and does nothing."""
    settings = get_settings()
    with session_scope() as session:
        waiting = jobs.jobs_to_resend(session, datetime.now(UTC) - timedelta(seconds=settings.resend_after_s))
        ids = [job.id for job in waiting]
    for job_id in ids:
        run_training_job.apply_async(args=[job_id], queue="gpu")
    return ids


@celery_app.task(name="redline.training.reap_stale", acks_late=True)
def reap_stale_jobs() -> list[int]:
    settings = get_settings()
    with session_scope() as session:
        return jobs.reap_stale_jobs(session, settings.job_heartbeat_timeout_s)
