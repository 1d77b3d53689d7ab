"""Token labels as training targets of the reward-model schemes."""

import numpy as np
import pytest

from training.targets import (
    IGNORE_INDEX,
    discrete_targets,
    ignore_prompt,
    labels_to_targets,
    three_class_targets,
)

LABELS = [-100, -100, 0, -1, 1, 0, -100]


def test_discrete_targets_keep_values_and_ignore_index() -> None:
    out = discrete_targets(LABELS)
    assert out.dtype == np.float32
    assert out.tolist() == [-100.0, -100.0, 0.0, -1.0, 1.0, 0.0, -100.0]


def test_three_class_targets_are_negative_neutral_positive_indices() -> None:
    out = three_class_targets(LABELS)
    assert out.dtype == np.int64
    expected = [{-100: IGNORE_INDEX, -1: 0, 0: 1, 1: 2}[x] for x in LABELS]
    assert out.tolist() == expected


def test_prompt_tokens_become_the_ignore_index() -> None:
    assert ignore_prompt([0, 1, -1, 0], 2).tolist() == [-100, -100, -1, 0]
    assert labels_to_targets([0, 1, -1, 0], "three-class", prompt_tokens=1).tolist() == [-100, 2, 0, 1]
    assert labels_to_targets([0, 1], "discrete").tolist() == [0.0, 1.0]
    assert labels_to_targets([], "discrete").tolist() == []


def test_bad_input_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="-100, -1, 0 or 1"):
        discrete_targets([0, 2])
    with pytest.raises(ValueError, match="discrete, three-class"):
        labels_to_targets([0], "soft")
    with pytest.raises(ValueError, match="prompt_tokens"):
        ignore_prompt([0], -1)
