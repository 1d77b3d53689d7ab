"""Edit alignment speed: (a) tokenization alone, (b) align_many, (c) a naive pure-Python token-level
Levenshtein alignment over token ids (as earlier public code labelled edits), on the same pairs of
200-400-token responses; then the latency of a single align() on a 1,000-word response, cold and with
the original cached (the editor's case: the original never changes while an annotator types).

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_alignment --pairs 10000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.alignment_texts import make_edit, make_pairs, make_response
from training.alignment import BATCH_PAIRS, align, align_many, clear_original_cache
from training.tokenizers import load_tokenizer, offsets_backend


def naive_levenshtein_labels(a: Sequence[int], b: Sequence[int]) -> tuple[list[int], list[int]]:
    """Token-id Levenshtein DP with backtrace: deleted/substituted ids of `a` -1, inserted/substituted
    ids of `b` +1 (the approach that breaks when BPE re-segments text; here only for its cost)."""
    n, m = len(a), len(b)
    dist = [list(range(m + 1))] + [[i] + [0] * m for i in range(1, n + 1)]
    for i in range(1, n + 1):
        row, prev, ai = dist[i], dist[i - 1], a[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ai != b[j - 1]))
    labels_a, labels_b = [0] * n, [0] * m
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and dist[i][j] == dist[i - 1][j - 1] + (a[i - 1] != b[j - 1]):
            if a[i - 1] != b[j - 1]:
                labels_a[i - 1], labels_b[j - 1] = -1, 1
            i, j = i - 1, j - 1
        elif i > 0 and dist[i][j] == dist[i - 1][j] + 1:
            labels_a[i - 1] = -1
            i -= 1
        else:
            labels_b[j - 1] = 1
            j -= 1
    return labels_a, labels_b


def tokenize_only(backend: Any, pairs: list[tuple[str, str]]) -> int:
    """What align_many's tokenization costs alone: the same batches, ids and offsets read out."""
    tokens = 0
    for lo in range(0, len(pairs), BATCH_PAIRS):
        chunk = pairs[lo:lo + BATCH_PAIRS]
        for enc in backend.encode_batch([a for a, _ in chunk] + [b for _, b in chunk], add_special_tokens=False):
            ids, _ = enc.ids, enc.offsets
            tokens += len(ids)
    return tokens


def tokenize_hf_call(tok: Any, pairs: list[tuple[str, str]]) -> None:
    """The same texts through the Hugging Face tokenizer call with offsets (how most code tokenizes)."""
    for lo in range(0, len(pairs), BATCH_PAIRS):
        chunk = pairs[lo:lo + BATCH_PAIRS]
        tok([a for a, _ in chunk] + [b for _, b in chunk], add_special_tokens=False, return_offsets_mapping=True)


def naive_align(backend: Any, pairs: list[tuple[str, str]]) -> None:
    for lo in range(0, len(pairs), BATCH_PAIRS):
        chunk = pairs[lo:lo + BATCH_PAIRS]
        encs = backend.encode_batch([a for a, _ in chunk] + [b for _, b in chunk], add_special_tokens=False)
        for k in range(len(chunk)):
            naive_levenshtein_labels(encs[k].ids, encs[len(chunk) + k].ids)


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of all threads of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def best_interleaved(rounds: int, runs: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, float]]:
    """The best wall and CPU time of each run over `rounds` rounds that take turns, so that load from
    other processes hits every run alike."""
    best = {name: (float("inf"), float("inf")) for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            wall, cpu = timed(fn)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def materialize(alignments: list[Any]) -> None:
    for al in alignments:
        al.original_tokens, al.edited_tokens, al.stats  # noqa: B018  (built lazily on access)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_single(calls: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    original = make_response(rng, 1000)
    words = len(original.split())
    backend, _ = offsets_backend(None)
    tokens = len(backend.encode(original, add_special_tokens=False).ids)
    edits = [make_edit(rng, original) for _ in range(calls)]
    align(original, edits[0])  # warm up code paths
    for label, cold in (("cold (original tokenized each call)", True), ("cached original", False)):
        clear_original_cache()
        align(original, edits[0])
        times, cpu = [], []
        for edited in edits:
            if cold:
                clear_original_cache()
            start, start_cpu = time.perf_counter(), time.thread_time()
            align(original, edited)
            times.append((time.perf_counter() - start) * 1e3)
            cpu.append((time.thread_time() - start_cpu) * 1e3)
        print(f"  single align, {words} words / {tokens} tokens, {label}: p50 {statistics.median(times):.2f} ms, "
              f"p99 {percentile(times, 0.99):.2f} ms, max {max(times):.2f} ms wall clock over {calls} calls "
              f"(CPU time p50 {statistics.median(cpu):.2f} ms, p99 {percentile(cpu, 0.99):.2f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000, help="pairs of 200-400-token responses")
    parser.add_argument("--naive-pairs", type=int, default=1_000,
                        help="pairs the naive baseline runs on (its pairs/s is compared; 0 = all)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of (a) and (b); the best counts")
    parser.add_argument("--single-calls", type=int, default=300, help="align() calls for the latency figures")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tok = load_tokenizer(None)
    backend, name = offsets_backend(None)
    candidates = make_pairs(int(args.pairs * 1.6) + 100, seed=args.seed)
    counts = [len(e.ids) for e in backend.encode_batch([a for a, _ in candidates], add_special_tokens=False)]
    pairs = [p for p, n in zip(candidates, counts, strict=True) if 200 <= n <= 400][:args.pairs]
    if len(pairs) < args.pairs:
        raise SystemExit(f"only {len(pairs)} pairs in the 200-400-token range; raise the candidate count")
    naive_pairs = pairs if args.naive_pairs <= 0 else pairs[:args.naive_pairs]
    tokens = tokenize_only(backend, pairs)
    print(f"tokenizer {name}, {len(pairs)} pairs, {tokens} tokens ({tokens / (2 * len(pairs)):.0f} per text), "
          f"{os.cpu_count()} CPUs")

    best = best_interleaved(args.repeats, {
        "tok": lambda: tokenize_only(backend, pairs),
        "hf": lambda: tokenize_hf_call(tok, pairs),
        "align": lambda: align_many(pairs, None),
    })
    best.update(best_interleaved(1, {
        "full": lambda: materialize(align_many(pairs, None)),
        "naive": lambda: naive_align(backend, naive_pairs),
    }))
    n = len(pairs)

    def line(label: str, key: str, count: int = n) -> str:
        wall, cpu = best[key]
        ratio = "" if key in ("tok", "naive") else (
            f"  = {wall / best['tok'][0]:.2f} x (a) wall, {cpu / best['tok'][1]:.2f} x (a) CPU")
        return f"{label:<48}{wall:7.2f} s wall {count / wall:7.0f} pairs/s, {cpu:7.2f} s CPU{ratio}"

    print(line("(a) tokenization alone (batch, ids + offsets):", "tok"))
    print(line("    the same through the transformers call:", "hf"))
    print(line("(b) align_many:", "align"))
    print(line("    align_many + every Token and stats built:", "full"))
    print(line(f"(c) naive token-level Levenshtein, {len(naive_pairs)} pairs:", "naive", len(naive_pairs)))
    naive_rate, align_rate = len(naive_pairs) / best["naive"][0], n / best["align"][0]
    print(f"    (b) is {align_rate / naive_rate:.0f} x faster than (c) per pair")
    bench_single(args.single_calls, args.seed)


if __name__ == "__main__":
    main()
