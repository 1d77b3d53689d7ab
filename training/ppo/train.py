"""One PPO loop for standard and fine-grained RLHF: the reward mode is the only difference between runs.

Run it with `python -m training.ppo.train --config FILE_OR_PRESET [--set key=value ...] [--output-dir DIR]`
(or `accelerate launch -m training.ppo.train ...` on several GPUs), or call `train_ppo(config)`.
"""

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed

from training.ops import adamw, masked_mean
from training.ppo.advantages import compute_gae, whiten
from training.ppo.config import PRESETS, PPOConfig
from training.ppo.outputs import MetricsLog, load_gold_judge, plot_metrics, write_run_files
from training.ppo.policy import (
    PolicyWithValue,
    build_policy,
    load_policy_tokenizer,
    reference_logits,
    save_policy,
    token_entropy,
    token_logprobs,
)
from training.ppo.prompts import PromptSampler, load_prompts
from training.ppo.rewards import build_rewards, estimate_kl
from training.ppo.rollout import (
    Rollout,
    decode_responses,
    encode_prompts,
    sample_responses,
    template_tail_ids,
)
from training.ppo.scoring import RewardScorer, check_scorers, load_scorers, needed_scorers, score_rollout
from training.reward.model import resolve_model_dir

StepCallback = Callable[[dict[str, Any]], None]


@dataclass
class Run:
    """What every step needs, built once."""

    config: PPOConfig
    accelerator: Accelerator
    policy: torch.nn.Module  # PolicyWithValue, possibly wrapped for DDP
    frozen_reference: torch.nn.Module | None
    optimizer: torch.optim.Optimizer
    tokenizer: Any
    scorers: dict[str, RewardScorer]
    sampler: PromptSampler
    gold_judge: Callable[[str, str], float] | None
    tail_ids: list[int]  # what the chat template puts after a response, for the reward models
    model_dir: Path  # the initial policy

    @property
    def unwrapped(self) -> PolicyWithValue:
        return self.accelerator.unwrap_model(self.policy)


def build_run(config: PPOConfig, scorers: dict[str, RewardScorer] | None = None) -> Run:
    """Load prompts, reward models, the policy with its value head, the reference and the optimiser."""
    prompts = load_prompts(config.data_path)  # bad inputs fail here, before any model loads
    gold_judge = load_gold_judge(config.gold_judge)
    accelerator = Accelerator(mixed_precision=config.mixed_precision)
    set_seed(config.seed)  # same initial value head on every process
    model_dir = resolve_model_dir(config.policy)
    tokenizer = load_policy_tokenizer(model_dir)
    if scorers is None:
        scorers = load_scorers(config, tokenizer, accelerator.device)
    scorers = needed_scorers(config, scorers)
    check_scorers(scorers, tokenizer)
    policy, frozen = build_policy(config, model_dir)
    trainable = [p for p in policy.parameters() if p.requires_grad]
    optimizer = adamw(trainable, lr=config.learning_rate, eps=1e-5, weight_decay=0.0)
    policy, optimizer = accelerator.prepare(policy, optimizer)
    if frozen is not None:
        frozen = frozen.to(accelerator.device)
    sampler = PromptSampler(prompts, config.seed, accelerator.process_index, accelerator.num_processes)
    set_seed(config.seed + accelerator.process_index)  # different samples on each process
    return Run(config, accelerator, policy, frozen, optimizer, tokenizer, scorers, sampler, gold_judge,
               template_tail_ids(tokenizer), model_dir)


def train_ppo(
    config: PPOConfig, on_step: StepCallback | None = None, *, scorers: dict[str, RewardScorer] | None = None
) -> Path:
    """Train a policy with PPO and return the final checkpoint directory (output_dir/checkpoint).

    on_step(row) is called on the main process after each step with the metrics row written to
    metrics.jsonl (step, total_steps, reward, gold_score, kl, entropy, value_loss, clip_fraction, ...).
    scorers replaces the reward models named in the config (objects with the load_reward_model API).
    """
    run = build_run(config, scorers)
    accelerator, out_dir = run.accelerator, Path(config.output_dir)
    log = sample_log = None
    if accelerator.is_main_process:
        write_run_files(out_dir, config, run.model_dir, accelerator.num_processes)
        log, sample_log = MetricsLog(out_dir / "metrics.jsonl"), MetricsLog(out_dir / "samples.jsonl")
    rows = []
    try:
        for step in range(1, config.total_steps + 1):
            row, samples = run_step(run, step)
            if log is not None and sample_log is not None:
                rows.append(row)
                log.write(row)
                for sample in samples:  # this process's responses, to read what the reward is doing
                    sample_log.write(sample)
                if on_step is not None:
                    on_step(row)
            if config.save_every and step % config.save_every == 0 and step < config.total_steps:
                save_checkpoint(run, out_dir / f"checkpoint-step{step}")
    finally:
        for file in (log, sample_log):
            if file is not None:
                file.close()
    checkpoint = save_checkpoint(run, out_dir / "checkpoint")
    if accelerator.is_main_process and config.plots and rows:
        plot_metrics(rows, out_dir / "metrics.png")
    return checkpoint


