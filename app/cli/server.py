"""Commands that run the server side: migrate, serve, worker."""

import subprocess
import sys

import typer

from app.cli.groups import root
from app.config import get_settings


@root.command()
def migrate(revision: str = typer.Argument("head", help="Alembic revision to upgrade to.")) -> None:
    """Create or upgrade the database schema."""
    from app.migrate import upgrade

    upgrade(revision=revision)
    typer.echo(f"database at {revision}")


@root.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Web server processes."),
) -> None:
    """Run the web server."""
    import uvicorn

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@root.command()
def worker(
    queues: str = typer.Option("default", help="Comma-separated queues, e.g. 'default' or 'gpu'."),
    concurrency: int = typer.Option(2, help="Worker processes."),
    pool: str = typer.Option("prefork", help="Celery pool: prefork, threads or solo."),
    beat: bool = typer.Option(False, help="Also run the periodic tasks (one worker per deployment)."),
) -> None:
    """Run a Celery worker (Redis when REDIS_URL is set, otherwise the embedded database broker)."""
    settings = get_settings()
    broker = "redis" if settings.redis_url else "embedded database"
    typer.echo(f"worker on queues {queues} via {broker}", err=True)
    cmd = [sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker",
           "-Q", queues, "-c", str(concurrency), "-P", pool, "--loglevel", "INFO", "-n", f"redline-{queues}@%h"]
    if beat:
        cmd.append("-B")
    raise typer.Exit(subprocess.call(cmd))
