"""training.ppo.rewards: where each reward mode puts its rewards, token by token, on a hand-made batch."""

import math
from dataclasses import replace

import pytest
import torch

from training.ppo.config import PPOConfig
from training.ppo.rewards import build_rewards, estimate_kl

# Three responses of up to 5 tokens: EOS at index 2; no EOS (ran to the limit); EOS as the only token.
MASK = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
HAS_EOS = torch.tensor([True, False, True])
KL = torch.tensor([[0.1, 0.2, 0.3, 9.0, 9.0], [0.1, 0.1, 0.1, 0.1, 0.1], [0.5, 9.0, 9.0, 9.0, 9.0]]) * MASK
TOKEN_SCORES = torch.tensor([[1.0, -1.0, 0.5, 7.0, 7.0], [0.0, 2.0, 0.0, -3.0, 1.0], [4.0, 7.0, 7.0, 7.0, 7.0]])
SEQUENCE_SCORES = torch.tensor([1.0, 2.0, -3.0])
BETA = 0.1


def config(mode: str, **changes: object) -> PPOConfig:
    """Raw r_t unless a test asks for centering, so the expected values read straight off TOKEN_SCORES."""
    return replace(PPOConfig(reward_mode=mode, kl_coef=BETA, center_token_rewards=False), **changes)


def test_sequence_mode_puts_the_score_on_the_eos_token_itself() -> None:
    rewards, scores = build_rewards(config("sequence"), KL, MASK, HAS_EOS, None, SEQUENCE_SCORES)
    expected = -BETA * KL
    expected[0, 2] += 1.0  # the EOS token of row 0, not the pad after it (index 3)
    expected[1, 4] += 2.0  # no EOS: the last generated token
    expected[2, 0] += -3.0  # a response that is only EOS
    assert torch.allclose(rewards, expected)
    assert rewards[0, 3] == 0 and rewards[0, 4] == 0 and torch.all(rewards[2, 1:] == 0)
    assert scores.sum(1).tolist() == pytest.approx([1.0, 2.0, -3.0])


def test_token_mode_puts_r_t_on_every_response_token_and_nothing_after_eos() -> None:
    rewards, _ = build_rewards(config("token"), KL, MASK, HAS_EOS, TOKEN_SCORES, None)
    expected = torch.tensor([
        [1.0 - 0.01, -1.0 - 0.02, 0.5 - 0.03, 0.0, 0.0],
        [-0.01, 2.0 - 0.01, -0.01, -3.0 - 0.01, 1.0 - 0.01],
        [4.0 - 0.05, 0.0, 0.0, 0.0, 0.0],
    ])
    assert torch.allclose(rewards, expected, atol=1e-6)


def test_token_plus_sequence_adds_both_with_their_coefficients() -> None:
    cfg = config("token+sequence", token_reward_coef=0.5, sequence_reward_coef=2.0)
    rewards, _ = build_rewards(cfg, KL, MASK, HAS_EOS, TOKEN_SCORES, SEQUENCE_SCORES)
    expected = (0.5 * TOKEN_SCORES - BETA * KL) * MASK
    expected[0, 2] += 2.0 * 1.0
    expected[1, 4] += 2.0 * 2.0
    expected[2, 0] += 2.0 * -3.0
    assert torch.allclose(rewards, expected, atol=1e-6)


def test_missing_eos_penalty_hits_only_responses_without_eos_on_their_last_token() -> None:
    plain, _ = build_rewards(config("sequence"), KL, MASK, HAS_EOS, None, SEQUENCE_SCORES)
    penalised, _ = build_rewards(config("sequence", missing_eos_penalty=1.5), KL, MASK, HAS_EOS, None, SEQUENCE_SCORES)
    difference = penalised - plain
    assert difference[1, 4].item() == pytest.approx(-1.5)
    difference[1, 4] = 0
    assert torch.all(difference == 0)
    token_mode, _ = build_rewards(config("token", missing_eos_penalty=1.5), KL, MASK, HAS_EOS, TOKEN_SCORES)
    assert token_mode[1, 4].item() == pytest.approx(1.0 - 0.01 - 1.5)


