"""The replication benchmark: fine-grained PPO (token-level reward from minimal edits) against standard PPO
(sequence-level reward from preference pairs), at small scale, judged by a programmatic gold judge.

    python -m benchmarks.replication.run --quick                 # tiny model, a few minutes (CI)
    python -m benchmarks.replication.run [--config full] [--seeds N] [--set key=value ...]

Steps (numbered as in the code):
1. pairs: two samples of the initial policy per prompt, ranked by the gold judge (train and held-out);
2. edits: the oracle editor minimally fixes every rejected response;
3. annotation: pairs and edits go through the server's import -> edit -> export code (annotate.py);
4. reward models, per seed: a sequence model on the original pairs, a token model on the edits; both
   scored on the held-out pairs;
5. PPO, per seed: `sequence` and `token` mode with the same steps, prompts and seed; the gold judge
   scores every rollout;
6. win rates, per seed: SFT, PPO and fine-grained PPO against the SFT on held-out prompts;
7. report: table.md, results.json, gold_vs_step.png and command.txt in results_dir.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import platform
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.replication.config import PRESETS, ReplicationConfig
from benchmarks.replication.prompt_records import PromptRecord, read_records, write_records

Log = Callable[[str], None]
# Bump when sampling or ranking changes, so that cached pairs made by older code are not reused.
PAIRS_VERSION = 2


def import_hook(spec: str) -> Callable[..., Any]:
    """The function named by 'module:function' (judge, pair judge or editor)."""
    from training.evaluation.judges import import_function

    return import_function(spec)


def tokenizer_spec(model: str) -> str:
    """The export's tokenizer for a model spec: the bundled name, or the model's directory."""
    from training.reward.model import BUNDLED_SPECS, resolve_model_dir

    if model in BUNDLED_SPECS:
        from training.bundled import BUNDLED_NAME

        return BUNDLED_NAME
    return str(resolve_model_dir(model))


class Stopwatch:
    """Wall and process CPU seconds since it was made (CPU time says what a phase costs on a busy machine)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.wall:.0f} s, cpu {time.process_time() - self.cpu:.0f} s"

    def as_dict(self) -> dict[str, float]:
        return {"wall_s": round(time.perf_counter() - self.wall, 1), "cpu_s": round(time.process_time() - self.cpu, 1)}


