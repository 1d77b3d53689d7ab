"""Figures of a pairs file made by sample.py: pairs, ties, mean gold scores, and the defects of the rejected side.

    python -m benchmarks.replication.summarize PAIRS.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from statistics import fmean


def summarize_pairs(rows: list[dict]) -> dict:
    """Counts and means over the rows' meta (scores and penalties written by sample.py)."""
    rules: Counter[str] = Counter()
    for row in rows:
        rules.update(p["rule"] for p in row["meta"].get("rejected_penalties", []))
    return {
        "pairs": len(rows),
        "ties": sum(bool(r["meta"].get("tie")) for r in rows),
        "by_category": dict(Counter(r["meta"].get("category", "?") for r in rows)),
        "chosen_mean_score": round(fmean(r["meta"]["chosen_score"] for r in rows), 3) if rows else None,
        "rejected_mean_score": round(fmean(r["meta"]["rejected_score"] for r in rows), 3) if rows else None,
        "rejected_defects": dict(rules.most_common()),
        "resampled": sum(r["meta"].get("round", 0) > 0 for r in rows),
        "bytes": len("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", type=Path)
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(json.dumps(summarize_pairs(rows), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
