"""Train a token-level or a sequence-level (Bradley-Terry) reward model on a token-labels export.

    python -m training.reward.train --config FILE_OR_PRESET [--set key=value ...] [--output-dir DIR]
    accelerate launch -m training.reward.train --config gpu ...      # several GPUs or hosts

The output directory receives checkpoint/ (safetensors trunk and head, tokenizer, reward_model.json,
training_config.yaml), run_config.yaml, run.json (export id and hash, seed, package versions, git commit,
data counts), metrics.jsonl, eval.json and training.png.

metrics.jsonl has one JSON object per line, flushed as it is written. Every line has `step`,
`total_steps` and `split`: 'train' lines add loss, lr, tokens_per_s, elapsed_s, eta_s; 'validation'
lines add the evaluation metrics (edit_pair_accuracy, original_pair_accuracy, token_auroc...).
Bad input (config, export, model spec) exits with code 2 and one line naming the problem.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from training.allocator import allocator_in_use, allow_restart, pin_mmap_threshold, run_on_allocator
from training.config_io import ConfigError, load_config, save_config
from training.lean_layers import use_lean_layers
from training.ops import adamw
from training.reward.config import PRESETS, RewardModelConfig
from training.reward.data import Pair, collate_pairs
from training.reward.dataset import RewardData, build_reward_data, tokenizer_identity
from training.reward.evaluate import PairScores, format_table, score_pairs, summarize
from training.reward.export_file import RewardDataError, read_export
from training.reward.losses import sequence_bt_loss, token_bt_loss, token_class_loss, token_regress_loss
from training.reward.model import (
    TRAINING_CONFIG_FILE,
    ModelSpecError,
    RewardModel,
    build_reward_model,
    load_tokenizer_from,
    resolve_model_dir,
    save_reward_model,
)
from training.reward.run_files import MetricsLog, provenance, write_json

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass
class TrainResult:
    """Where a finished run put its files, and its final validation metrics."""

    output_dir: Path
    checkpoint_dir: Path
    metrics: dict[str, float]
    steps: int
    tokens_per_s: float
    seconds: float
    model: RewardModel | None = None
    """The trained model in memory (unwrapped), for callers that go on using it."""
    main_process: bool = True
    """False on the other processes of a multi-process run (they print nothing)."""


def compute_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor], config: RewardModelConfig) -> torch.Tensor:
    """The configured loss on a batch of 2B sequences (B better, then B worse)."""
    outputs = model(batch["input_ids"], batch["attention_mask"])  # (2B, T, K)
    labels = batch["labels"]  # (2B, T)
    half = labels.shape[0] // 2
    if config.model_type == "sequence":
        last = batch["attention_mask"].sum(dim=1) - 1  # (2B,) right padding
        scores = outputs.squeeze(-1).gather(1, last.unsqueeze(1)).squeeze(1).float()  # (2B,)
        return sequence_bt_loss(scores[:half], scores[half:])
    if config.token_loss == "token-bt":
        rewards = outputs.squeeze(-1).float()  # (2B, T)
        return token_bt_loss(rewards[:half], labels[:half], rewards[half:], labels[half:], config.neutral_penalty)
    if config.token_loss == "token-class":
        return token_class_loss(outputs, labels, config.neutral_smoothing, config.neutral_weight)
    return token_regress_loss(outputs.squeeze(-1), labels, config.neutral_weight)


def evaluate_distributed(accelerator: Any, model: RewardModel, pairs: list[Pair], batch_size: int, pad_id: int) -> PairScores:
    """Each process scores its share of the pairs; every process gets all the scores back."""
    from accelerate.utils import gather_object

    mine = score_pairs(model, pairs[accelerator.process_index :: accelerator.num_processes], batch_size, pad_id)
    if accelerator.num_processes == 1:
        return mine
    merged = PairScores()
    for part in gather_object([mine]):
        merged.extend(part)
    return merged


def validate(accelerator: Any, model: RewardModel, data: RewardData, config: RewardModelConfig, pad_id: int) -> dict[str, float]:
    unwrapped = accelerator.unwrap_model(model)
    edits = evaluate_distributed(accelerator, unwrapped, data.val_edits, config.batch_size, pad_id)
    originals = evaluate_distributed(accelerator, unwrapped, data.val_original, config.batch_size, pad_id)
    return summarize(edits, originals, config.model_type)


def make_scheduler(optimizer: torch.optim.Optimizer, config: RewardModelConfig, total_steps: int) -> Any:
    from transformers import get_scheduler

    name = "constant_with_warmup" if config.lr_scheduler == "constant" else config.lr_scheduler
    warmup = int(config.warmup_ratio * total_steps)
    return get_scheduler(name, optimizer, num_warmup_steps=warmup, num_training_steps=total_steps)


def add_lora(model: RewardModel, config: RewardModelConfig) -> None:
    """Swap the trunk for a LoRA-wrapped one; the head stays fully trainable."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=list(config.lora_target_modules))
    model.trunk = get_peft_model(model.trunk, lora)


