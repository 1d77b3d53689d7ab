"""training.ppo.rollout and scoring: left-padded prompts whose template holds EOS, masks, log-probs, scores."""

from pathlib import Path

import pytest
import torch

from tests.training.ppo_scorers import CountScorer, TokenIdScorer
from training.chat_format import encode_prompt_response
from training.ppo.policy import PolicyWithValue, load_causal_lm, load_policy_tokenizer, token_logprobs
from training.ppo.rollout import encode_prompts, response_mask_until_eos, sample_responses, template_tail_ids
from training.ppo.scoring import score_rollout
from training.tiny import tiny_model_dir

PROMPTS = ["Hi", "Please write a short poem about the sea and the waves.", "What is the capital of France?"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model_dir(tmp_path_factory.mktemp("models"))


def test_prompts_are_left_padded_and_their_template_eos_tokens_are_attended(tiny: Path) -> None:
    tokenizer = load_policy_tokenizer(tiny)
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    ids, mask = encode_prompts(tokenizer, PROMPTS, max_prompt_tokens=64)
    assert ids.shape == mask.shape and ids.shape[0] == 3
    short = mask[0]
    assert short[0] == 0 and short[-1] == 1  # padding on the left
    eos_in_prompt = (ids == tokenizer.eos_token_id) & (mask == 1)
    assert eos_in_prompt.sum(1).tolist() == [1, 1, 1]  # <|im_end|> closing the user turn is attended
    text = tokenizer.decode(ids[1][mask[1].bool()])
    assert text.endswith("<|im_start|>assistant\n")
    cut_ids, cut_mask = encode_prompts(tokenizer, PROMPTS, max_prompt_tokens=5)
    assert cut_ids.shape[1] == 5 and torch.equal(cut_ids[1], ids[1, -5:])  # long prompts keep their end


def test_response_mask_runs_through_the_first_eos() -> None:
    eos = 7
    response = torch.tensor([[3, 4, 7, 7, 7], [3, 4, 5, 6, 2], [7, 3, 7, 7, 7]])
    mask, has_eos = response_mask_until_eos(response, eos)
    assert mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]
    assert has_eos.tolist() == [True, False, True]


def test_forward_log_probs_match_generation_under_left_padding(tiny: Path) -> None:
    torch.manual_seed(0)
    tokenizer = load_policy_tokenizer(tiny)
    lm = load_causal_lm(tiny)
    policy = PolicyWithValue(lm, lm.config.hidden_size)
    ids, mask = encode_prompts(tokenizer, PROMPTS, max_prompt_tokens=64)
    out = lm.generate(input_ids=ids, attention_mask=mask, max_new_tokens=6, do_sample=True, top_k=0, top_p=1.0,
                      temperature=1.0, pad_token_id=tokenizer.pad_token_id, output_logits=True,
                      return_dict_in_generate=True)
    response = out.sequences[:, ids.shape[1]:]  # (B, R)
    response_mask, _ = response_mask_until_eos(response, tokenizer.eos_token_id)
    generated = torch.stack(out.logits, dim=1)  # (B, R, V)
    expected = token_logprobs(generated, response, 1.0)
    full_ids = torch.cat([ids, response], 1)
    full_mask = torch.cat([mask, response_mask], 1)
    with torch.no_grad():
        logits, values = policy(full_ids, full_mask, response.shape[1])
    assert logits.shape == (*response.shape, lm.config.vocab_size) and values.shape == response.shape
    got = token_logprobs(logits, response, 1.0)
    valid = response_mask.bool()
    assert torch.allclose(got[valid], expected[valid], atol=1e-4)


def test_reward_models_see_the_training_format_and_token_rewards_land_on_response_text(tiny: Path) -> None:
    torch.manual_seed(1)
    tokenizer = load_policy_tokenizer(tiny)
    lm = load_causal_lm(tiny)
    ids, mask = encode_prompts(tokenizer, PROMPTS, max_prompt_tokens=64)
    rollout = sample_responses(lm, tokenizer, ids, mask, max_new_tokens=6)
    rollout.response[1, 2] = tokenizer.eos_token_id  # make sure one response ends with EOS, mid-way
    rollout.response_mask, rollout.has_eos = response_mask_until_eos(rollout.response, tokenizer.eos_token_id)
    favoured = int(rollout.response[0, 0])
    token_model, sequence_model = TokenIdScorer(tokenizer, favoured), CountScorer(tokenizer, favoured)
    tail = template_tail_ids(tokenizer)
    assert tokenizer.decode(tail) == "<|im_end|>\n"
    token_scores, sequence_scores = score_rollout({"token": token_model, "sequence": sequence_model}, rollout,
                                                  tail, tokenizer.pad_token_id)
    seen_ids, seen_mask = token_model.seen[0]
    _, _, seen_response = sequence_model.seen[0]
    for row in range(3):
        n_text = int(rollout.response_mask[row].sum()) - int(rollout.has_eos[row])
        prompt = ids[row][mask[row].bool()].tolist()
        text = rollout.response[row, :n_text].tolist()
        # prompt and tail are what chat_format.encode_prompt_response gives the reward models in training
        empty_ids, _ = encode_prompt_response(tokenizer, PROMPTS[row], "")
        assert prompt + tail == empty_ids
        n = len(prompt) + n_text + len(tail)
        assert seen_ids[row, :n].tolist() == prompt + text + tail
        assert seen_mask[row].tolist() == [1] * n + [0] * (seen_mask.shape[1] - n)  # right padding
        assert seen_response[row].tolist() == [0] * len(prompt) + [1] * n_text + [0] * (seen_mask.shape[1] - len(
            prompt) - n_text)
    assert rollout.has_eos[1] and int(rollout.response_mask[1].sum()) == 3
    text_mask = rollout.response_mask * (rollout.response != tokenizer.eos_token_id)  # EOS gets no token reward
    assert text_mask[1].tolist() == [1, 1, 0, 0, 0, 0][: text_mask.shape[1]]
    expected = torch.where(rollout.response == favoured, 1.0, -0.1) * text_mask
    assert token_scores is not None and torch.allclose(token_scores, expected)
    counts = ((rollout.response == favoured) & text_mask.bool()).sum(1).float()
    assert sequence_scores is not None and torch.equal(sequence_scores, counts)
