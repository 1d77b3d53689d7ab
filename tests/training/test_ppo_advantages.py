"""training.ppo.advantages: GAE and whitening against naive per-token loops."""

import math

import pytest
import torch

from training.ppo.advantages import compute_gae, whiten


def naive_gae(rewards: list[float], values: list[float], gamma: float, lam: float) -> list[float]:
    """Textbook GAE over one episode; the value after the last token is 0."""
    advantages, running = [0.0] * len(rewards), 0.0
    for t in reversed(range(len(rewards))):
        next_value = values[t + 1] if t + 1 < len(rewards) else 0.0
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
    return advantages


@pytest.mark.parametrize(("gamma", "lam"), [(1.0, 0.95), (0.9, 0.5), (1.0, 1.0)])
def test_gae_matches_naive_loop_per_episode(gamma: float, lam: float) -> None:
    generator = torch.Generator().manual_seed(0)
    rewards = torch.randn(4, 7, generator=generator)  # (B, T)
    values = torch.randn(4, 7, generator=generator)
    lengths = [7, 3, 1, 5]
    mask = torch.tensor([[1] * n + [0] * (7 - n) for n in lengths])
    advantages, returns = compute_gae(rewards, values, mask, gamma, lam)
    for b, n in enumerate(lengths):
        expected = naive_gae(rewards[b, :n].tolist(), values[b, :n].tolist(), gamma, lam)
        assert advantages[b, :n].tolist() == pytest.approx(expected, abs=1e-5)
        expected_returns = [a + v for a, v in zip(expected, values[b, :n].tolist(), strict=True)]
        assert returns[b, :n].tolist() == pytest.approx(expected_returns, abs=1e-5)
        # garbage beyond the episode (here random rewards and values) never leaks in
        assert torch.all(advantages[b, n:] == 0) and torch.all(returns[b, n:] == 0)


def test_gae_with_lambda_one_and_no_discount_is_return_to_go_minus_value() -> None:
    rewards = torch.tensor([[1.0, 2.0, 3.0, 0.0]])
    values = torch.tensor([[0.5, 0.5, 0.5, 9.0]])
    mask = torch.tensor([[1, 1, 1, 0]])
    advantages, returns = compute_gae(rewards, values, mask, gamma=1.0, lam=1.0)
    assert advantages[0].tolist() == pytest.approx([5.5, 4.5, 2.5, 0.0])
    assert returns[0].tolist() == pytest.approx([6.0, 5.0, 3.0, 0.0])


def naive_whiten(values: list[float], shift_mean: bool) -> list[float]:
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    out = [(v - mean) / math.sqrt(var + 1e-8) for v in values]
    return out if shift_mean else [o + mean for o in out]


@pytest.mark.parametrize("shift_mean", [True, False])
def test_whiten_matches_naive_loop_over_masked_tokens(shift_mean: bool) -> None:
    values = torch.tensor([[1.0, 2.0, 100.0], [4.0, -50.0, -60.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    out = whiten(values, mask, shift_mean=shift_mean)
    expected = naive_whiten([1.0, 2.0, 4.0], shift_mean)
    assert [out[0, 0].item(), out[0, 1].item(), out[1, 0].item()] == pytest.approx(expected, abs=1e-5)
    assert out[0, 2] == 0 and out[1, 1] == 0 and out[1, 2] == 0  # masked tokens stay out of every loss