def train_reward_model(config: RewardModelConfig, on_progress: ProgressFn | None = None) -> TrainResult:
    """Run one training to the end; every input is checked before the model is loaded."""
    threads = torch.get_num_threads()
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    try:
        return _train(config, on_progress)
    finally:
        torch.set_num_threads(threads)  # the caller's process keeps its own setting


def _train(config: RewardModelConfig, on_progress: ProgressFn | None) -> TrainResult:
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # 1. check the export and the model spec before anything heavy
    rows, export_info = read_export(config.data_path)
    model_dir = resolve_model_dir(config.model)
    accelerator = Accelerator(mixed_precision=config.mixed_precision,
                              gradient_accumulation_steps=config.gradient_accumulation_steps)
    set_seed(config.seed)
    if accelerator.device.type == "cpu" and config.cpu_mmap_threshold_mib:  # before the model is loaded
        pin_mmap_threshold(config.cpu_mmap_threshold_mib * 1024 * 1024)
    out = Path(config.output_dir)
    main_process = accelerator.is_main_process
    if main_process:
        out.mkdir(parents=True, exist_ok=True)
        save_config(config, out / "run_config.yaml")

    # 2. data: encode for this tokenizer, split by prompt
    tokenizer = load_tokenizer_from(model_dir)
    data = build_reward_data(rows, export_info, tokenizer, config.max_length, config.validation_fraction,
                             config.seed, train_on=config.pairs if config.model_type == "sequence" else "edits")
    pad_id = tokenizer.pad_token_id
    loader: Any = torch.utils.data.DataLoader(
        data.train,  # type: ignore[arg-type]  # a list is a map-style dataset
        batch_size=config.batch_size, shuffle=True, collate_fn=lambda b: collate_pairs(b, pad_id),
        generator=torch.Generator().manual_seed(config.seed),
    )

    # 3. model, optimiser, schedule
    model = build_reward_model(model_dir, config.model_type, config.loss_name, tokenizer, config.seed)
    if config.lean_layers:
        use_lean_layers(model.trunk)
    if config.gradient_checkpointing:
        model.trunk.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if config.lora:
        add_lora(model, config)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = adamw(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    steps_per_epoch = max(1, math.ceil(len(loader) / config.gradient_accumulation_steps))
    total_steps = config.max_steps or steps_per_epoch * config.epochs
    scheduler = make_scheduler(optimizer, config, total_steps)

    run_info: dict[str, Any] = {
        **provenance(), "seed": config.seed, "model": config.model, "model_dir": str(model_dir),
        "model_type": config.model_type, "loss": config.loss_name, "total_steps": total_steps,
        "export": vars(data.export), "data": data.stats, "world_size": accelerator.num_processes,
        "device": str(accelerator.device), "mixed_precision": config.mixed_precision,
        "cpu_allocator": allocator_in_use(),
    }
    run_info["tokenizer_name"], run_info["tokenizer_hash"] = tokenizer_identity(tokenizer)
    if main_process:
        write_json(out / "run.json", run_info)
    log = MetricsLog(out / "metrics.jsonl" if main_process else None)
    emit = on_progress if (on_progress and main_process) else (lambda row: None)

    # 4. train: one optimiser step per gradient_accumulation_steps batches
    step, tokens, window_loss, window_batches = 0, 0, 0.0, 0
    final_metrics: dict[str, float] = {}
    has_validation = bool(data.val_edits or data.val_original)
    if has_validation and config.eval_every:  # the starting point of the validation curves
        row = {"step": 0, "total_steps": total_steps, "split": "validation",
               **validate(accelerator, model, data, config, pad_id)}
        log.write(row)
        emit(row)
    model.train()
    started = time.perf_counter()
    while step < total_steps:
        for batch in loader:
            with accelerator.accumulate(model):
                loss = compute_loss(model, batch, config)
                accelerator.backward(loss)
                if accelerator.sync_gradients and config.max_grad_norm > 0:
                    accelerator.clip_grad_norm_(params, config.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            tokens += int(batch["attention_mask"].sum())
            window_loss += float(loss.detach())
            window_batches += 1
            if not accelerator.sync_gradients:
                continue
            scheduler.step()
            step += 1
            if step % config.log_every == 0 or step == total_steps:
                elapsed = time.perf_counter() - started
                mean_loss = float(accelerator.reduce(torch.tensor(window_loss / window_batches,
                                                                  device=accelerator.device), "mean"))
                all_tokens = int(accelerator.reduce(torch.tensor(tokens, device=accelerator.device), "sum"))
                row = {"step": step, "total_steps": total_steps, "split": "train", "loss": mean_loss,
                       "lr": scheduler.get_last_lr()[0], "tokens_per_s": all_tokens / max(elapsed, 1e-9),
                       "elapsed_s": elapsed, "eta_s": elapsed / step * (total_steps - step)}
                log.write(row)
                emit(row)
                window_loss, window_batches = 0.0, 0
            at_end = step == total_steps
            if has_validation and (at_end or (config.eval_every and step % config.eval_every == 0)):
                final_metrics = validate(accelerator, model, data, config, pad_id)
                row = {"step": step, "total_steps": total_steps, "split": "validation", **final_metrics}
                log.write(row)
                emit(row)
                model.train()
            if at_end:
                break

    # 5. save the checkpoint (LoRA adapters merged into the trunk), the summary and the plot
    seconds = time.perf_counter() - started
    all_tokens = int(accelerator.reduce(torch.tensor(tokens, device=accelerator.device), "sum"))
    accelerator.wait_for_everyone()
    checkpoint = out / "checkpoint"
    if main_process:
        unwrapped = accelerator.unwrap_model(model)
        trunk = unwrapped.trunk.merge_and_unload() if config.lora else unwrapped.trunk
        save_reward_model(unwrapped, checkpoint, trunk=trunk)
        save_config(config, checkpoint / TRAINING_CONFIG_FILE)
        run_info.update(finished_steps=step, train_seconds=seconds, tokens_per_s=all_tokens / max(seconds, 1e-9))
        write_json(out / "run.json", run_info)
        write_json(out / "eval.json", {"step": step, **final_metrics})
        log.close()
        if config.plots:
            from training.reward.plots import plot_run

            plot_run(out / "metrics.jsonl", out / "training.png", title=f"{config.loss_name} reward model, {config.model}")
    accelerator.wait_for_everyone()
    return TrainResult(out, checkpoint, final_metrics, step, all_tokens / max(seconds, 1e-9), seconds,
                       accelerator.unwrap_model(model), main_process)


def config_from_args(config: str, overrides: list[str], output_dir: str | None) -> RewardModelConfig:
    """The config of a command line: preset or file, then --set overrides, then --output-dir."""
    extra = [f"output_dir={output_dir}"] if output_dir else []
    return load_config(RewardModelConfig, config, PRESETS, [*overrides, *extra])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.reward.train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help=f"preset ({', '.join(PRESETS)}) or YAML/JSON file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field; repeatable")
    parser.add_argument("--output-dir", help="where to write the run (overrides output_dir)")
    args = parser.parse_args(argv)

    def print_progress(row: dict[str, Any]) -> None:
        if row["split"] == "validation":
            shown = ", ".join(f"{k} {v:.3f}" for k, v in row.items() if isinstance(v, float))
            print(f"step {row['step']}/{row['total_steps']} validation: {shown}", flush=True)
        elif row["step"] == row["total_steps"] or row["step"] % max(1, row["total_steps"] // 20) == 0:
            print(f"step {row['step']}/{row['total_steps']} loss {row['loss']:.4f} "
                  f"{row['tokens_per_s']:.0f} tokens/s eta {row['eta_s']:.0f}s", flush=True)

    try:
        config = config_from_args(args.config, args.overrides, args.output_dir)
        run_on_allocator(config.cpu_allocator)  # executes this program again when it must switch
        result = train_reward_model(config, on_progress=print_progress)
    except (ConfigError, RewardDataError, ModelSpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result.main_process:
        print(format_table({config.loss_name: result.metrics}))
        print(f"checkpoint: {result.checkpoint_dir}")
    return 0


if __name__ == "__main__":
    allow_restart()
    raise SystemExit(main())
