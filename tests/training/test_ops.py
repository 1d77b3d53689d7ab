"""training.ops against naive Python loops."""

import math

import pytest
import torch

from training import ops


def _random(seed: int, shape: tuple[int, ...] = (4, 7)) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    values = torch.randn(shape, generator=gen, dtype=torch.float64)
    mask = torch.rand(shape, generator=gen) > 0.4
    return values, mask


@pytest.mark.parametrize("seed", range(5))
def test_masked_sum_mean_var_match_loops(seed: int) -> None:
    values, mask = _random(seed)
    picked = [float(values[i, j]) for i in range(values.shape[0]) for j in range(values.shape[1]) if mask[i, j]]
    total = sum(picked)
    mean = total / len(picked)
    var = sum((v - mean) ** 2 for v in picked) / (len(picked) - 1)
    assert float(ops.masked_sum(values, mask)) == pytest.approx(total)
    assert float(ops.masked_mean(values, mask)) == pytest.approx(mean)
    assert float(ops.masked_var(values, mask)) == pytest.approx(var)
    assert float(ops.masked_var(values, mask, unbiased=False)) == pytest.approx(var * (len(picked) - 1) / len(picked))
    for i in range(values.shape[0]):
        row = [float(values[i, j]) for j in range(values.shape[1]) if mask[i, j]]
        assert float(ops.masked_sum(values, mask, dim=1)[i]) == pytest.approx(sum(row))
        expected = sum(row) / len(row) if row else 0.0
        assert float(ops.masked_mean(values, mask, dim=1)[i]) == pytest.approx(expected)


def test_masked_mean_of_empty_mask_is_zero_not_nan() -> None:
    values = torch.ones(2, 3)
    assert float(ops.masked_mean(values, torch.zeros(2, 3, dtype=torch.bool))) == 0.0


def test_masked_whiten_gives_zero_mean_unit_variance_on_the_mask() -> None:
    values, mask = _random(3, (6, 9))
    white = ops.masked_whiten(values, mask)
    assert float(ops.masked_mean(white, mask)) == pytest.approx(0.0, abs=1e-9)
    assert float(ops.masked_var(white, mask)) == pytest.approx(1.0, rel=1e-6)
    kept = ops.masked_whiten(values, mask, shift_mean=False)
    assert float(ops.masked_mean(kept, mask)) == pytest.approx(float(ops.masked_mean(values, mask)))


def test_shift_labels_matches_loop() -> None:
    labels = torch.tensor([[-100, -100, 5, 6, 7], [1, 2, 3, -100, -100]])
    shifted = ops.shift_labels(labels)
    for i in range(2):
        for t in range(5):
            expected = int(labels[i, t + 1]) if t + 1 < 5 else -100
            assert int(shifted[i, t]) == expected


def test_last_token_index_right_and_left_padding() -> None:
    mask = torch.tensor([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
    expected = []
    for row in mask.tolist():
        expected.append(max(t for t, m in enumerate(row) if m))
    assert ops.last_token_index(mask).tolist() == expected
    values = torch.arange(20, dtype=torch.float32).reshape(4, 5)
    assert ops.gather_last(values, mask).tolist() == [float(values[i, t]) for i, t in enumerate(expected)]
    placed = ops.place_at_last(torch.tensor([1.0, 2.0, 3.0, 4.0]), mask)
    for i, t in enumerate(expected):
        for j in range(5):
            assert float(placed[i, j]) == (float(i + 1) if j == t else 0.0)


def _auroc_loop(scores: list[float], targets: list[int]) -> float:
    pos = [s for s, t in zip(scores, targets, strict=True) if t]
    neg = [s for s, t in zip(scores, targets, strict=True) if not t]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(6))
def test_binary_auroc_matches_pairwise_loop_with_ties(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randint(0, 5, (40,), generator=gen).float()  # many ties on purpose
    targets = torch.rand(40, generator=gen) > 0.6
    assert ops.binary_auroc(scores, targets) == pytest.approx(_auroc_loop(scores.tolist(), targets.int().tolist()))


def test_binary_auroc_extremes_and_missing_class() -> None:
    assert ops.binary_auroc(torch.tensor([0.1, 0.2, 0.9]), torch.tensor([0, 0, 1])) == 1.0
    assert ops.binary_auroc(torch.tensor([0.9, 0.2, 0.1]), torch.tensor([0, 0, 1])) == 0.0
    assert math.isnan(ops.binary_auroc(torch.tensor([0.1, 0.2]), torch.tensor([1, 1])))


def test_pad_sequences() -> None:
    out = ops.pad_sequences([[1, 2, 3], [4]], pad_value=0)
    assert out.tolist() == [[1, 2, 3], [4, 0, 0]]
    assert ops.pad_sequences([[1, 2, 3]], pad_value=9, length=2).tolist() == [[1, 2]]
