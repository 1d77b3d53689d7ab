"""PPO step time and peak memory: our loop in sequence and token mode against TRL 0.29.1's PPOTrainer.

All three run on the bundled SmolLM2-135M-Instruct with the same prompts (identical 64-token ids), batch
size, response length and PPO epochs, each in its own process so that its peak memory (ru_maxrss) is its
own. Prints the mean step time over the measured steps (after warm-up), the time in generation, scoring
(policy/reference log-probs, values, reward models) and updates, and the ratios against the targets:
ours <= 1.0 x TRL's step, ours <= 0.75 x TRL's peak memory, token mode <= 1.05 x sequence mode. A fourth
run alternates the two modes step by step in one process, so that their ratio is taken under the same load
(the machine may be shared); --repeat runs the others in alternating order for the same reason.

    pip install -e '.[bench]'   # trl==0.29.1, only for this benchmark
    python benchmarks/bench_ppo_speed.py --batch-size 8 --response-length 32 --ppo-epochs 1
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

RUNS = ("ours-sequence", "ours-token", "trl", "ours-interleaved")
TOPICS = ["the history of tea", "how bridges carry weight", "why the sky is blue", "saving money each month",
          "training a puppy", "the water cycle", "learning a new language", "growing tomatoes at home"]


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def prompt_texts(batch_size: int) -> list[str]:
    """Prompts long enough that the chat-formatted ids are cut to exactly --prompt-tokens."""
    base = ("Please explain {topic} to a curious student. Cover the main ideas, give one example, "
            "mention a common mistake, and end with a short summary that a beginner can remember.")
    return [base.format(topic=TOPICS[i % len(TOPICS)]) + f" (question {i})" for i in range(batch_size)]


def prepare(workdir: Path, args: argparse.Namespace) -> None:
    """Reward models on the SmolLM2 trunk (untrained heads: speed does not depend on them) and prompts."""
    from training.bundled import bundled_model_dir
    from training.ppo.policy import load_policy_tokenizer
    from training.ppo.rollout import encode_prompts
    from training.reward.model import build_reward_model, save_reward_model

    model_dir = bundled_model_dir()
    tokenizer = load_policy_tokenizer(model_dir)
    for kind, loss in (("token", "token-bt"), ("sequence", "sequence-bt")):
        save_reward_model(build_reward_model(model_dir, kind, loss, tokenizer, seed=0), workdir / f"rm-{kind}")
    texts = prompt_texts(args.batch_size)
    ids, mask = encode_prompts(tokenizer, texts, args.prompt_tokens)
    if not bool(mask.all()) or ids.shape[1] != args.prompt_tokens:
        raise SystemExit(f"prompts are shorter than {args.prompt_tokens} tokens; lower --prompt-tokens")
    (workdir / "prompts.jsonl").write_text("".join(json.dumps({"prompt": t}) + "\n" for t in texts))
    (workdir / "prompt_ids.json").write_text(json.dumps(ids.tolist()))


def ours_config(mode: str, workdir: Path, args: argparse.Namespace):  # noqa: ANN201
    from training.ppo.config import PPOConfig

    return PPOConfig(
        policy="bundled", reward_mode=mode, token_reward_model=str(workdir / "rm-token"),
        sequence_reward_model=str(workdir / "rm-sequence"), data_path=str(workdir / "prompts.jsonl"),
        output_dir=str(workdir / f"ours-{mode}"), total_steps=args.warmup + args.steps, batch_size=args.batch_size,
        mini_batch_size=args.batch_size, ppo_epochs=args.ppo_epochs, max_prompt_tokens=args.prompt_tokens,
        max_new_tokens=args.response_length, plots=False,
    )


def run_ours(mode: str, workdir: Path, args: argparse.Namespace) -> dict:
    from training.ppo.train import train_ppo

    config = ours_config(mode, workdir, args)
    rows: list[dict] = []

    def record(row: dict) -> None:
        rows.append({**row, "cpu_mark": time.process_time()})

    train_ppo(config, on_step=record)
    measured = rows[args.warmup:]
    mean = lambda key: sum(r[key] for r in measured) / len(measured)  # noqa: E731
    return {
        "step_s": mean("time_step"), "generation_s": mean("time_generation"), "cpu_s": cpu_per_step(rows, args),
        "scoring_s": mean("time_logprobs") + mean("time_reward_models"), "update_s": mean("time_update"),
        "response_length": mean("response_length"), "steps_s": [r["time_step"] for r in measured],
    }


def run_interleaved(workdir: Path, args: argparse.Namespace) -> dict:
    """Both modes in one process, alternating step by step on one policy: the only code that differs
    (scoring with the token or the sequence model, and placing the rewards) is timed under the same load."""
    import dataclasses

    from training.ppo.train import build_run, run_step

    config = ours_config("token+sequence", workdir, args)
    run = build_run(config)
    both = dict(run.scorers)
    times: dict[str, list[float]] = {"sequence": [], "token": []}
    for step in range(1, 2 * (args.warmup + args.steps) + 1):
        mode = "sequence" if step % 2 else "token"
        run.config, run.scorers = dataclasses.replace(config, reward_mode=mode), {mode: both[mode]}
        row, _ = run_step(run, step)
        if step > 2 * args.warmup:
            times[mode].append(row["time_step"])
    mean = {mode: sum(values) / len(values) for mode, values in times.items()}
    return {"token_over_sequence": mean["token"] / mean["sequence"], "sequence_s": mean["sequence"],
            "token_s": mean["token"], "steps_s": times["sequence"] + times["token"]}


def run_trl(workdir: Path, args: argparse.Namespace) -> dict:
    try:
        from datasets import Dataset
        from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, TrainerCallback
        from trl.experimental.ppo import PPOConfig, PPOTrainer, ppo_trainer
    except ImportError as err:
        raise SystemExit(f"TRL's PPOTrainer is missing ({err}); install it with `pip install -e '.[bench]'` "
                         "(trl==0.29.1, the last release line with PPO)") from err
    import torch

    from training.bundled import bundled_model_dir
    from training.ppo.policy import load_policy_tokenizer

    model_dir = bundled_model_dir()
    tokenizer = load_policy_tokenizer(model_dir)
    # TRL masks padding by `ids != pad`, so it needs a pad distinct from EOS (which ends every ChatML turn)
    tokenizer.pad_token = "<|endoftext|>"
    ids = json.loads((workdir / "prompt_ids.json").read_text())
    phases = {"generation": 0.0, "scoring": 0.0}
    timed(ppo_trainer, "batch_generation", phases, lambda: "generation")
    timed(ppo_trainer, "get_reward", phases, lambda: "scoring")  # value model and reward model, no grad
    timed(ppo_trainer, "forward", phases, lambda: None if torch.is_grad_enabled() else "scoring")  # reference

    steps: list[dict] = []

    class StepClock(TrainerCallback):
        def on_train_begin(self, *a, **k):  # noqa: ANN002, ANN003, ANN201
            self.last = time.perf_counter()

        def on_step_end(self, *a, **k):  # noqa: ANN002, ANN003, ANN201
            now = time.perf_counter()
            steps.append({"step_s": now - self.last, "cpu_mark": time.process_time(), **phases})
            phases.update(generation=0.0, scoring=0.0)
            self.last = now

    config = PPOConfig(
        output_dir=str(workdir / "trl"), per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=1,
        num_mini_batches=1, num_ppo_epochs=args.ppo_epochs, response_length=args.response_length,
        total_episodes=args.batch_size * (args.warmup + args.steps), local_rollout_forward_batch_size=args.batch_size,
        stop_token="eos", num_sample_generations=0, report_to=[], save_strategy="no", learning_rate=1e-5,
        kl_coef=0.05, temperature=1.0, seed=0, use_cpu=not torch.cuda.is_available(), disable_tqdm=True,
    )
    models = [AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32) for _ in range(2)]
    scorers = [AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=1, dtype=torch.float32)
               for _ in range(2)]
    dataset = Dataset.from_dict({"input_ids": ids})
    trainer = PPOTrainer(args=config, processing_class=tokenizer, model=models[0], ref_model=models[1],
                         reward_model=scorers[0], value_model=scorers[1], train_dataset=dataset,
                         eval_dataset=dataset, callbacks=[StepClock()])
    trainer.train()
    measured = steps[args.warmup:]
    mean = lambda key: sum(s[key] for s in measured) / len(measured)  # noqa: E731
    return {"step_s": mean("step_s"), "cpu_s": cpu_per_step(steps, args), "generation_s": mean("generation"),
            "scoring_s": mean("scoring"),
            "update_s": mean("step_s") - mean("generation") - mean("scoring"), "response_length": None,
            "steps_s": [s["step_s"] for s in measured]}


def cpu_per_step(rows: list[dict], args: argparse.Namespace) -> float:
    """Process CPU seconds (all threads) per measured step: less sensitive to a busy machine than wall time."""
    marks = [r["cpu_mark"] for r in rows]
    return (marks[-1] - marks[args.warmup - 1]) / args.steps


def timed(module: object, name: str, phases: dict[str, float], phase_of) -> None:  # noqa: ANN001
    """Wrap module.name so that its wall-clock time adds to phases[phase_of()] (None: not counted)."""
    original = getattr(module, name)

    def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
        phase, start = phase_of(), time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            if phase is not None:
                phases[phase] += time.perf_counter() - start

    setattr(module, name, wrapper)


def run_worker(name: str, workdir: Path, args: argparse.Namespace) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if name == "trl":
        result = run_trl(workdir, args)
    elif name == "ours-interleaved":
        result = run_interleaved(workdir, args)
    else:
        result = run_ours(name.removeprefix("ours-"), workdir, args)
    result["peak_rss_gib"] = peak_rss_gib()
    print("RESULT " + json.dumps(result), flush=True)


def spawn(name: str, workdir: Path, argv: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--worker", name, "--workdir", str(workdir), *argv]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def report(results: dict[str, dict], args: argparse.Namespace, load: tuple[float, float]) -> None:
    import torch

    print(f"\nPPO step on SmolLM2-135M-Instruct: batch {args.batch_size}, prompt {args.prompt_tokens} tokens, "
          f"response {args.response_length} tokens, {args.ppo_epochs} PPO epoch(s); mean of {args.steps} steps "
          f"after {args.warmup} warm-up, over {args.repeat} round(s) per run")
    print(f"machine: {os.cpu_count()} CPUs, torch {torch.__version__} with {args.threads or torch.get_num_threads()} threads per run, "
          f"{'CUDA' if torch.cuda.is_available() else 'CPU'}, Python {platform.python_version()}; "
          f"1-min load average {load[0]:.1f} before, {load[1]:.1f} after (the machine is shared)\n")
    print(f"{'run':<15}{'step s':>9}{'gen s':>8}{'score s':>9}{'update s':>10}{'CPU s':>8}{'peak GiB':>10}"
          "  steps s")
    for name, r in results.items():
        if name == "ours-interleaved":
            continue
        steps = ", ".join(f"{s:.1f}" for s in r["steps_s"])
        print(f"{name:<15}{r['step_s']:>9.2f}{r['generation_s']:>8.2f}{r['scoring_s']:>9.2f}{r['update_s']:>10.2f}"
              f"{r['cpu_s']:>8.1f}{r['peak_rss_gib']:>10.2f}  {steps}")
    print()
    ratios = []
    if "trl" in results:
        trl = results["trl"]
        for mode in ("ours-sequence", "ours-token"):
            if mode in results:
                ratios.append((f"{mode} / trl step", results[mode]["step_s"] / trl["step_s"], 1.0))
                ratios.append((f"{mode} / trl CPU time", results[mode]["cpu_s"] / trl["cpu_s"], 1.0))
                ratios.append((f"{mode} / trl peak memory", results[mode]["peak_rss_gib"] / trl["peak_rss_gib"],
                               0.75))
    if "ours-sequence" in results and "ours-token" in results:
        ratios.append(("token / sequence step, separate runs",
                       results["ours-token"]["step_s"] / results["ours-sequence"]["step_s"], 1.05))
    if "ours-interleaved" in results:
        both = results["ours-interleaved"]
        print(f"interleaved in one process: sequence {both['sequence_s']:.2f} s, token {both['token_s']:.2f} s "
              f"per step (peak {both['peak_rss_gib']:.2f} GiB with both reward models)")
        ratios.append(("token / sequence step, interleaved", both["token_over_sequence"], 1.05))
    for label, value, target in ratios:
        print(f"{label:<38}{value:>6.2f}x  target <= {target:.2f}x  {'met' if value <= target else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--response-length", type=int, default=32)
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--ppo-epochs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3, help="measured steps per run")
    parser.add_argument("--warmup", type=int, default=1, help="steps run first and not measured (at least 1)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads per run (0: torch's default)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, in alternating order (for a busy machine)")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated subset of {', '.join(RUNS)}")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, Path(args.workdir), args)
        return
    if args.warmup < 1 or args.steps < 1 or args.repeat < 1:
        raise SystemExit("--warmup, --steps and --repeat must be at least 1")
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = set(runs) - set(RUNS)
    if unknown:
        raise SystemExit(f"unknown runs {sorted(unknown)}; choose from {', '.join(RUNS)}")
    if "trl" in runs:
        try:
            import trl.experimental.ppo  # noqa: F401
        except ImportError as err:
            raise SystemExit(f"TRL's PPOTrainer is missing ({err}); install it with `pip install -e '.[bench]'` "
                             "(trl==0.29.1), or pass --runs ours-sequence,ours-token") from err
    argv = [f"--batch-size={args.batch_size}", f"--response-length={args.response_length}",
            f"--prompt-tokens={args.prompt_tokens}", f"--ppo-epochs={args.ppo_epochs}", f"--steps={args.steps}",
            f"--warmup={args.warmup}", f"--threads={args.threads}"]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-ppo-") as tmp:
        workdir = Path(tmp)
        prepare(workdir, args)
        collected: dict[str, list[dict]] = {name: [] for name in runs}
        for round_ in range(args.repeat):
            # A B C, then C B A, ...: a load that drifts during the run weighs on every run alike
            for name in runs if round_ % 2 == 0 else runs[::-1]:
                print(f"running {name} (round {round_ + 1}/{args.repeat}) ...", file=sys.stderr, flush=True)
                collected[name].append(spawn(name, workdir, argv))
    report({name: combine(parts) for name, parts in collected.items()}, args, (load_before, os.getloadavg()[0]))


def combine(parts: list[dict]) -> dict:
    """Means over rounds; peak memory is the highest; the step times of every round are kept."""
    keys = [k for k in ("step_s", "cpu_s", "generation_s", "scoring_s", "update_s", "token_over_sequence",
                        "sequence_s", "token_s") if k in parts[0]]
    out = {key: sum(p[key] for p in parts) / len(parts) for key in keys}
    out["peak_rss_gib"] = max(p["peak_rss_gib"] for p in parts)
    out["steps_s"] = [s for p in parts for s in p["steps_s"]]
    return out


if __name__ == "__main__":
    main()
