"""The one Celery app. It knows only the settings; the web side sends tasks by name through it."""

from celery import Celery

from app.config import Settings, get_settings

# Task modules, imported by the worker process only (the web app never imports them).
TASK_MODULES = ["worker.tasks_training", "worker.tasks_labels", "worker.tasks_autoedit"]


def broker_url(settings: Settings) -> str:
    """Redis when configured; otherwise kombu's SQLAlchemy transport on the app's own database,
    so the embedded default still runs tasks in a separate worker process."""
    if settings.redis_url:
        return settings.redis_url
    return "sqla+" + settings.database_url


def make_celery(settings: Settings) -> Celery:
    app = Celery("redline", broker=broker_url(settings), include=TASK_MODULES)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        task_default_queue="default",
        task_routes={"redline.training.*": {"queue": "gpu"}},
        timezone="UTC",
        # Run by a worker started with --beat: marks failed the jobs whose worker died.
        beat_schedule={
            # On the default queue: a GPU worker busy with a long job (or dead) must not hold these up.
            "reap-stale-training-jobs": {"task": "redline.training.reap_stale", "schedule": 15.0,
                                         "options": {"queue": "default"}},
            # Gives a fresh watcher to auto-edit batches whose watcher died with its worker.
            "rewatch-autoedit-batches": {"task": "redline.autoedit.sweep", "schedule": 30.0},
            # Send again what a broker restart lost: labels of finished edits, queued training jobs.
            "resend-missing-labels": {"task": "redline.labels.resend_missing",
                                      "schedule": settings.sweep_interval_s},
            "resend-queued-jobs": {"task": "redline.training.resend_queued", "schedule": settings.sweep_interval_s,
                                   "options": {"queue": "default"}},
        },
    )
    if settings.redis_url:
        # Redis: a task not acked within this window is redelivered to another worker.
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
    return app


celery_app = make_celery(get_settings())


def send_task(name: str, *args, queue: str | None = None, **kwargs):
    """Send a task by name to the broker of the current settings; callers commit their transaction
    first so the worker sees the row."""
    url = broker_url(get_settings())
    if url == celery_app.conf.broker_url:
        # The app's pooled producer connection: a new broker connection per submit costs a connect and,
        # on the embedded broker, a database connection each time.
        return celery_app.send_task(name, args=args, kwargs=kwargs, queue=queue)
    with celery_app.connection_for_write(url) as conn:  # settings changed after import (tests)
        return celery_app.send_task(name, args=args, kwargs=kwargs, queue=queue, connection=conn)
