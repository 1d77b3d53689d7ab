"""Shared helpers of the alignment tests: a WordPiece tokenizer trained on the fly (a second tokenizer
family beside the bundled byte-level BPE) and naive reference implementations to check against."""

from __future__ import annotations

from functools import cache
from typing import Any

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

CORPUS = [
    "The quick brown fox jumps over the lazy dog. A minimal edit changes only what is necessary.",
    "Annotators read the prompt and the response, then fix the words that make the answer worse.",
    "Le café est très bon, naïve façade à Paris. Über schöne Straßen.",
    "我喜欢猫。今日は良い天気です。ฉันชอบแมว 안녕하세요 세계",
    "مرحبا بالعالم שלום עולם नमस्ते दुनिया",
    "1 2 3 4 5 10 100 2024 - * # ( ) [ ] { } : ; ! ? ' \" / \\ @ & % $ +",
    "Cats and dogs are popular pets; birds, fish and rabbits are common too.",
]


@cache
def wordpiece_tokenizer() -> Tokenizer:
    """A small WordPiece with BERT normalisation (lower case, accents stripped: offsets still point at
    the original characters) and BERT pre-tokenisation (whitespace is never part of a token)."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=400, special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]"])
    tok.train_from_iterator(CORPUS * 5, trainer=trainer)
    return tok


def naive_labels(offsets: list[tuple[int, int]], spans: list[tuple[int, int]], value: int) -> list[int]:
    """The overlap rule spelled out token by token and span by span."""
    labels = []
    for s, e in offsets:
        hit = False
        for lo, hi in spans:
            if lo < hi and max(s, lo) < min(e, hi):
                hit = True
            if lo == hi and s < lo < e:
                hit = True
        labels.append(value if hit else 0)
    return labels


def lcs_length(a: list[Any], b: list[Any]) -> int:
    """Textbook dynamic programme for the longest common subsequence."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]