def run_step(run: Run, step: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One PPO step: rollout, scoring, rewards, advantages, updates; returns the metrics row and samples."""
    config, device = run.config, run.accelerator.device
    clock = PhaseClock()

    # 1. rollout: one sampled response per prompt from the current policy
    prompts = run.sampler.next_batch(config.batch_size)
    query, query_mask = encode_prompts(run.tokenizer, prompts, config.max_prompt_tokens)  # (B, P)
    with run.accelerator.autocast():
        rollout = sample_responses(
            run.unwrapped.lm, run.tokenizer, query.to(device), query_mask.to(device),
            config.max_new_tokens, config.temperature, config.top_k,
        )
    mask = rollout.response_mask.float()  # (B, R)
    clock.lap("time_generation")

    # 2. score: log-probs and values of the sampling policy, reference log-probs, reward models
    with run.accelerator.autocast():
        old_logprobs, old_values, ref_logprobs = rollout_logprobs(run, rollout)  # (B, R) each
        clock.lap("time_logprobs")
        token_scores, sequence_scores = score_rollout(  # (B, R) | None, (B,) | None
            run.scorers, rollout, run.tail_ids, run.tokenizer.pad_token_id)
    clock.lap("time_reward_models")

    # 3. rewards: reward-model scores where the mode puts them, minus beta * KL on every token
    kl = estimate_kl(old_logprobs, ref_logprobs, config.kl_estimator) * mask  # (B, R)
    rewards, model_rewards = build_rewards(config, kl, mask, rollout.has_eos, token_scores, sequence_scores)

    # 4. advantages: GAE over response tokens, then whitened over the batch
    advantages, returns = compute_gae(rewards, old_values, mask, config.gamma, config.lam)  # (B, R) each
    advantages = whiten(advantages, mask)

    # 5. updates: ppo_epochs passes of shuffled mini-batches with clipped policy and value losses
    stats = update_policy(run, rollout, old_logprobs, old_values, advantages, returns)
    clock.lap("time_update")

    # 6. metrics, averaged over processes
    row = {
        "reward": model_rewards.sum(1).mean().item(),
        "reward_total": (model_rewards - config.kl_coef * kl).sum(1).mean().item(),
        "kl": kl.sum(1).mean().item(),
        "response_length": mask.sum(1).mean().item(),
        "eos_fraction": rollout.has_eos.float().mean().item(),
        **stats,
    }
    if token_scores is not None:
        row["token_reward"] = token_scores.sum(1).mean().item()
    if sequence_scores is not None:
        row["sequence_score"] = sequence_scores.mean().item()
    responses = decode_responses(run.tokenizer, rollout)
    samples = [{"step": step, "prompt": p, "response": r, "reward": s}
               for p, r, s in zip(prompts, responses, model_rewards.sum(1).tolist(), strict=True)]
    if run.gold_judge is not None:
        for sample in samples:
            sample["gold_score"] = run.gold_judge(sample["prompt"], sample["response"])
        row["gold_score"] = sum(sample["gold_score"] for sample in samples) / len(samples)
        clock.lap("time_gold_judge")
    row.update(clock.times)
    row["time_step"] = clock.total()
    row = average_over_processes(run.accelerator, row)
    return {"step": step, "total_steps": config.total_steps, "reward_mode": config.reward_mode, **row}, samples


@torch.no_grad()
def rollout_logprobs(run: Run, rollout: Rollout) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Policy log-probs, values and reference log-probs (B, R) of the sampled tokens, in mini-batches."""
    ids, attention = rollout.input_ids, rollout.attention_mask  # (B, T)
    length, temperature = rollout.response.shape[1], run.config.temperature
    logprobs, values, ref_logprobs = [], [], []
    for chunk in torch.arange(ids.shape[0]).split(run.config.mini_batch_size):
        logits, value = run.unwrapped(ids[chunk], attention[chunk], length)  # (b, R, V), (b, R)
        logprobs.append(token_logprobs(logits, rollout.response[chunk], temperature))
        values.append(value.float())
        del logits
        ref = reference_logits(run.unwrapped, run.frozen_reference, ids[chunk], attention[chunk], length)
        ref_logprobs.append(token_logprobs(ref, rollout.response[chunk], temperature))
    mask = rollout.response_mask.float()
    return torch.cat(logprobs) * mask, torch.cat(values) * mask, torch.cat(ref_logprobs) * mask


def update_policy(
    run: Run, rollout: Rollout, old_logprobs: torch.Tensor, old_values: torch.Tensor,
    advantages: torch.Tensor, returns: torch.Tensor,
) -> dict[str, float]:
    """PPO-clip updates; every input is (B, R). Returns the mean of each loss statistic."""
    config = run.config
    ids, attention = rollout.input_ids, rollout.attention_mask  # (B, T)
    mask = rollout.response_mask.float()  # (B, R)
    length = rollout.response.shape[1]
    stats: dict[str, list[float]] = defaultdict(list)
    for _ in range(config.ppo_epochs):
        for idx in torch.randperm(ids.shape[0]).split(config.mini_batch_size):
            m = mask[idx]  # (b, R)
            logits, values = run.policy(ids[idx], attention[idx], length)  # (b, R, V), (b, R)
            logprobs = token_logprobs(logits, rollout.response[idx], config.temperature)  # (b, R)
            log_ratio = logprobs - old_logprobs[idx]  # (b, R)
            ratio = torch.exp(log_ratio)
            policy_losses = -advantages[idx] * ratio
            clipped_losses = -advantages[idx] * ratio.clamp(1 - config.clip_range, 1 + config.clip_range)
            policy_loss = masked_mean(torch.max(policy_losses, clipped_losses), m)
            values = values.float()
            clipped_values = old_values[idx] + (values - old_values[idx]).clamp(
                -config.clip_range_value, config.clip_range_value)
            value_losses = (values - returns[idx]) ** 2  # (b, R)
            clipped_value_losses = (clipped_values - returns[idx]) ** 2
            value_loss = 0.5 * masked_mean(torch.max(value_losses, clipped_value_losses), m)
            loss = policy_loss + config.value_coef * value_loss
            run.optimizer.zero_grad(set_to_none=True)
            run.accelerator.backward(loss)
            if config.max_grad_norm > 0:
                run.accelerator.clip_grad_norm_(run.policy.parameters(), config.max_grad_norm)
            run.optimizer.step()
            with torch.no_grad():
                stats["policy_loss"].append(policy_loss.item())
                stats["value_loss"].append(value_loss.item())
                stats["clip_fraction"].append(masked_mean((clipped_losses > policy_losses).float(), m).item())
                stats["value_clip_fraction"].append(
                    masked_mean((clipped_value_losses > value_losses).float(), m).item())
                stats["approx_kl"].append(masked_mean(0.5 * log_ratio**2, m).item())
                stats["entropy"].append(masked_mean(token_entropy(logits, config.temperature), m).item())
            del logits, values, loss
    return {key: sum(values) / len(values) for key, values in stats.items()}


def save_checkpoint(run: Run, directory: Path) -> Path:
    """Save on the main process; every process waits so that none runs ahead."""
    run.accelerator.wait_for_everyone()
    if run.accelerator.is_main_process:
        save_policy(run.unwrapped, run.tokenizer, directory)
    run.accelerator.wait_for_everyone()
    return directory


def average_over_processes(accelerator: Accelerator, row: dict[str, float]) -> dict[str, float]:
    """The mean of each metric over processes (a no-op with one process)."""
    if accelerator.num_processes == 1:
        return row
    keys = sorted(row)
    values = torch.tensor([float(row[k]) for k in keys], device=accelerator.device)
    values = accelerator.reduce(values, reduction="mean")
    return dict(zip(keys, values.tolist(), strict=True))


class PhaseClock:
    """Wall-clock seconds per phase of a step."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.times: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = self.times.get(name, 0.0) + now - self.last
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.start


def load_ppo_config(spec: str, overrides: list[str] | tuple[str, ...] = (), output_dir: str | None = None) -> PPOConfig:
    """A PPOConfig from a preset name or YAML/JSON file, `key=value` overrides, and an output directory."""
    from training.config_io import load_config

    config = load_config(PPOConfig, spec, PRESETS, list(overrides))
    return replace(config, output_dir=output_dir) if output_dir else config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ppo.train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help=f"preset ({', '.join(PRESETS)}) or YAML/JSON file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one field, e.g. --set reward_mode=sequence (repeatable)")
    parser.add_argument("--output-dir", default=None, help="where outputs go (overrides output_dir)")
    args = parser.parse_args(argv)
    try:
        config = load_ppo_config(args.config, args.overrides, args.output_dir)
        checkpoint = train_ppo(config, on_step=print_step)
    except (ValueError, FileNotFoundError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"checkpoint: {checkpoint}")
    return 0


def print_step(row: dict[str, Any]) -> None:
    print(f"step {row['step']}/{row['total_steps']} reward {row['reward']:.4f} kl {row['kl']:.4f} "
          f"value_loss {row['value_loss']:.4f} {row['time_step']:.1f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
