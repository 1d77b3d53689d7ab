"""Token labels (-1 removed, 0 unchanged, +1 inserted, -100 ignored) as the targets of the reward-model
schemes: "discrete" (the label itself as a float) and "three-class" (class indices). Numpy only."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IGNORE_INDEX = -100
DISCRETE, THREE_CLASS = "discrete", "three-class"
SCHEMES = (DISCRETE, THREE_CLASS)
# Class indices of the three-class scheme (the order of the token-class head).
NEGATIVE_CLASS, NEUTRAL_CLASS, POSITIVE_CLASS = 0, 1, 2
_VALID = np.array([IGNORE_INDEX, -1, 0, 1])


def _as_labels(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    array = np.asarray(labels, dtype=np.int64)
    if array.size and not np.isin(array, _VALID).all():
        bad = sorted(set(array[~np.isin(array, _VALID)].tolist()))[:5]
        raise ValueError(f"token labels must be -100, -1, 0 or 1; found {bad}")
    return array


def ignore_prompt(labels: Sequence[int] | np.ndarray, prompt_tokens: int) -> np.ndarray:
    """The labels with the first `prompt_tokens` set to the ignore index -100."""
    if prompt_tokens < 0:
        raise ValueError(f"prompt_tokens must be >= 0, got {prompt_tokens}")
    array = _as_labels(labels).copy()
    array[:prompt_tokens] = IGNORE_INDEX
    return array


def discrete_targets(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """float32 targets -1.0/0.0/+1.0; -100 stays -100.0 (the loss masks it)."""
    return _as_labels(labels).astype(np.float32)


def three_class_targets(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """int64 class indices: 0 negative (-1), 1 neutral (0), 2 positive (+1); -100 stays -100."""
    array = _as_labels(labels)
    return np.where(array == IGNORE_INDEX, IGNORE_INDEX, array + 1).astype(np.int64)


def labels_to_targets(labels: Sequence[int] | np.ndarray, scheme: str, prompt_tokens: int = 0) -> np.ndarray:
    """Targets of `scheme` ("discrete" or "three-class"), with the first `prompt_tokens` ignored."""
    array = ignore_prompt(labels, prompt_tokens) if prompt_tokens else _as_labels(labels)
    if scheme == DISCRETE:
        return discrete_targets(array)
    if scheme == THREE_CLASS:
        return three_class_targets(array)
    raise ValueError(f"unknown target scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
