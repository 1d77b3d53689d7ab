"""`redline demo`: migrate the embedded database, seed demo data and accounts, run server and worker."""

import os
import signal
import subprocess
import sys
import time

import typer

from app.cli.groups import root
from app.config import get_settings


@root.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    seed_only: bool = typer.Option(False, help="Migrate and seed, then exit without serving."),
) -> None:
    """Run the first-run demo: the web server and a background worker on the embedded default."""
    from app.migrate import upgrade
    from app.services.demo import DEMO_ACCOUNTS, prepare_models, seed_demo

    settings = get_settings()
    upgrade()
    report = seed_demo(settings)
    typer.echo(report)
    typer.echo("preparing the bundled SmolLM2-135M-Instruct tokenizer and model (once) ...")
    prepare_models(settings)
    if seed_only:
        return
    env = dict(os.environ)
    children = [
        subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--queues", "default,gpu",
                          "--concurrency", "2", "--pool", "threads", "--beat"], env=env),
        subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", host, "--port", str(port)],
                         env=env),
    ]
    typer.echo(f"\nRedline demo: http://{host}:{port}/  (API docs at /docs)")
    typer.echo("Demo logins (email / password):")
    for email, password, role in DEMO_ACCOUNTS:
        typer.echo(f"  {role:<10} {email} / {password}")
    typer.echo("Ctrl+C stops the server and the worker.")
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
