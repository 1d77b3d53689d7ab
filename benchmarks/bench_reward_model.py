"""Reward-model training throughput: our token-level model against our Bradley-Terry model and TRL's
RewardTrainer, on the same edit pairs (identical token ids) and the same trunk, in one run.

Every pair is cut to exactly --length tokens a side, so each optimiser step sees 2 x batch x length real
tokens for every contender. A contender written NAME@M runs micro-batches of M pairs with gradient
accumulation up to the same --batch-size (less activation memory, the same update); NAME:ALLOCATOR runs it on
'jemalloc' or 'system' (glibc's) malloc, where ours default to their config's (jemalloc) and TRL to the
system's, as each ships. Each contender trains in its own process, so that its peak memory (ru_maxrss,
or torch.cuda.max_memory_allocated on a GPU) is its own. Tokens/s come from the median step time after
the first (warm-up) step. Targets: the token model at most 1.1 x the Bradley-Terry model's time per token;
ours at least TRL's tokens/s with less peak memory.

    pip install -e '.[bench]'   # TRL, only for this benchmark; without it the TRL column is skipped
    python benchmarks/bench_reward_model.py --batch-size 8 --length 256 --steps 5
    python benchmarks/bench_reward_model.py --contenders token-bt,sequence-bt,trl,trl:jemalloc
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from training.allocator import ALLOCATORS, allocator_env, allocator_in_use  # noqa: E402  (after the path)
from training.reward.config import RewardModelConfig  # noqa: E402

CONTENDERS = ("token-bt", "token-class", "token-regress", "sequence-bt", "trl")


def peak_memory_gib() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 1024**3
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def prepare(workdir: Path, args: argparse.Namespace) -> Path:
    """An export of long synthetic edits in the trunk's tokens, every side cut to exactly --length tokens."""
    from training.reward.model import load_tokenizer_from, resolve_model_dir
    from training.reward.synthetic import make_edit_rows, write_export

    tokenizer = load_tokenizer_from(resolve_model_dir(args.model))
    count = args.batch_size * args.steps
    rows = make_edit_rows(tokenizer, count, seed=0, sentences=max(8, args.length // 6))
    for row in rows:
        for side in ("original", "edited"):
            ids, labels = row[f"{side}_input_ids"], row[f"{side}_labels"]
            if len(ids) < args.length:
                raise SystemExit(f"a synthetic response is shorter than {args.length} tokens; lower --length")
            row[f"{side}_input_ids"], row[f"{side}_labels"] = ids[: args.length], labels[: args.length]
    return write_export(rows, workdir / "data.jsonl", export_id="bench-reward-model")


def split_name(name: str, batch_size: int) -> tuple[str, int, str]:
    """('token-bt', 4, 'system') from 'token-bt@4:system'; the micro-batch defaults to the whole batch, the
    allocator to the one each contender ships with."""
    spec, _, allocator = name.partition(":")
    base, _, micro = spec.partition("@")
    size = int(micro) if micro.isdigit() else 0
    allocator = allocator or ("system" if base == "trl" else RewardModelConfig.cpu_allocator)
    if base not in CONTENDERS or (micro and size < 1) or batch_size % (size or batch_size) or allocator not in ALLOCATORS:
        raise SystemExit(f"bad contender {name!r}: use NAME[@M][:ALLOCATOR] with NAME in {', '.join(CONTENDERS)}, "
                         f"M dividing --batch-size {batch_size} and ALLOCATOR in {', '.join(ALLOCATORS)}")
    return base, size or batch_size, allocator


def run_ours(loss: str, micro: int, allocator: str, export: Path, workdir: Path, args: argparse.Namespace) -> dict:
    from training.config_io import load_config
    from training.reward.config import PRESETS, RewardModelConfig
    from training.reward.run_files import read_metrics
    from training.reward.train import train_reward_model

    model_type = "sequence" if loss == "sequence-bt" else "token"
    out = workdir / f"{loss}-{micro}"
    sets = [f"model={args.model}", f"data_path={export}", f"output_dir={out}", f"model_type={model_type}",
            f"max_length={args.length}", f"batch_size={micro}", f"gradient_accumulation_steps={args.batch_size // micro}",
            f"max_steps={args.steps}",
            "validation_fraction=0", "eval_every=0", "plots=false", "warmup_ratio=0", "learning_rate=1e-5",
            f"mixed_precision={'bf16' if args.bf16 else 'no'}", f"cpu_allocator={allocator}"]
    if model_type == "token":
        sets.append(f"token_loss={loss}")
    sets += args.set
    peaks: list[float] = []
    train_reward_model(load_config(RewardModelConfig, "smollm2-cpu", PRESETS, sets),
                       on_progress=lambda row: peaks.append(peak_memory_gib()) if row["split"] == "train" else None)
    elapsed = [r["elapsed_s"] for r in read_metrics(out / "metrics.jsonl") if r["split"] == "train"]
    return {"step_s": [b - a for a, b in zip([0.0, *elapsed], elapsed, strict=False)], "step_peaks_gib": peaks}


def run_trl(micro: int, export: Path, workdir: Path, args: argparse.Namespace) -> dict:
    try:
        from datasets import Dataset
        from trl import RewardConfig, RewardTrainer
    except ImportError as exc:
        raise SystemExit(f"TRL is not installed ({exc}); `pip install -e '.[bench]'` to compare with it") from exc
    from transformers import TrainerCallback

    from training.reward.export_file import read_rows
    from training.reward.model import load_tokenizer_from, resolve_model_dir

    model_dir = resolve_model_dir(args.model)
    rows = read_rows(export)
    data = Dataset.from_list([{"chosen_ids": r["edited_input_ids"], "rejected_ids": r["original_input_ids"]}
                              for r in rows])
    stamps: list[float] = []
    peaks: list[float] = []

    class StepTimer(TrainerCallback):
        """Time from one optimiser step's end to the next: loading, forward, backward, update and logging,
        as our trainer's elapsed_s counts them."""

        def on_train_begin(self, *a, **k):  # noqa: ANN002, ANN003, ANN201
            stamps.append(time.perf_counter())

        def on_step_end(self, *a, **k):  # noqa: ANN002, ANN003, ANN201
            stamps.append(time.perf_counter())
            peaks.append(peak_memory_gib())

    config = RewardConfig(output_dir=str(workdir / f"trl-{micro}"), per_device_train_batch_size=micro,
                          gradient_accumulation_steps=args.batch_size // micro, max_steps=args.steps, learning_rate=1e-5, lr_scheduler_type="constant", logging_steps=1,
                          save_strategy="no", report_to=[], max_length=args.length, bf16=args.bf16,
                          dataloader_num_workers=0, gradient_checkpointing=False, disable_tqdm=True)
    trainer = RewardTrainer(model=str(model_dir), args=config, train_dataset=data,
                            processing_class=load_tokenizer_from(model_dir), callbacks=[StepTimer()])
    trainer.train()
    import trl

    return {"step_s": [b - a for a, b in zip(stamps, stamps[1:], strict=False)], "version": trl.__version__,
            "step_peaks_gib": peaks}


def child(name: str, export: Path, workdir: Path, args: argparse.Namespace) -> None:
    base, micro, allocator = split_name(name, args.batch_size)
    result = (run_trl(micro, export, workdir, args) if base == "trl"
              else run_ours(base, micro, allocator, export, workdir, args))
    result["peak_gib"] = peak_memory_gib()
    result["allocator"] = allocator_in_use()
    (workdir / f"{name}.json").write_text(json.dumps(result))


def summarize(name: str, result: dict, tokens_per_step: int) -> dict:
    steady = result["step_s"][1:] or result["step_s"]
    step = statistics.median(steady)
    return {"name": name, "step_s": step, "tokens_per_s": tokens_per_step / step, "peak_gib": result["peak_gib"],
            "first_step_gib": (result["step_peaks_gib"] or [math.nan])[0],
            "version": result.get("version", ""), "allocator": result["allocator"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bundled", help="trunk: 'bundled' (SmolLM2-135M-Instruct), 'tiny' or a dir")
    parser.add_argument("--batch-size", type=int, default=8, help="pairs per step (2 sequences each)")
    parser.add_argument("--length", type=int, default=256, help="tokens per sequence")
    parser.add_argument("--steps", type=int, default=5, help="optimiser steps per contender (the first is warm-up)")
    parser.add_argument("--bf16", action="store_true", help="bf16 mixed precision for every contender (GPU)")
    parser.add_argument("--contenders", default="token-bt,sequence-bt,trl",
                        help=f"comma-separated NAME[@MICRO_BATCH][:ALLOCATOR], NAME from {', '.join(CONTENDERS)}")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config override for our contenders (e.g. cpu_mmap_threshold_mib=0)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workdir = Path(args.workdir)
        child(args.child, workdir / "data.jsonl", workdir, args)
        return 0

    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    for name in names:
        split_name(name, args.batch_size)
    tokens_per_step = 2 * args.batch_size * args.length
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-rm-") as tmp:
        workdir = Path(tmp)
        prepare(workdir, args)
        for name in names:
            cmd = [sys.executable, __file__, "--child", name, "--workdir", str(workdir), "--model", args.model,
                   "--batch-size", str(args.batch_size), "--length", str(args.length), "--steps", str(args.steps)]
            cmd += ["--bf16"] if args.bf16 else []
            cmd += [f"--set={item}" for item in args.set]
            load = os.getloadavg()[0]
            env = {**os.environ, **allocator_env(split_name(name, args.batch_size)[2])}
            done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                print(f"{name}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append({**summarize(name, json.loads((workdir / f"{name}.json").read_text()), tokens_per_step),
                         "load": load})
    print(f"reward-model training, {args.model}, batch {args.batch_size} pairs x {args.length} tokens a side, "
          f"{args.steps} steps ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)")
    # The peak after the first step against the whole run's: how much the allocator's heap grew past the
    # working set as steps went by.
    print(f"{'contender':<28}{'allocator':>10}{'s/step':>9}{'tokens/s':>10}{'step-1 GiB':>11}{'peak GiB':>10}"
          f"{'load':>6}")
    for r in rows:
        label = f"trl {r['version']} {r['name']}" if r["name"].startswith("trl") else f"ours {r['name']}"
        print(f"{label:<28}{r['allocator']:>10}{r['step_s']:>9.2f}{r['tokens_per_s']:>10.0f}"
              f"{r['first_step_gib']:>11.2f}{r['peak_gib']:>10.2f}{r['load']:>6.1f}")
    ours = [r for r in rows if not r["name"].startswith("trl")]
    baselines = [r for r in ours if split_name(r["name"], args.batch_size)[0] == "sequence-bt"]
    for base in baselines[:1]:
        for r in ours:
            if split_name(r["name"], args.batch_size)[0] in ("token-bt", "token-class", "token-regress"):
                ratio = r["step_s"] / base["step_s"]
                print(f"{r['name']} time per token / {base['name']}: {ratio:.2f} (target <= 1.10)")
    for trl in (r for r in rows if r["name"].startswith("trl")):
        for r in ours:
            print(f"ours {r['name']} / {trl['name']} ({trl['allocator']}): tokens/s "
                  f"{r['tokens_per_s'] / trl['tokens_per_s']:.2f} (target >= 1.00), "
                  f"peak memory {r['peak_gib'] / trl['peak_gib']:.2f} (target < 1.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
