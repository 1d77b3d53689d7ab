"""The shared alignment (training/alignment.py) as the server uses it.

Every figure the server stores about an edit (hunks, stats, minimality, token labels) comes from here,
computed from the two texts; numbers a client sends are never trusted.
"""

from typing import Any

from app.config import get_settings
from app.services.errors import InvalidInput


def get_tokenizer(spec: str | None) -> Any:
    """A tokenizer by name or path (loaded once per process by training.tokenizers); InvalidInput
    naming the spec when it cannot be loaded."""
    from training.tokenizers import load_tokenizer

    try:
        return load_tokenizer(spec, cache_dir=get_settings().model_cache_dir)
    except Exception as exc:  # a bad name, a missing file, no hub access: one clear message
        raise InvalidInput(f"cannot load tokenizer {spec!r}: {exc}", field="tokenizer") from exc


def align_texts(original: str, edited: str, tokenizer: str | None = None) -> Any:
    """The training.alignment.Alignment of two texts for a tokenizer spec (None: the bundled one)."""
    from training.alignment import align
    from training.tokenizers import TokenizerError

    try:
        return align(original, edited, tokenizer=tokenizer, cache_dir=get_settings().model_cache_dir)
    except (TokenizerError, OSError) as exc:
        raise InvalidInput(f"cannot load tokenizer {tokenizer!r}: {exc}", field="tokenizer") from exc


def edit_figures(original: str, edited: str, tokenizer: str | None = None) -> tuple[list[list[int]], dict[str, Any]]:
    """(hunks, stats) as stored on an Edit row: hunks as [orig_start, orig_end, edit_start, edit_end]
    character offsets, stats as training.alignment.AlignmentStats fields."""
    from dataclasses import fields

    alignment = align_texts(original, edited, tokenizer)
    stats = alignment.stats  # flat numbers: no need for asdict's deep copy, a tenth of a save's CPU
    return [list(h) for h in alignment.hunks], {f.name: getattr(stats, f.name) for f in fields(stats)}
