"""`redline train reward-model` (with a progress bar) and `redline eval reward-model` (a table per checkpoint)."""

import json
from pathlib import Path
from typing import Any

import typer

from app.cli.groups import eval_app, train_app


@train_app.command("reward-model")
def train_reward_model_command(
    config: str = typer.Option(..., "--config", help="Preset (cpu-tiny, smollm2-cpu, gpu) or a YAML/JSON file."),
    overrides: list[str] = typer.Option([], "--set", help="key=value over the preset or file; repeatable."),
    output_dir: str = typer.Option(None, "--output-dir", help="Where the run goes (overrides output_dir)."),
) -> None:
    """Train a token-level or sequence-level reward model on a token-labels export."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from training.allocator import run_on_allocator
    from training.config_io import ConfigError
    from training.reward.evaluate import format_table
    from training.reward.export_file import RewardDataError
    from training.reward.model import ModelSpecError
    from training.reward.train import config_from_args, train_reward_model

    console = Console()
    try:
        cfg = config_from_args(config, overrides, output_dir)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    run_on_allocator(cfg.cpu_allocator)  # executes this command again when it must switch
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"{cfg.loss_name} on {cfg.model}", total=None, loss="-")

        def show(row: dict[str, Any]) -> None:
            if row["split"] == "train":
                progress.update(task, total=row["total_steps"], completed=row["step"], loss=f"{row['loss']:.4f}")
                return
            shown = ", ".join(f"{k} {v:.3f}" for k, v in row.items() if isinstance(v, float))
            progress.console.print(f"step {row['step']}: {shown}")

        try:
            result = train_reward_model(cfg, on_progress=show)
        except (RewardDataError, ModelSpecError) as exc:
            progress.stop()
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    console.print(format_table({cfg.loss_name: result.metrics}), highlight=False)
    console.print(f"{result.steps} steps in {result.seconds:.1f} s, {result.tokens_per_s:.0f} tokens/s")
    typer.echo(f"checkpoint: {result.checkpoint_dir}")


@eval_app.command("reward-model")
def eval_reward_model_command(
    checkpoints: list[str] = typer.Argument(..., help="One or more reward-model checkpoint folders."),
    data: str = typer.Option(..., "--data", help="Token-labels export (JSONL or Parquet)."),
    split: str = typer.Option("all", help="'all' pairs, or the 'validation' prompts each run held out."),
    batch_size: int = typer.Option(8, help="Pairs per forward pass."),
    output: Path = typer.Option(None, help="Also write the metrics as JSON here."),
) -> None:
    """Pairwise accuracy on edit and original pairs, and token AUROC, side by side per checkpoint."""
    from training.reward.evaluate import evaluate_checkpoints, format_table

    if split not in ("all", "validation"):
        typer.echo(f"error: --split must be 'all' or 'validation', got {split!r}", err=True)
        raise typer.Exit(2)
    try:
        results = evaluate_checkpoints(checkpoints, data, split, batch_size)
    except (ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(format_table(results))
    if output:
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