def test_reward_clip_bounds_model_scores_but_not_the_kl_penalty() -> None:
    rewards, scores = build_rewards(config("token+sequence", reward_clip=0.75), KL, MASK, HAS_EOS,
                                    TOKEN_SCORES, SEQUENCE_SCORES)
    assert rewards[0, 0].item() == pytest.approx(0.75 - 0.01)  # r_t 1.0 clipped
    assert rewards[0, 2].item() == pytest.approx(0.5 + 0.75 - 0.03)  # r_t 0.5 kept, sequence 1.0 clipped
    assert rewards[2, 0].item() == pytest.approx(0.75 - 0.75 - 0.05)  # 4.0 -> 0.75, -3.0 -> -0.75
    assert scores.abs().max().item() <= 1.5


def test_whitened_rewards_have_unit_variance_over_response_tokens_and_zero_elsewhere() -> None:
    rewards, _ = build_rewards(config("token", whiten_rewards=True), KL, MASK, HAS_EOS, TOKEN_SCORES)
    valid = rewards[MASK.bool()]
    assert valid.var(unbiased=True).item() == pytest.approx(1.0, abs=1e-4)
    assert torch.all(rewards[~MASK.bool()] == 0)
    raw, _ = build_rewards(config("token"), KL, MASK, HAS_EOS, TOKEN_SCORES)
    assert valid.mean().item() == pytest.approx(raw[MASK.bool()].mean().item(), abs=1e-5)  # mean kept, not 0


def test_centering_subtracts_the_batch_mean_over_text_tokens_and_leaves_eos_and_padding_alone() -> None:
    # what scoring hands over: no r_t on the EOS token (row 0 index 2, row 2 index 0) nor after it
    scores = TOKEN_SCORES * torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])
    rewards, model_part = build_rewards(config("token", center_token_rewards=True), KL, MASK, HAS_EOS, scores)
    text = [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3), (1, 4)]
    mean = sum(scores[b, t].item() for b, t in text) / len(text)  # (1 - 1 + 0 + 2 + 0 - 3 + 1) / 7
    for b in range(3):
        for t in range(5):
            expected = (scores[b, t].item() - mean if (b, t) in text else 0.0) - BETA * KL[b, t].item()
            assert rewards[b, t].item() == pytest.approx(expected, abs=1e-6), (b, t)
    assert sum(model_part[b, t].item() for b, t in text) == pytest.approx(0.0, abs=1e-6)


def test_centering_removes_a_constant_offset_so_it_cannot_act_as_a_length_penalty() -> None:
    scores = torch.tensor([[0.3, -0.2, 0.0, 0.0, 0.0], [0.1, 0.4, -0.5, 0.2, 0.0]])
    mask, has_eos = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]), torch.tensor([True, False])
    kl = torch.zeros(2, 5)
    cfg = config("token", center_token_rewards=True)
    plain, _ = build_rewards(cfg, kl, mask, has_eos, scores * mask)
    shifted, _ = build_rewards(cfg, kl, mask, has_eos, (scores - 1.0) * mask)
    text = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]]).bool()
    assert torch.allclose(plain[text], shifted[text], atol=1e-6)
    raw, _ = build_rewards(config("token"), kl, mask, has_eos, (scores - 1.0) * text)
    assert raw[1].sum() < raw[0].sum() - 2.5  # uncentred, the longer response pays for its length


def test_modes_refuse_missing_scores() -> None:
    with pytest.raises(ValueError, match="token_scores"):
        build_rewards(config("token"), KL, MASK, HAS_EOS, None, SEQUENCE_SCORES)
    with pytest.raises(ValueError, match="sequence_scores"):
        build_rewards(config("token+sequence"), KL, MASK, HAS_EOS, TOKEN_SCORES, None)


def test_kl_estimators_k1_and_k3() -> None:
    logprobs = torch.tensor([[math.log(0.5), math.log(0.2)]])
    ref_logprobs = torch.tensor([[math.log(0.25), math.log(0.4)]])
    k1 = estimate_kl(logprobs, ref_logprobs, "k1")
    k3 = estimate_kl(logprobs, ref_logprobs, "k3")
    assert k1[0].tolist() == pytest.approx([math.log(2.0), math.log(0.5)])
    # k3 = r - 1 - log r with r = p_ref / p: r = 0.5 and r = 2
    assert k3[0].tolist() == pytest.approx([0.5 - 1 - math.log(0.5), 2 - 1 - math.log(2.0)])
    assert torch.all(k3 >= 0)
    with pytest.raises(ValueError, match="k1"):
        estimate_kl(logprobs, ref_logprobs, "k2")