def spread_subset(records: list[PromptRecord], count: int | None) -> list[PromptRecord]:
    """`count` records evenly spaced through the file (the files are grouped by category), or all of them."""
    if count is None or count >= len(records):
        return records
    return [records[i * len(records) // count] for i in range(count)]


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


# 1. pairs -----------------------------------------------------------------------------------------------


def cached_pairs(config: ReplicationConfig, name: str, records: list[PromptRecord], loaded: dict[str, Any],
                 log: Log) -> list[dict]:
    """Sampled and ranked pairs, read back from work_dir when the same settings made them before."""
    from benchmarks.replication.sample import SamplingSettings, load_model, sample_pairs, write_pairs

    settings = SamplingSettings(model=config.model, max_new_tokens=config.sample_max_new_tokens,
                                temperature=config.sample_temperature, seed=config.data_seed,
                                batch_size=config.sample_batch_size, rounds=config.sample_rounds,
                                keep_ties=config.keep_ties)
    key = _digest(PAIRS_VERSION, dataclasses.asdict(settings), config.judge, [(r.id, r.prompt) for r in records])
    path = Path(config.work_dir) / f"pairs-{name}-{key}.jsonl"
    if path.is_file():
        log(f"pairs ({name}): reusing {path}")
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if "model" not in loaded:
        loaded["model"], loaded["tokenizer"] = load_model(config.model)
    started = Stopwatch()
    gold = config.judge == ReplicationConfig.judge  # the gold judge itself also records penalised spans
    rows = sample_pairs(records, settings, loaded["model"], loaded["tokenizer"],
                        score=None if gold else import_hook(config.judge), ranked_by=config.judge,
                        on_batch=lambda r, done: log(f"pairs ({name}): round {r}, {done} prompts"))
    write_pairs(path, rows)
    log(f"pairs ({name}): {len(rows)} of {len(records)} prompts in {started} -> {path}")
    return rows


# 2-3. edits and the annotation path ---------------------------------------------------------------------


def edit_and_export(config: ReplicationConfig, name: str, pairs: list[dict], log: Log) -> tuple[Path, int]:
    """Oracle edits of the rejected responses, through the server's import -> edit -> export; (export, changed)."""
    from benchmarks.replication.annotate import annotate_pairs

    editor = import_hook(config.editor)
    edits = [str(editor(p["prompt"], p["rejected"])) for p in pairs]
    changed = sum(e != p["rejected"] for e, p in zip(edits, pairs, strict=True))
    work = Path(config.work_dir) / f"annotation-{name}"
    shutil.rmtree(work, ignore_errors=True)  # a fresh database every run
    export = annotate_pairs(pairs, edits, work, tokenizer_spec(config.model))
    log(f"annotation ({name}): {changed} of {len(pairs)} rejected responses edited; export {export}")
    return export, changed


# 4. reward models ---------------------------------------------------------------------------------------


def train_reward_models(config: ReplicationConfig, seed: int, train_export: Path, heldout_export: Path,
                        log: Log) -> tuple[dict[str, Path], dict[str, dict[str, Any]]]:
    """Sequence model on original pairs, token model on edits; their metrics on the held-out export."""
    from training.reward.evaluate import evaluate_checkpoints
    from training.reward.train import config_from_args, train_reward_model

    runs = {"sequence": ["model_type=sequence", "pairs=original"],
            "token": ["model_type=token", f"token_loss={config.token_loss}"]}
    checkpoints: dict[str, Path] = {}
    for kind, extra in runs.items():
        out = Path(config.work_dir) / f"seed-{seed}" / f"reward-{kind}"
        overrides = [*config.reward_overrides, *extra, f"model={config.model}", f"data_path={train_export}",
                     f"seed={seed}", f"torch_threads={config.threads}", "plots=false"]
        started = Stopwatch()
        result = train_reward_model(config_from_args(config.reward_preset, overrides, str(out)))
        checkpoints[kind] = result.checkpoint_dir
        log(f"seed {seed}: {kind} reward model, {result.steps} steps in {started}")
    metrics = evaluate_checkpoints([str(checkpoints["sequence"]), str(checkpoints["token"])], str(heldout_export))
    by_kind = {"sequence": metrics[str(checkpoints["sequence"])], "token": metrics[str(checkpoints["token"])]}
    for kind, m in by_kind.items():
        log(f"seed {seed}: {kind} reward model held-out accuracy {m['original_pair_accuracy']:.3f} (pairs), "
            f"{m['edit_pair_accuracy']:.3f} (edits)")
    return checkpoints, by_kind


# 5. PPO -------------------------------------------------------------------------------------------------


def train_both_modes(config: ReplicationConfig, seed: int, reward_models: dict[str, Path], prompts_file: Path,
                     log: Log) -> dict[str, dict[str, Any]]:
    """PPO in `sequence` and `token` mode with the same steps, prompts and seed; curves and checkpoints."""
    from training.ppo.train import load_ppo_config, train_ppo

    runs: dict[str, dict[str, Any]] = {}
    for mode in ("sequence", "token"):
        out = Path(config.work_dir) / f"seed-{seed}" / f"ppo-{mode}"
        overrides = [*config.ppo_overrides, f"policy={config.model}", f"reward_mode={mode}",
                     f"{mode}_reward_model={reward_models[mode]}", f"data_path={prompts_file}",
                     f"gold_judge={config.judge}", f"seed={seed}"]
        ppo_config = load_ppo_config(config.ppo_preset, overrides, str(out))
        rows: list[dict[str, Any]] = []

        def on_step(row: dict[str, Any], mode: str = mode, rows: list[dict[str, Any]] = rows) -> None:
            rows.append(row)
            log(f"seed {seed}: ppo {mode} step {row['step']}/{row['total_steps']} gold {row.get('gold_score', 0):.2f} "
                f"reward {row['reward']:.3f} kl {row['kl']:.3f} ({row['time_step']:.1f} s)")

        started = Stopwatch()
        checkpoint = train_ppo(ppo_config, on_step=on_step)
        log(f"seed {seed}: ppo {mode} done in {started}")
        runs[mode] = {
            "checkpoint": str(checkpoint), **started.as_dict(),
            "steps": [r["step"] for r in rows], "gold": [r["gold_score"] for r in rows],
            "reward": [r["reward"] for r in rows], "kl": [r["kl"] for r in rows],
            "response_length": [r["response_length"] for r in rows],
        }
    return runs


# 6. win rates -------------------------------------------------------------------------------------------


def evaluate_policies(config: ReplicationConfig, seed: int, prompts: list[str], ppo: dict[str, dict[str, Any]],
                      log: Log) -> dict[str, dict[str, Any]]:
    """SFT, PPO and fine-grained PPO against the SFT on the held-out prompts, under the pair judge."""
    from benchmarks.replication.outcomes import win_rates
    from training.evaluation.win_rate import generate_responses

    def sample(model: str, sampling_seed: int) -> list[str]:
        return generate_responses(model, prompts, max_new_tokens=config.eval_max_new_tokens,
                                  temperature=config.eval_temperature, batch_size=config.eval_batch_size,
                                  max_prompt_tokens=128, seed=sampling_seed)

    started = Stopwatch()
    reference = sample(config.model, 10_000 + seed)
    policy_seed = 20_000 + seed  # all three policies see the same random stream, apart from the reference's
    policies = {"sft": sample(config.model, policy_seed),
                "ppo": sample(ppo["sequence"]["checkpoint"], policy_seed),
                "fine_grained_ppo": sample(ppo["token"]["checkpoint"], policy_seed)}
    results = win_rates(prompts, reference, policies, import_hook(config.pair_judge), import_hook(config.judge),
                        seed=seed)
    log(f"seed {seed}: win rates vs SFT " + ", ".join(f"{k} {100 * v['win_rate']:.1f} %" for k, v in results.items()
                                                     if "win_rate" in v)
        + f" ({started})")
    samples = Path(config.work_dir) / f"seed-{seed}" / "heldout_responses.jsonl"
    with samples.open("w", encoding="utf-8") as fh:
        for i, prompt in enumerate(prompts):
            row = {"prompt": prompt, "reference": reference[i], **{k: v[i] for k, v in policies.items()}}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return results


# the run ------------------------------------------------------------------------------------------------


def run_replication(config: ReplicationConfig, command: str, log: Log = print) -> dict[str, Any]:
    """Every step for every seed; writes the report and returns the results."""
    import torch

    from benchmarks.replication.outcomes import gold_target, steps_to_target
    from benchmarks.replication.report import plot_gold, render_table

    if config.threads:
        torch.set_num_threads(config.threads)
    started = Stopwatch()
    work = Path(config.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    train_records = spread_subset(read_records(Path(config.train_prompts)), config.max_train_prompts)
    heldout_records = spread_subset(read_records(Path(config.heldout_prompts)), config.max_heldout_prompts)
    prompts_file = work / "ppo_prompts.jsonl"
    write_records(prompts_file, train_records)

    # 1. pairs, 2-3. edits through the annotation path
    loaded: dict[str, Any] = {}
    train_pairs = cached_pairs(config, "train", train_records, loaded, log)
    heldout_pairs = cached_pairs(config, "heldout", heldout_records, loaded, log)
    loaded.clear()
    train_export, train_changed = edit_and_export(config, "train", train_pairs, log)
    heldout_export, _ = edit_and_export(config, "heldout", heldout_pairs, log)

    seeds: dict[str, dict[str, Any]] = {}
    for seed in config.seeds:
        # 4. reward models, 5. PPO in both modes, 6. win rates
        reward_models, rm_metrics = train_reward_models(config, seed, train_export, heldout_export, log)
        ppo = train_both_modes(config, seed, reward_models, prompts_file, log)
        wins = evaluate_policies(config, seed, [r.prompt for r in heldout_records], ppo, log)
        seeds[str(seed)] = {"reward_models": rm_metrics, "ppo": ppo, "win_rates": wins}

    # 7. report
    curves = [s["ppo"][m]["gold"] for s in seeds.values() for m in ("sequence", "token")]
    target = gold_target(curves, config.gold_smoothing, config.gold_target_gain, config.gold_target)
    for s in seeds.values():
        s["steps_to_target"] = {m: steps_to_target(s["ppo"][m]["steps"], s["ppo"][m]["gold"], target,
                                                   config.gold_smoothing) for m in ("sequence", "token")}
    results: dict[str, Any] = {
        "command": command, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": started.as_dict()["wall_s"], "cpu_seconds": started.as_dict()["cpu_s"], "machine": _machine(),
        "config": dataclasses.asdict(config), "model": config.model, "token_loss": config.token_loss,
        "ppo_steps": max(len(s["ppo"]["sequence"]["steps"]) for s in seeds.values()),
        "gold_target": target, "gold_smoothing": config.gold_smoothing,
        "data": {"train_pairs": len(train_pairs), "train_edited": train_changed, "heldout_pairs": len(heldout_pairs),
                 "train_prompts": len(train_records), "heldout_prompts": len(heldout_records),
                 "train_export": str(train_export), "heldout_export": str(heldout_export)},
        "seeds": seeds,
    }
    write_report(Path(config.results_dir), results, render_table(results), plot_gold)
    log(f"done in {results['seconds'] / 60:.1f} min; results in {config.results_dir}")
    return results


def _machine() -> dict[str, Any]:
    import os

    import torch

    return {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
            "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "load_average_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None}


def write_report(out: Path, results: dict[str, Any], table: str, plot: Callable[[dict[str, Any], Path], Path]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    header = (f"# Replication: fine-grained PPO vs PPO ({results['model']})\n\n"
              f"Command: `{results['command']}`  \nFinished {results['finished']} after "
              f"{results['seconds'] / 60:.1f} min (process CPU time {results['cpu_seconds'] / 60:.1f} min) on "
              f"{results['machine']['cpus']} CPUs, torch threads {results['machine']['torch_threads']}, "
              f"load average at the end {results['machine']['load_average_at_end'][0]:.1f}.\n\n")
    (out / "table.md").write_text(header + table, encoding="utf-8")
    (out / "command.txt").write_text(results["command"] + "\n", encoding="utf-8")
    plot(results, out / "gold_vs_step.png")


def load_replication_config(spec: str, overrides: list[str], seeds: int | None) -> ReplicationConfig:
    from training.config_io import load_config

    extra = [f"seeds={json.dumps(list(range(seeds)))}"] if seeds else []
    return load_config(ReplicationConfig, spec, PRESETS, [*overrides, *extra])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replication.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 'quick' preset: tiny model, minutes (CI)")
    parser.add_argument("--config", default=None, help=f"preset ({', '.join(PRESETS)}) or YAML/JSON file; default full")
    parser.add_argument("--seeds", type=int, default=None, help="run seeds 0..N-1")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one field of the config (repeatable)")
    args = parser.parse_args(argv)
    spec = "quick" if args.quick else (args.config or "full")
    try:
        config = load_replication_config(spec, args.overrides, args.seeds)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    command = "python -m benchmarks.replication.run " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    log_path = Path(config.work_dir) / "log.txt"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as log_file:
        def log(message: str) -> None:
            line = f"[{datetime.now().strftime('%H:%M:%S')}] {message}"
            print(line, flush=True)
            log_file.write(line + "\n")
            log_file.flush()

        run_replication(config, command.strip(), log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
