"""`redline jobs`: submit, list, show and cancel training jobs from the command line."""

import json
from pathlib import Path

import typer
import yaml

from app.cli.groups import jobs_app
from app.config import get_settings
from app.db import session_scope


@jobs_app.command("submit")
def submit_command(
    kind: str = typer.Option(..., help="reward-token, reward-sequence, ppo-token, ppo-sequence or eval-win-rate."),
    preset: str = typer.Option("cpu-tiny", help="cpu-tiny, smollm2-cpu, gpu or gpu-multi."),
    export_id: str = typer.Option(None, "--export", help="Export snapshot id to train on."),
    dataset: str = typer.Option(None, help="Export this dataset now and train on the snapshot."),
    config: Path = typer.Option(None, help="YAML file of config fields over the preset."),
    overrides: list[str] = typer.Option([], "--set", help="key=value over the preset and file."),
) -> None:
    """Validate and queue a training job for the GPU workers; prints its id on the last line."""
    from app.services.job_kinds import JobConfigError
    from app.services.jobs import submit_job

    values = yaml.safe_load(config.read_text()) if config else {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            typer.echo(f"error: --set expects key=value, got {item!r}", err=True)
            raise typer.Exit(2)
        values[key.strip()] = yaml.safe_load(value)
    try:
        with session_scope() as session:
            job = submit_job(session, get_settings(), kind, preset, values, export_id=export_id, dataset=dataset)
            job_id = job.id
    except JobConfigError as exc:
        for err in exc.errors:
            typer.echo(f"error: {err['field']}: {err['message']}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"queued {kind} job")
    typer.echo(job_id)


@jobs_app.command("list")
def list_command(limit: int = typer.Option(20, help="How many of the newest jobs.")) -> None:
    """The newest jobs with their state and progress."""
    from sqlalchemy import select

    from app.models import TrainingJob

    with session_scope() as session:
        for job in session.scalars(select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)):
            typer.echo(f"{job.id:>5}  {job.kind:<16} {job.preset:<12} {job.status:<10} {job.step}/{job.total_steps}")


@jobs_app.command("show")
def show_command(job_id: int) -> None:
    """A job's state, provenance and latest metrics as JSON."""
    from app.models import TrainingJob

    with session_scope() as session:
        job = session.get(TrainingJob, job_id)
        if job is None:
            typer.echo(f"error: job {job_id} not found", err=True)
            raise typer.Exit(2)
        typer.echo(json.dumps({
            "id": job.id, "kind": job.kind, "status": job.status, "error": job.error, "step": job.step,
            "total_steps": job.total_steps, "latest_metrics": job.latest_metrics, "provenance": job.provenance,
        }, indent=2, default=str))


@jobs_app.command("cancel")
def cancel_command(job_id: int) -> None:
    """Stop a job; artifacts written so far stay."""
    from app.models import TrainingJob
    from app.services.jobs import JobError, cancel_job

    with session_scope() as session:
        job = session.get(TrainingJob, job_id)
        if job is None:
            typer.echo(f"error: job {job_id} not found", err=True)
            raise typer.Exit(2)
        try:
            cancel_job(session, job)
        except JobError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"job {job_id}: cancel requested ({job.status})")
