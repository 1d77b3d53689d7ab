"""Write the prompt files of the replication benchmark and the demo from the hand-written tables.

    python -m benchmarks.replication.make_prompts [--check]

Deterministic: the train/held-out split is a seeded shuffle within each category and fact table, a
quarter held out. `--check` only verifies that the committed files match what the tables give.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks.replication.demo_prompts import demo_records
from benchmarks.replication.prompt_facts import fact_records
from benchmarks.replication.prompt_records import DATA_DIR, PromptRecord, prompt_key, write_records
from benchmarks.replication.prompt_topics import open_records

SPLIT_SEED = 20240605
HELDOUT_FRACTION = 0.25


def split_records(records: list[PromptRecord]) -> tuple[list[PromptRecord], list[PromptRecord]]:
    """Train and held-out records with ids assigned, each group (category and fact table) split alike."""
    groups: dict[str, list[PromptRecord]] = defaultdict(list)
    for record in records:
        groups[record.category + "/" + ",".join(record.tags)].append(record)
    rng = random.Random(SPLIT_SEED)
    train: list[PromptRecord] = []
    heldout: list[PromptRecord] = []
    for name in sorted(groups):
        members = list(groups[name])
        rng.shuffle(members)
        cut = max(1, round(len(members) * HELDOUT_FRACTION))
        heldout += members[:cut]
        train += members[cut:]
    return _numbered("train", train), _numbered("heldout", heldout)


def _numbered(prefix: str, records: list[PromptRecord]) -> list[PromptRecord]:
    return [PromptRecord(id=f"{prefix}-{i + 1:04d}", prompt=r.prompt, category=r.category, max_words=r.max_words,
                         fact=r.fact, tags=r.tags) for i, r in enumerate(records)]


def all_files() -> dict[str, list[PromptRecord]]:
    """File name -> records, checked for duplicate prompts across all files."""
    train, heldout = split_records(fact_records() + open_records())
    files = {"prompts_train.jsonl": train, "prompts_heldout.jsonl": heldout, "prompts_demo.jsonl": demo_records()}
    seen: dict[str, str] = {}
    for name, records in files.items():
        for record in records:
            key = prompt_key(record.prompt)
            if key in seen:
                raise ValueError(f"prompt {record.prompt!r} is in both {seen[key]} and {name}; reword one of them")
            seen[key] = name
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files instead of writing")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder")
    args = parser.parse_args(argv)
    for name, records in all_files().items():
        path = args.out / name
        if args.check:
            expected = "\n".join(__import__("json").dumps(r.to_json(), ensure_ascii=False) for r in records) + "\n"
            if not path.is_file() or path.read_text(encoding="utf-8") != expected:
                print(f"{path} is out of date; run python -m benchmarks.replication.make_prompts", file=sys.stderr)
                return 1
        else:
            write_records(path, records)
        print(f"{name}: {len(records)} prompts ({sum(r.fact is not None for r in records)} with known answers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
