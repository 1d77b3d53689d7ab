"""`redline train ppo` (standard or fine-grained PPO, with a progress bar) and `redline eval win-rate`."""

import dataclasses
from pathlib import Path
from typing import Any

import typer

from app.cli.groups import eval_app, train_app


@train_app.command("ppo")
def train_ppo_command(
    config: str = typer.Option(..., help="Preset (cpu-tiny, smollm2-cpu, gpu) or a YAML/JSON config file."),
    overrides: list[str] = typer.Option([], "--set", help="key=value over the preset or file (repeatable)."),
    output_dir: Path = typer.Option(None, help="Where the checkpoint, metrics and plots go."),
) -> None:
    """Train a policy with PPO; reward_mode token is fine-grained PPO, sequence the standard one."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from training.ppo.train import load_ppo_config, train_ppo

    try:
        cfg = load_ppo_config(config, overrides, str(output_dir) if output_dir else None)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    columns = (TextColumn("PPO {task.fields[mode]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.description}"), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("starting", total=cfg.total_steps, mode=cfg.reward_mode)

        def show_step(row: dict[str, Any]) -> None:
            gold = f" gold {row['gold_score']:.3f}" if "gold_score" in row else ""
            progress.update(task, completed=row["step"],
                            description=f"reward {row['reward']:.3f} kl {row['kl']:.3f}{gold}")

        try:
            checkpoint = train_ppo(cfg, on_step=show_step)
        except (ValueError, FileNotFoundError, ImportError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"metrics: {Path(cfg.output_dir) / 'metrics.jsonl'}")
    typer.echo(f"checkpoint: {checkpoint}")


@eval_app.command("win-rate")
def eval_win_rate_command(
    policy: str = typer.Option(None, help="Policy checkpoint directory (or 'tiny', 'bundled')."),
    reference: str = typer.Option(None, help="Reference checkpoint (default: the bundled SmolLM2)."),
    prompts: Path = typer.Option(None, help="Held-out prompts: JSONL or Parquet rows with a 'prompt' field."),
    judge: str = typer.Option(None, help="claude, reward-model:PATH or python:module:function."),
    judge_model: str = typer.Option(None, help="Claude model for the claude judge."),
    base_url: str = typer.Option(None, help="Anthropic-compatible endpoint (default: ANTHROPIC_BASE_URL)."),
    max_prompts: int = typer.Option(None, help="Only the first N prompts."),
    max_new_tokens: int = typer.Option(None, help="Response length limit."),
    temperature: float = typer.Option(None, help="Sampling temperature; 0 is greedy."),
    seed: int = typer.Option(None, help="Sampling and bootstrap seed."),
    output_dir: Path = typer.Option(None, help="Where win_rate.json and pairs.jsonl go."),
    config: str = typer.Option(None, help="Start from a preset (cpu-tiny, smollm2-cpu, gpu) or YAML/JSON file."),
    overrides: list[str] = typer.Option([], "--set", help="key=value for any other field (repeatable)."),
) -> None:
    """Win rate of a policy against a reference under a judge, with ties and a bootstrap 95 % interval."""
    from training.config_io import apply_mapping, parse_overrides
    from training.evaluation.config import WinRateConfig
    from training.evaluation.win_rate import evaluate_win_rate, format_result, load_win_rate_config

    given: dict[str, Any] = {"policy": policy, "reference": reference, "prompts": str(prompts) if prompts else None,
             "judge": judge, "judge_model": judge_model, "judge_base_url": base_url, "max_prompts": max_prompts,
             "max_new_tokens": max_new_tokens, "temperature": temperature, "seed": seed,
             "output_dir": str(output_dir) if output_dir else None}
    try:
        if config:
            cfg = load_win_rate_config(config, overrides)
        else:
            cfg = apply_mapping(WinRateConfig(), parse_overrides(overrides), from_text=True)
        cfg = dataclasses.replace(cfg, **{k: v for k, v in given.items() if v is not None})
        result = evaluate_win_rate(cfg, on_progress=_echo_phase())
    except (ValueError, FileNotFoundError, ImportError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(format_result(result))
    typer.echo(f"pairs: {Path(cfg.output_dir) / 'pairs.jsonl'}")


def _echo_phase() -> Any:
    """Print each phase (policy, reference, judge) once, as it starts."""
    seen: set[str] = set()

    def echo(row: dict[str, Any]) -> None:
        if row["phase"] not in seen and row["phase"] != "done":
            seen.add(row["phase"])
            typer.echo(f"{row['phase']}: {row['step']}/{row['total_steps']}", err=True)

    return echo
