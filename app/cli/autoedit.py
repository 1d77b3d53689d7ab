"""`redline autoedit`: start a Claude auto-edit batch and follow its progress; status and cancel."""

import json
import time

import typer

from app.cli.groups import root
from app.config import get_settings
from app.db import session_scope


def _progress_line(p: dict) -> str:
    return (f"batch {p['id']} {p['status']:<10} done {p['done']}/{p['total']}  failed {p['failed']}  "
            f"remaining {p['remaining']}  tokens {p['input_tokens']:,} in / {p['output_tokens']:,} out  "
            f"${p['cost_usd']:.4f}")


def follow(batch_id: int, interval_s: float) -> dict:
    """Print a progress line until the batch has ended; Ctrl+C stops following, not the batch."""
    from app.services.autoedit.batches import batch_progress

    last = ""
    while True:
        with session_scope() as session:
            progress = batch_progress(session, batch_id)
        line = _progress_line(progress)
        if line != last:
            typer.echo(line)
            last = line
        if progress["ended"]:
            return progress
        time.sleep(interval_s)


@root.command("autoedit")
def autoedit_command(
    dataset: str = typer.Argument(..., help="Dataset name or id."),
    limit: int = typer.Option(None, help="At most this many items (lowest ids first)."),
    model: str = typer.Option(None, help="Claude model (default: the AUTOEDIT_MODEL setting, claude-sonnet-4-5)."),
    mode: str = typer.Option("messages", help="messages (one call per item) or batches (Message Batches API, half price)."),
    max_cost: float = typer.Option(None, "--max-cost", help="Cost ceiling in USD; the batch stops before passing it."),
    concurrency: int = typer.Option(8, help="Calls in flight at once, across all workers."),
    auto_accept: bool = typer.Option(False, "--auto-accept", help="Accept drafts directly (never rewrites or no-change)."),
    prompt_version: str = typer.Option("v1", help="Prompt template under app/services/autoedit/prompts/."),
    selection: str = typer.Option("unedited", help="unedited (nobody edited them yet) or all."),
    external_id: str = typer.Option(None, help="Only items whose external id matches this pattern (* and ?)."),
    timing: list[str] = typer.Option([], "--timing", help="KEY=SECONDS over the defaults, e.g. request_timeout_s=60 "
                                     "(also max_attempts, backoff_base_s, backoff_max_s, stale_after_s, "
                                     "watch_interval_s, poll_initial_s, poll_max_s)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the progress until the batch ends."),
    interval: float = typer.Option(2.0, help="Seconds between progress lines."),
) -> None:
    """Start a batch of minimal edits drafted by Claude; workers do the calls. Exit status 0 when it
    succeeded, 1 when it ended otherwise (failed, stopped at the cost ceiling, cancelled)."""
    from app.services.autoedit.batches import batch_progress, create_batch
    from app.services.autoedit.options import BatchRequest, BatchTiming
    from app.services.errors import ServiceError

    try:
        pairs = dict(pair.split("=", 1) for pair in timing)
    except ValueError:
        typer.echo(f"error: --timing expects KEY=VALUE, got {timing}", err=True)
        raise typer.Exit(2) from None
    try:
        request = BatchRequest(dataset=dataset, model=model, prompt_version=prompt_version, mode=mode,
                               selection=selection, external_id_glob=external_id, limit=limit,
                               max_cost_usd=max_cost, concurrency=concurrency, auto_accept=auto_accept,
                               timing=BatchTiming.from_values(pairs))
        with session_scope() as session:
            batch = create_batch(session, get_settings(), request)
            batch_id, total = batch.id, batch_progress(session, batch.id)["total"]
            typer.echo(f"batch {batch_id} started: {total} items, model {batch.model}, mode {batch.mode}, "
                       f"concurrency {batch.concurrency}"
                       + (f", cost ceiling ${batch.max_cost_usd:.2f}" if batch.max_cost_usd else ""))
    except ServiceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    if not wait:
        typer.echo(batch_id)
        return
    try:
        progress = follow(batch_id, interval)
    except KeyboardInterrupt:
        typer.echo(f"\nstopped following; the batch goes on. Cancel it with: redline autoedit-cancel {batch_id}")
        raise typer.Exit(130) from None
    if progress["error"]:
        typer.echo(f"batch {batch_id} {progress['status']}: {progress['error']}", err=True)
    raise typer.Exit(0 if progress["status"] == "succeeded" else 1)


@root.command("autoedit-status")
def autoedit_status_command(
    batch_id: int,
    follow_it: bool = typer.Option(False, "--follow", help="Keep printing progress until the batch ends."),
) -> None:
    """A batch's progress as JSON (done, failed, remaining, tokens, cost)."""
    from app.services.autoedit.batches import batch_progress
    from app.services.errors import NotFound

    try:
        if follow_it:
            follow(batch_id, 2.0)
        with session_scope() as session:
            typer.echo(json.dumps(batch_progress(session, batch_id), indent=2, default=str))
    except NotFound as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc


@root.command("autoedit-cancel")
def autoedit_cancel_command(batch_id: int) -> None:
    """Stop the rest of a batch; what is done stays."""
    from app.services.autoedit.batches import cancel_batch
    from app.services.errors import ServiceError

    try:
        with session_scope() as session:
            batch = cancel_batch(session, get_settings(), batch_id)
            typer.echo(f"batch {batch_id}: {batch.status}")
    except ServiceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
