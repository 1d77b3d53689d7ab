"""Hand-made token-labels exports for tests, benchmarks and demos, labelled by the real alignment code.

Every original response carries one obvious defect (a filler phrase, a hedge or a wrong word) and its edit
removes or replaces exactly that span, so a reward model that learns anything at all separates the changed
tokens from the unchanged ones. The chosen response of each original pair is a clean answer.

    python -m training.reward.synthetic --out var/synthetic/data.jsonl --rows 200 [--tokenizer tiny]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path
from typing import Any

TOPICS = ["the sea", "cats", "Paris", "rain", "bread", "music", "trains", "gardens", "the moon", "coffee",
          "winter", "bees", "rivers", "books", "chess", "bicycles", "forests", "tea", "clocks", "bridges"]
ASKS = ["Tell me about {t}.", "Write one sentence on {t}.", "What is notable about {t}?",
        "Describe {t} briefly.", "Say something true about {t}."]
CLEAN = ["Many people enjoy {t} because it is calm.", "{T} has a long and interesting history.",
         "People often write about {t} in spring.", "{T} changes with the seasons and the light."]
# (defect in the original, its fix in the edit); an empty fix deletes the defect.
DEFECTS = [(" um, basically,", ""), (" you know, like,", ""), (" maybe probably", ""), (" totally awful", " good"),
           (" wrong wrong", " right"), (" never ever", " often")]


def make_texts(rng: random.Random, sentences: int = 1) -> dict[str, str]:
    """One prompt with a clean chosen answer, a defective original and its minimal edit.

    With `sentences` > 1 the responses go on with more clean sentences after the one holding the defect
    (long responses for throughput benchmarks).
    """
    topic = rng.choice(TOPICS)
    fill = {"t": topic, "T": topic[:1].upper() + topic[1:]}
    prompt = rng.choice(ASKS).format(**fill)
    clean = rng.choice(CLEAN).format(**fill)
    words = clean.split(" ")
    cut = rng.randrange(1, len(words))
    defect, fix = rng.choice(DEFECTS)
    head, tail = " ".join(words[:cut]), " ".join(words[cut:])
    chosen = rng.choice([c for c in CLEAN if c.format(**fill) != clean] or CLEAN).format(**fill)
    more = "".join(" " + rng.choice(CLEAN).format(**fill) for _ in range(sentences - 1))
    return {"prompt": prompt, "chosen": chosen + more, "rejected": f"{head}{defect} {tail}{more}",
            "edited": f"{head}{fix} {tail}{more}"}


def make_edit_rows(
    tokenizer: Any, count: int = 64, seed: int = 0, no_edit_rows: int = 0, sentences: int = 1
) -> list[dict[str, Any]]:
    """`count` export rows (token-labels view) for `tokenizer`, plus `no_edit_rows` 'no edit needed' rows."""
    rng = random.Random(seed)
    texts = [make_texts(rng, sentences) for _ in range(count)]
    texts += [{**t, "edited": t["rejected"]} for t in (make_texts(rng, sentences) for _ in range(no_edit_rows))]
    return rows_from_texts(tokenizer, texts)


def rows_from_texts(tokenizer: Any, texts: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Export rows (token-labels view) from prompt / chosen / rejected / edited texts, via the real alignment."""
    from training.chat_format import encode_edit_pairs
    from training.tokenizers import tokenizer_hash, tokenizer_name

    encoded = encode_edit_pairs(
        tokenizer, [{"prompt": t["prompt"], "original": t["rejected"], "edited": t["edited"]} for t in texts]
    )
    name, digest = tokenizer_name(tokenizer), tokenizer_hash(tokenizer)
    item_ids: dict[tuple[str, str, str], int] = {}
    rows = []
    for edit_id, (t, enc) in enumerate(zip(texts, encoded, strict=True), start=1):
        item_id = item_ids.setdefault((t["prompt"], t["chosen"], t["rejected"]), len(item_ids) + 1)
        rows.append({
            "item_id": item_id, "external_id": f"synthetic-{item_id}", "edit_id": edit_id, "edit_version": 1,
            "edit_status": "submitted", "outcome": "edited" if t["edited"] != t["rejected"] else "no_edit",
            "needs_rewrite": False, "author": "synthetic-editor", "author_kind": "model",
            "prompt": t["prompt"], "chosen": t["chosen"], "rejected": t["rejected"], "edited": t["edited"],
            "hunks": [list(h) for h in enc["hunks"]], "tokenizer_name": name, "tokenizer_hash": digest,
            "join": enc["join"],
            "original_input_ids": list(enc["original_input_ids"]), "original_labels": list(enc["original_labels"]),
            "edited_input_ids": list(enc["edited_input_ids"]), "edited_labels": list(enc["edited_labels"]),
        })
    return rows


def write_export(rows: list[dict[str, Any]], path: Path, export_id: str = "synthetic") -> Path:
    """Write rows as JSONL (or Parquet for a .parquet path) with a `<file>.manifest.json` beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, sort_keys=True) + "\n")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = {"export_id": export_id, "content_hash": digest, "row_count": len(rows), "view": "token-labels"}
    path.with_name(path.name + ".manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.reward.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="data file to write (.jsonl or .parquet)")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sentences", type=int, default=1, help="clean sentences per response (longer texts)")
    parser.add_argument("--tokenizer", default="tiny", help="'tiny', 'bundled' or a model directory")
    args = parser.parse_args(argv)
    from training.reward.model import load_tokenizer_from, resolve_model_dir

    tokenizer = load_tokenizer_from(resolve_model_dir(args.tokenizer))
    path = write_export(make_edit_rows(tokenizer, args.rows, args.seed, sentences=args.sentences), Path(args.out))
    print(f"wrote {args.rows} rows to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
