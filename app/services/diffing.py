"""The shared alignment (training/alignment.py) as the server uses it, with tokenizers loaded once.

Every figure the server stores about an edit (hunks, stats, minimality, token labels) comes from here,
computed from the two texts; numbers a client sends are never trusted.
"""

from typing import Any

from app.config import get_settings
from app.services.errors import InvalidInput


def get_tokenizer(spec: str) -> Any:
    """A tokenizer by name or path (loaded once per process by training.tokenizers); InvalidInput
    naming the spec when it cannot be loaded."""
    from training.tokenizers import load_tokenizer

    try:
        return load_tokenizer(spec, cache_dir=get_settings().model_cache_dir)
    except Exception as exc:  # a bad name, a missing file, a broken download: one clear message
        raise InvalidInput(f"cannot load tokenizer {spec!r}: {exc}", field="tokenizer") from exc


def align_texts(original: str, edited: str, tokenizer: str | None = None) -> Any:
    """The Alignment of two texts (word hunks, stats; tokens with labels when a tokenizer is named)."""
    from training.alignment import align

    tok = get_tokenizer(tokenizer) if tokenizer else None
    return align(original, edited, tokenizer=tok)


def edit_figures(original: str, edited: str) -> tuple[list[Any], dict[str, Any]]:
    """(hunks, stats) of an edit as stored on the Edit row: JSON-ready, word level (no tokenizer)."""
    data = align_texts(original, edited).to_dict()
    return list(data.get("hunks", [])), dict(data.get("stats", {}))
