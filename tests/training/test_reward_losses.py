"""Reward-model losses against naive per-pair, per-token loops."""

import math

import pytest
import torch

from training.reward.losses import (
    class_rewards,
    sequence_bt_loss,
    token_bt_loss,
    token_class_loss,
    token_regress_loss,
)


def _logsigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x > 0 else x - math.log1p(math.exp(x))


def _labels(seed: int, batch: int, length: int, changed: int) -> torch.Tensor:
    """Prompt tokens (-100) first, then response tokens 0 or `changed`, then padding (-100)."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.full((batch, length), -100)
    for i in range(batch):
        prompt = int(torch.randint(1, 4, (1,), generator=gen))
        end = int(torch.randint(prompt + 2, length + 1, (1,), generator=gen))
        flips = torch.rand(end - prompt, generator=gen) < 0.3
        labels[i, prompt:end] = torch.where(flips, changed, 0)
    return labels


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("penalty", [0.0, 0.3])
def test_token_bt_loss_matches_loop(seed: int, penalty: float) -> None:
    gen = torch.Generator().manual_seed(100 + seed)
    better_r, worse_r = torch.randn(3, 9, generator=gen), torch.randn(3, 9, generator=gen)
    better_l, worse_l = _labels(seed, 3, 9, 1), _labels(seed + 50, 3, 9, -1)
    total, neutral_sq, neutral_n = 0.0, 0.0, 0
    for i in range(3):
        inserted = sum(float(better_r[i, t]) for t in range(9) if better_l[i, t] == 1)
        removed = sum(float(worse_r[i, t]) for t in range(9) if worse_l[i, t] == -1)
        total += -_logsigmoid(inserted - removed)
        for r, lab in ((better_r, better_l), (worse_r, worse_l)):
            for t in range(9):
                if lab[i, t] == 0:
                    neutral_sq += float(r[i, t]) ** 2
                    neutral_n += 1
    expected = total / 3 + penalty * neutral_sq / neutral_n
    got = token_bt_loss(better_r, better_l, worse_r, worse_l, neutral_penalty=penalty)
    assert float(got) == pytest.approx(expected, rel=1e-5)


def test_token_bt_gradient_reaches_only_changed_tokens() -> None:
    better_r = torch.zeros(2, 6, requires_grad=True)
    worse_r = torch.zeros(2, 6, requires_grad=True)
    better_l = torch.tensor([[-100, 0, 1, 1, 0, -100], [-100, -100, 0, 0, 1, 0]])
    worse_l = torch.tensor([[-100, 0, -1, 0, -100, -100], [-100, -100, 0, 0, 0, 0]])
    token_bt_loss(better_r, better_l, worse_r, worse_l).backward()
    assert better_r.grad is not None and worse_r.grad is not None
    assert ((better_r.grad != 0) == (better_l == 1)).all()
    assert ((worse_r.grad != 0) == (worse_l == -1)).all()
    assert (better_r.grad[better_l == 1] < 0).all()  # descending the loss raises inserted rewards
    assert (worse_r.grad[worse_l == -1] > 0).all()  # and lowers removed ones


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("smoothing", "weight"), [(0.0, 1.0), (0.2, 0.5)])
def test_token_class_loss_matches_loop(seed: int, smoothing: float, weight: float) -> None:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(4, 7, 3, generator=gen)
    labels = torch.cat([_labels(seed, 2, 7, 1), _labels(seed + 9, 2, 7, -1)])
    num, den = 0.0, 0.0
    for i in range(4):
        for t in range(7):
            lab = int(labels[i, t])
            if lab == -100:
                continue
            row = [float(x) for x in logits[i, t]]
            log_z = math.log(sum(math.exp(x) for x in row))
            if lab == 0:
                target, w = [smoothing / 2, 1 - smoothing, smoothing / 2], weight
            else:
                target, w = ([1.0, 0.0, 0.0] if lab == -1 else [0.0, 0.0, 1.0]), 1.0
            num += w * -sum(p * (x - log_z) for p, x in zip(target, row, strict=True))
            den += w
    got = token_class_loss(logits, labels, neutral_smoothing=smoothing, neutral_weight=weight)
    assert float(got) == pytest.approx(num / den, rel=1e-5)


def test_class_rewards_are_positive_minus_negative_probability() -> None:
    logits = torch.tensor([[[2.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-3.0, 1.0, 4.0]]])
    rewards = class_rewards(logits)
    for t in range(3):
        exp = [math.exp(float(x)) for x in logits[0, t]]
        assert float(rewards[0, t]) == pytest.approx((exp[2] - exp[0]) / sum(exp), rel=1e-6)
    assert float(rewards[0, 1]) == 0.0 and float(rewards[0, 2]) > 0.9 > -0.5 > float(rewards[0, 0])


@pytest.mark.parametrize("weight", [1.0, 0.25])
def test_token_regress_loss_matches_loop(weight: float) -> None:
    gen = torch.Generator().manual_seed(7)
    rewards = torch.randn(4, 8, generator=gen)
    labels = torch.cat([_labels(1, 2, 8, 1), _labels(2, 2, 8, -1)])
    num, den = 0.0, 0.0
    for i in range(4):
        for t in range(8):
            lab = int(labels[i, t])
            if lab == -100:
                continue
            w = weight if lab == 0 else 1.0
            num += w * (float(rewards[i, t]) - lab) ** 2
            den += w
    assert float(token_regress_loss(rewards, labels, neutral_weight=weight)) == pytest.approx(num / den, rel=1e-5)


def test_sequence_bt_loss_matches_loop() -> None:
    better, worse = torch.tensor([1.0, -0.5, 3.0]), torch.tensor([0.0, 0.5, 3.0])
    expected = sum(-_logsigmoid(b - w) for b, w in zip(better.tolist(), worse.tolist(), strict=True)) / 3
    assert float(sequence_bt_loss(better, worse)) == pytest.approx(expected, rel=1e-6)
