"""Pair sampling: TRL rows with meta, ranked by the gold judge, deterministic by seed; re-ranking old pairs."""

from benchmarks.replication.prompt_records import Fact, PromptRecord
from benchmarks.replication.sample import SamplingSettings, rank_pair, rejudge_pairs, sample_pairs

CAPITAL = PromptRecord(
    id="t-capital", prompt="What is the capital of Australia?", category="fact", max_words=40,
    fact=Fact(kind="name", answer="Canberra", sentence="The capital of Australia is Canberra.", vocabulary="cities"),
)
HOWTO = PromptRecord(id="t-howto", prompt="How do I boil an egg?", category="howto", max_words=30)


def test_rank_pair_prefers_the_higher_gold_score():
    which, best, worst = rank_pair(CAPITAL, "It is Sydney.", "It is Canberra.")
    assert which == 1 and best.score == 0.0 and worst.score < 0
    which, _, _ = rank_pair(CAPITAL, "It is Canberra.", "It is Sydney.")
    assert which == 0
    which, best, worst = rank_pair(CAPITAL, "a", "b", score=lambda prompt, text: float(text == "b"))
    assert which == 1 and best.score == 1.0 and worst.penalties == ()


def test_sampled_rows_are_trl_rows_with_meta_and_repeat_by_seed():
    settings = SamplingSettings(model="tiny", max_new_tokens=12, batch_size=2, rounds=1, keep_ties=True, seed=3)
    rows = sample_pairs([CAPITAL, HOWTO], settings)
    assert [r["id"] for r in rows] == ["t-capital", "t-howto"]
    for row in rows:
        assert set(row) == {"id", "prompt", "chosen", "rejected", "meta"}
        assert row["meta"]["chosen_score"] >= row["meta"]["rejected_score"]
        assert "\x00" not in row["chosen"] + row["rejected"]
    assert rows[0]["meta"]["known_answer"] == "Canberra"
    assert sample_pairs([CAPITAL, HOWTO], settings) == rows


def test_ties_are_dropped_unless_kept():
    settings = SamplingSettings(model="tiny", max_new_tokens=4, batch_size=2, rounds=1, seed=0)
    kept = sample_pairs([HOWTO, HOWTO], SamplingSettings(**{**settings.__dict__, "keep_ties": True}))
    dropped = sample_pairs([HOWTO, HOWTO], settings)
    assert len(dropped) == sum(not r["meta"]["tie"] for r in kept)


def test_rejudge_swaps_sides_by_the_current_judge():
    meta = {"chosen_ended_with_eos": True, "rejected_ended_with_eos": False, "tie": False, "chosen_score": 0.0,
            "rejected_score": -1.0}
    rows = [{"id": "t-capital", "prompt": CAPITAL.prompt, "chosen": "It is Sydney.", "rejected": "It is Canberra.",
             "meta": meta},
            {"id": "t-howto", "prompt": HOWTO.prompt, "chosen": "Boil it for nine minutes.",
             "rejected": "Boil it for nine minutes.", "meta": meta}]
    out = rejudge_pairs(rows, [CAPITAL, HOWTO])
    assert len(out) == 1  # the identical pair ties and is dropped
    assert out[0]["chosen"] == "It is Canberra." and out[0]["rejected"] == "It is Sydney."
    assert out[0]["meta"]["chosen_ended_with_eos"] is False and out[0]["meta"]["rejected_score"] < 0
    assert [p["rule"] for p in out[0]["meta"]["rejected_penalties"]] == ["missing_answer", "wrong_fact"]
    assert len(rejudge_pairs(rows, [CAPITAL, HOWTO], keep_ties=True)) == 2
