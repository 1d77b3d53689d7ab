"""Training-job tasks on the `gpu` queue: run a job in a child process; reap jobs whose worker died."""

from app.config import get_settings
from app.db import session_scope
from app.services import job_runner, jobs
from worker.celery_app import celery_app


@celery_app.task(name="redline.training.run_job", acks_late=True)
def run_training_job(job_id: int) -> str:
    return job_runner.run_job(job_id, get_settings())


@celery_app.task(name="redline.training.reap_stale", acks_late=True)
def reap_stale_jobs() -> list[int]:
    settings = get_settings()
    with session_scope() as session:
        return jobs.reap_stale_jobs(session, settings.job_heartbeat_timeout_s)
