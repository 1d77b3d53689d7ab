"""training.evaluation: win-rate summary and bootstrap, end-to-end runs with python judges, judge specs."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from training.evaluation.config import preset
from training.evaluation.judges import PythonJudge, load_judge, prefer_shorter
from training.evaluation.win_rate import evaluate_win_rate, generate_responses, main, summarize_win_rate
from training.ppo.prompts import BUILTIN_PROMPTS
from training.tiny import tiny_model_dir


def test_summary_counts_ties_as_half_and_brackets_the_estimate() -> None:
    result = summarize_win_rate([1.0, 0.9, 0.6, 0.0, 0.5], bootstrap_samples=500)
    assert (result.n, result.wins, result.ties, result.losses) == (5, 3, 1, 1)
    assert result.win_rate == pytest.approx(3.5 / 5) and result.tie_rate == pytest.approx(0.2)
    assert result.mean_probability == pytest.approx(3.0 / 5)
    assert 0.0 <= result.ci_low <= result.win_rate <= result.ci_high <= 1.0 and result.ci_low < result.ci_high
    margin = summarize_win_rate([1.0, 0.9, 0.6, 0.0, 0.5], tie_margin=0.15)
    assert (margin.wins, margin.ties, margin.losses) == (2, 2, 1)


def test_bootstrap_interval_matches_the_normal_approximation_on_many_prompts() -> None:
    result = summarize_win_rate([1.0, 0.0] * 200, bootstrap_samples=4000, seed=3)
    half_width = 1.96 * (0.25 / 400) ** 0.5  # about 0.049
    assert result.win_rate == 0.5
    assert result.ci_low == pytest.approx(0.5 - half_width, abs=0.01)
    assert result.ci_high == pytest.approx(0.5 + half_width, abs=0.01)
    unanimous = summarize_win_rate([1.0] * 10)
    assert (unanimous.win_rate, unanimous.ci_low, unanimous.ci_high) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="at least one prompt"):
        summarize_win_rate([])


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cache = tmp_path_factory.mktemp("models")
    return tiny_model_dir(cache, seed=0), tiny_model_dir(cache, seed=1)


def test_policy_goes_first_to_the_judge_and_every_pair_is_written(tiny_pair: tuple[Path, Path],
                                                                    tmp_path: Path) -> None:
    policy, reference = tiny_pair
    config = replace(preset("cpu-tiny"), policy=str(policy), reference=str(reference), output_dir=str(tmp_path))
    progress: list[dict] = []
    result = evaluate_win_rate(config, on_progress=progress.append)
    # the known answer: sample both models independently and apply the same length judge by hand
    sampling = {"max_new_tokens": 8, "temperature": 0.7, "max_prompt_tokens": 32, "seed": 0}
    policy_texts = generate_responses(str(policy), BUILTIN_PROMPTS, **sampling)
    reference_texts = generate_responses(str(reference), BUILTIN_PROMPTS, **sampling)
    expected = [prefer_shorter("", a, b) for a, b in zip(policy_texts, reference_texts, strict=True)]
    assert set(expected) - {0.5}, "the two tiny models should differ somewhere for this test to mean anything"
    pairs = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text().splitlines()]
    assert [p["prompt"] for p in pairs] == BUILTIN_PROMPTS
    assert [p["policy"] for p in pairs] == policy_texts and [p["reference"] for p in pairs] == reference_texts
    assert [p["p_policy_better"] for p in pairs] == expected
    assert (result.wins, result.ties, result.losses) == (expected.count(1.0), expected.count(0.5),
                                                         expected.count(0.0))
    n = len(BUILTIN_PROMPTS)
    assert progress[-1]["step"] == progress[-1]["total_steps"] == 3 * n
    assert progress[-1]["win_rate"] == pytest.approx(sum(expected) / n)
    summary = json.loads((tmp_path / "win_rate.json").read_text())
    assert summary["judge"] == "python:training.evaluation.judges:prefer_shorter" and summary["n"] == n


def test_a_judge_that_always_prefers_the_policy_gives_a_win_rate_of_one(tiny_pair: tuple[Path, Path],
                                                                        tmp_path: Path) -> None:
    policy, reference = tiny_pair
    config = replace(preset("cpu-tiny"), policy=str(policy), reference=str(reference), output_dir=str(tmp_path),
                     judge="python:tests.training.win_rate_judges:always_first", max_prompts=3)
    result = evaluate_win_rate(config)
    assert (result.n, result.wins, result.win_rate, result.ci_low, result.ci_high) == (3, 3, 1.0, 1.0, 1.0)


def test_a_model_against_itself_ties_everywhere_under_a_length_judge(tiny_pair: tuple[Path, Path],
                                                                     tmp_path: Path) -> None:
    policy, _ = tiny_pair
    config = replace(preset("cpu-tiny"), policy=str(policy), reference=str(policy), output_dir=str(tmp_path),
                     max_prompts=4)
    result = evaluate_win_rate(config)
    assert (result.n, result.ties, result.win_rate) == (4, 4, 0.5)  # same weights, same seed: same responses


def test_python_judge_checks_its_answers_and_specs_fail_clearly() -> None:
    with pytest.raises(ValueError, match="probability in \\[0, 1\\]"):
        PythonJudge("tests.training.win_rate_judges:out_of_range").compare(["p"], ["a"], ["b"])
    with pytest.raises(ValueError, match="no function 'missing'"):
        load_judge("python:tests.training.win_rate_judges:missing")
    with pytest.raises(ValueError, match="cannot import"):
        load_judge("python:no_such_module_here:f")
    with pytest.raises(ValueError, match="is unknown"):
        load_judge("gpt4")
    assert prefer_shorter("p", "short", "much longer") == 1.0 and prefer_shorter("p", "ab", "cd") == 0.5


def test_main_reports_bad_input_with_a_non_zero_exit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", "cpu-tiny", "--set", "judge=oracle"]) == 2
    assert "judge 'oracle' is unknown" in capsys.readouterr().err


def test_reward_model_judge_is_bradley_terry_on_unpadded_scores(tiny_pair: tuple[Path, Path],
                                                                 tmp_path: Path) -> None:
    import torch

    from training.chat_format import encode_prompt_response
    from training.ppo.policy import load_policy_tokenizer
    from training.reward.model import build_reward_model, load_reward_model, save_reward_model

    tokenizer = load_policy_tokenizer(tiny_pair[0])
    save_reward_model(build_reward_model(tiny_pair[0], "sequence", "sequence-bt", tokenizer, seed=4), tmp_path)
    judge = load_judge(f"reward-model:{tmp_path}")
    prompts = ["Name a colour.", "Say hello to the sea please."]
    a, b = ["Red.", "Hello sea, the waves roll in."], ["Blue is a colour of the sky.", "Hi."]
    probabilities = judge.compare(prompts, a, b)
    model = load_reward_model(tmp_path)

    def one_score(prompt: str, response: str) -> float:  # one row at a time: no padding at all
        ids, mask = encode_prompt_response(tokenizer, prompt, response)
        return model.score_sequences(torch.tensor([ids]), torch.ones(1, len(ids)), torch.tensor([mask])).item()

    expected = [torch.sigmoid(torch.tensor(one_score(p, x) - one_score(p, y))).item()
                for p, x, y in zip(prompts, a, b, strict=True)]
    assert probabilities == pytest.approx(expected, abs=1e-5)
    assert [p + q for p, q in zip(probabilities, judge.compare(prompts, b, a), strict=True)] == pytest.approx([1, 1])
