"""The three token-level losses against each other (and the Bradley-Terry baseline beside them) on one
harder, hand-made export, with the same trunk, data, split, steps and learning rate for every run.

The export mixes three kinds of minimal edits. Wrong facts: a capital city or a sum that is wrong only in
the light of the prompt (the token "Rome" is fine after "Italy" and wrong after "France"). Filler and
hedges: words that are bad anywhere. Padding sentences keep most tokens unchanged. Validation prompts are
never seen in training, so a model must generalise to new countries and sums.

Prints one row per run (mean over seeds): pairwise accuracy on held-out edit pairs and original pairs,
token AUROC of changed vs unchanged tokens (pooled, removed side, inserted side), and training time.

    python benchmarks/compare_reward_losses.py --rows 240 --epochs 2 --seeds 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RUNS = {
    "token-bt": ["model_type=token", "token_loss=token-bt"],
    "token-class": ["model_type=token", "token_loss=token-class"],
    "token-regress": ["model_type=token", "token_loss=token-regress"],
    "sequence (edit pairs)": ["model_type=sequence", "pairs=edits"],
    "sequence (original pairs)": ["model_type=sequence", "pairs=original"],
}
CAPITALS = [("France", "Paris"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Germany", "Berlin"),
            ("Japan", "Tokyo"), ("Egypt", "Cairo"), ("Russia", "Moscow"), ("Greece", "Athens"),
            ("Portugal", "Lisbon"), ("Austria", "Vienna"), ("Norway", "Oslo"), ("Ireland", "Dublin"),
            ("Poland", "Warsaw"), ("Sweden", "Stockholm"), ("Kenya", "Nairobi"), ("Peru", "Lima"),
            ("Cuba", "Havana"), ("Thailand", "Bangkok"), ("Hungary", "Budapest"), ("Finland", "Helsinki"),
            ("Denmark", "Copenhagen"), ("Belgium", "Brussels"), ("Chile", "Santiago"), ("Turkey", "Ankara"),
            ("Canada", "Ottawa"), ("Australia", "Canberra"), ("India", "New Delhi"), ("China", "Beijing"),
            ("Argentina", "Buenos Aires"), ("Mexico", "Mexico City")]
FILLER = [" um, basically,", " you know, like,", " I think maybe", " honestly, to be fair,", " sort of kind of"]
PADDING = ["I hope this helps.", "Let me know if you have more questions.", "This is a common question.",
           "Many people ask about this.", "It is good to check such facts."]


def capital_texts(rng: random.Random) -> dict[str, str]:
    country, right = rng.choice(CAPITALS)
    wrong = rng.choice([c for k, c in CAPITALS if k != country])
    pad = " ".join(rng.sample(PADDING, 2))
    return {"prompt": rng.choice(["What is the capital of {c}?", "Which city is the capital of {c}?"]).format(c=country),
            "chosen": f"{right} is the capital of {country}. {pad}",
            "rejected": f"The capital of {country} is {wrong}. {pad}",
            "edited": f"The capital of {country} is {right}. {pad}"}


def sum_texts(rng: random.Random) -> dict[str, str]:
    a, b = rng.randint(2, 60), rng.randint(2, 60)
    wrong = a + b + rng.choice([-10, -2, -1, 1, 2, 10])
    pad = " ".join(rng.sample(PADDING, 2))
    return {"prompt": f"What is {a} plus {b}?", "chosen": f"The answer is {a + b}. {pad}",
            "rejected": f"{a} plus {b} is {wrong}. {pad}", "edited": f"{a} plus {b} is {a + b}. {pad}"}


def filler_texts(rng: random.Random) -> dict[str, str]:
    country, capital = rng.choice(CAPITALS)
    filler = rng.choice(FILLER)
    pad = " ".join(rng.sample(PADDING, 2))
    return {"prompt": f"Tell me one fact about {country}.", "chosen": f"{country} has a capital called {capital}. {pad}",
            "rejected": f"{country} is,{filler} a country with a capital. {pad}",
            "edited": f"{country} is a country with a capital. {pad}"}


def make_export(workdir: Path, model: str, rows: int, seed: int) -> Path:
    from training.reward.model import load_tokenizer_from, resolve_model_dir
    from training.reward.synthetic import rows_from_texts, write_export

    rng = random.Random(seed)
    makers = [capital_texts] * 4 + [sum_texts] * 3 + [filler_texts] * 3
    texts = [rng.choice(makers)(rng) for _ in range(rows)]
    tokenizer = load_tokenizer_from(resolve_model_dir(model))
    return write_export(rows_from_texts(tokenizer, texts), workdir / "data.jsonl", export_id=f"loss-compare-{seed}")


def run_one(name: str, export: Path, out: Path, seed: int, args: argparse.Namespace) -> dict:
    from training.config_io import load_config
    from training.reward.config import PRESETS, RewardModelConfig
    from training.reward.train import train_reward_model

    sets = [f"model={args.model}", f"data_path={export}", f"output_dir={out}", f"seed={seed}",
            f"epochs={args.epochs}", "validation_fraction=0.25", "eval_every=0", "plots=false", *RUNS[name], *args.set]
    started = time.perf_counter()
    result = train_reward_model(load_config(RewardModelConfig, args.preset, PRESETS, sets))
    return {**result.metrics, "seconds": time.perf_counter() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bundled", help="trunk: 'bundled' (SmolLM2-135M-Instruct) or 'tiny'")
    parser.add_argument("--preset", default="smollm2-cpu")
    parser.add_argument("--rows", type=int, default=240, help="edit rows in the export")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (data, split and head init)")
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, from: {', '.join(RUNS)}")
    parser.add_argument("--set", action="append", default=[], help="extra config override for every run")
    parser.add_argument("--output", help="write every run's metrics as JSON here")
    args = parser.parse_args()
    names = [n.strip() for n in args.runs.split(",") if n.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    results: dict[str, list[dict]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory(prefix="compare-rm-") as tmp:
        for seed in seeds:
            export = make_export(Path(tmp) / f"seed{seed}", args.model, args.rows, seed)
            for name in names:
                metrics = run_one(name, export, Path(tmp) / f"seed{seed}" / name.replace(" ", "_"), seed, args)
                results[name].append(metrics)
                print(f"seed {seed} {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()
                                                        if isinstance(v, float)), flush=True)
    keys = ("edit_pair_accuracy", "original_pair_accuracy", "token_auroc", "token_auroc_removed",
            "token_auroc_inserted", "seconds")
    print(f"\n{args.model}, {args.rows} rows, {args.epochs} epochs, seeds {args.seeds}, preset {args.preset} "
          f"{' '.join(args.set)}")
    labels = ("edit acc", "original acc", "auroc", "auroc removed", "auroc inserted", "seconds")
    print(f"{'run':<27}" + "".join(f"{label:>15}" for label in labels))
    for name in names:
        cells = []
        for key in keys:
            values = [m[key] for m in results[name] if m.get(key) is not None]
            cells.append(f"{statistics.mean(values):>15.3f}" if values else f"{'-':>15}")
        print(f"{name:<27}" + "".join(cells))
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
