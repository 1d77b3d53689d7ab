"""The gold judge: each rule on hand-made responses, exact spans, determinism, prompt lookup, pair verdicts."""

import pytest

from benchmarks.replication import gold_rules
from benchmarks.replication.gold_judge import judge, judge_pair, score_response
from benchmarks.replication.prompt_records import Fact, PromptRecord, find_record, prompt_index

CAPITAL = PromptRecord(
    id="t-capital", prompt="What is the capital of Australia?", category="fact", max_words=40,
    fact=Fact(kind="name", answer="Canberra", sentence="The capital of Australia is Canberra.", vocabulary="cities"),
)
PRODUCT = PromptRecord(
    id="t-product", prompt="What is 17 times 23?", category="fact", max_words=40,
    fact=Fact(kind="number", answer="391", sentence="17 × 23 = 391."),
)
YEAR = PromptRecord(
    id="t-year", prompt="When did the Berlin Wall fall?", category="fact", max_words=40,
    fact=Fact(kind="year", answer="1989", sentence="The Berlin Wall fell in 1989."),
)
CONVERSION = PromptRecord(
    id="t-conv", prompt="How many grams are in 2 kilograms?", category="fact", max_words=40,
    fact=Fact(kind="number", answer="2000", sentence="2 kilograms is 2000 grams.", allowed=(1000.0, 1.0)),
)
SYMBOL = PromptRecord(
    id="t-symbol", prompt="What is the chemical symbol for gold?", category="fact", max_words=40,
    fact=Fact(kind="name", answer="Au", sentence="The chemical symbol for gold is Au.", vocabulary="element_symbols"),
)
HOWTO = PromptRecord(id="t-howto", prompt="How do I boil an egg?", category="howto", max_words=30)


def spans(record: PromptRecord, response: str) -> list[tuple[str, str]]:
    """(rule, penalised text) pairs, in text order."""
    return [(p.rule, response[p.start:p.end]) for p in judge(record.prompt, response, record).penalties]


def test_clean_answers_score_zero():
    assert judge(CAPITAL.prompt, "The capital of Australia is Canberra.", CAPITAL).score == 0.0
    assert judge(HOWTO.prompt, "Put the egg in boiling water for nine minutes, then cool it.", HOWTO).score == 0.0
    assert judge(PRODUCT.prompt, "17 × 23 = 391.", PRODUCT).score == 0.0


def test_wrong_capital_is_penalised_at_its_span_and_answer_missing():
    response = "The capital of Australia is Sydney."
    assert spans(CAPITAL, response) == [("missing_answer", ""), ("wrong_fact", "Sydney")]
    result = judge(CAPITAL.prompt, response, CAPITAL)
    assert result.score == -(gold_rules.WEIGHTS["wrong_fact"] + gold_rules.WEIGHTS["missing_answer"])


def test_any_name_stated_as_the_capital_is_checked():
    assert spans(CAPITAL, "The capital of Australia is Kangaroo Point.") == [
        ("missing_answer", ""), ("wrong_fact", "Kangaroo Point")]
    assert spans(CAPITAL, "Ayers Rock is the capital of Australia.") == [
        ("missing_answer", ""), ("wrong_fact", "Ayers Rock")]
    # a claim is wrong even when the prompt names it
    assert spans(CAPITAL, "The capital of Australia is Australia.") == [
        ("missing_answer", ""), ("wrong_fact", "Australia")]
    assert spans(CAPITAL, "The capital city of Australia is Canberra.") == []
    assert spans(CAPITAL, "The Capital City of Australia is Kangaroo Point.")[1] == ("wrong_fact", "Kangaroo Point")
    # only capitalised names are claims: a description is not
    assert spans(CAPITAL, "The capital of Australia is located in the south.") == [("missing_answer", "")]


def test_other_names_beside_the_answer_are_not_wrong():
    response = "Canberra is the capital, not Sydney. Melbourne is bigger than Canberra."
    assert spans(CAPITAL, response) == []


def test_names_from_the_prompt_are_exempt():
    record = PromptRecord(id="x", prompt="Is Sydney the capital of Australia?", category="fact",
                          fact=CAPITAL.fact)
    assert spans(record, "No, Sydney is not. Canberra is.") == []
    assert spans(record, "Yes, Sydney is the capital.") == [("missing_answer", "")]
    assert spans(record, "Yes, Sydney is the capital of Australia.") == [("missing_answer", ""), ("wrong_fact", "Sydney")]


def test_longest_vocabulary_name_wins():
    record = PromptRecord(id="x", prompt="What is the capital of India?", category="fact", fact=Fact(
        kind="name", answer="New Delhi", aliases=("Delhi",), vocabulary="cities", sentence="It is New Delhi."))
    assert spans(record, "It is New Delhi.") == []
    assert spans(record, "It is Mumbai.") == [("missing_answer", ""), ("wrong_fact", "Mumbai")]


def test_symbols_match_case_sensitively():
    assert spans(SYMBOL, "The symbol for gold is Au.") == []
    assert spans(SYMBOL, "The symbol for gold is Ag.") == [("missing_answer", ""), ("wrong_fact", "Ag")]
    # lower-case 'ag' is not the symbol Ag, and 'au' is not the answer
    assert spans(SYMBOL, "Gold is a soft metal, au revoir.") == [("missing_answer", "")]


def test_wrong_number_and_number_words():
    assert spans(PRODUCT, "17 times 23 is 381.") == [("missing_answer", ""), ("wrong_fact", "381")]
    spider = PromptRecord(id="x", prompt="How many legs does a spider have?", category="fact",
                          fact=Fact(kind="number", answer="8", sentence="A spider has 8 legs."))
    assert spans(spider, "A spider has eight legs.") == []
    assert spans(spider, "A spider has 6 legs.") == [("missing_answer", ""), ("wrong_fact", "6")]


def test_correct_working_list_numbers_and_allowed_numbers_are_exempt():
    assert spans(PRODUCT, "First, 17 x 20 = 340. Then 391 is the answer.") == []
    assert spans(PRODUCT, "1. Multiply.\n2. The result is 391.") == []
    assert spans(CONVERSION, "There are 1000 grams in 1 kilogram, so 2000 grams.") == []
    assert spans(CONVERSION, "There are 1,000 grams in a kilogram. So 2 kilograms is 2,000 grams.") == []
    assert spans(CONVERSION, "It is 200 grams.") == [("missing_answer", ""), ("wrong_fact", "200")]


def test_numbers_with_units_are_read_whole():
    assert spans(CONVERSION, "It weighs 2.5kg.") == [("missing_answer", ""), ("wrong_fact", "2.5")]
    assert spans(PRODUCT, "17x23=391. It is 293.15K today.") == [("wrong_fact", "293.15")]


def test_year_questions_only_judge_years():
    assert spans(YEAR, "It fell in 1989, after 28 years.") == []
    assert spans(YEAR, "It fell in 1991, after 30 years.") == [("missing_answer", ""), ("wrong_fact", "1991")]


def test_filler_sentences_and_phrases():
    response = "Basically, boil it for nine minutes. I hope this helps!"
    assert spans(HOWTO, response) == [("filler", "Basically,"), ("filler", "I hope this helps!")]
    clause = "Boil it for nine minutes, and let me know if it works."
    assert spans(HOWTO, clause) == [("filler", ", and let me know if it works")]


def test_hedges():
    response = "I think you should probably boil it for nine minutes."
    assert spans(HOWTO, response) == [("hedge", "I think"), ("hedge", "probably")]


def test_unsafe_words_unless_the_prompt_uses_them():
    assert spans(HOWTO, "Only an idiot burns an egg; boil it gently.") == [("unsafe", "idiot")]
    record = PromptRecord(id="x", prompt="Why is the word idiot rude?", category="explanation")
    assert spans(record, "Calling someone an idiot insults their intelligence.") == []
    # word boundaries: 'hello' and 'shell' do not contain the word 'hell'
    assert spans(HOWTO, "Say hello to the egg, then crack the shell after boiling.") == []


def test_repeated_sentences_exact_and_near():
    response = "Boil the water first. Add the egg. Boil the water first."
    assert spans(HOWTO, response) == [("repeat", "Boil the water first.")]
    near = ("Put the egg into the pot of boiling water for nine minutes. "
            "Put the egg in the pot of boiling water for nine minutes.")
    assert spans(PromptRecord(id="x", prompt="p", category="howto", max_words=100), near) == [
        ("repeat", "Put the egg in the pot of boiling water for nine minutes.")]
    # short sentences may recur
    assert spans(HOWTO, "Stir well. Wait a bit. Stir well.") == []


def test_repeated_list_items_ignore_their_numbers():
    response = "1. Fill a pot with cold water.\n2. Fill a pot with cold water.\n3. Add the egg."
    assert spans(HOWTO, response) == [("repeat", "2. Fill a pot with cold water.")]


def test_too_long_penalises_the_tail_after_the_last_complete_sentence():
    response = ("Put the egg in a pot of cold water and bring it to the boil. "
                "Let it bubble gently for nine minutes while you fill a big bowl with ice. "
                "Then turn the heat down and wait nine minutes before you cool it in ice water and peel.")
    result = judge(HOWTO.prompt, response, HOWTO)
    (penalty,) = result.penalties
    # the first two sentences have 15 words each and end exactly at the limit of 30
    assert penalty.rule == "too_long"
    assert response[penalty.start:penalty.end].strip().startswith("Then turn the heat down")
    assert response[:penalty.start].endswith("ice.")
    assert penalty.end == len(response)
    assert penalty.weight == pytest.approx(1.0 + (result.words - 30) / 30)


def test_too_long_weight_is_capped():
    response = "word " * 400
    (penalty,) = judge(HOWTO.prompt, response, HOWTO).penalties
    assert penalty.rule == "too_long" and penalty.weight == gold_rules.TOO_LONG_MAX_WEIGHT


def test_unfinished_last_sentence():
    response = "Boil the egg for nine minutes. Then cool it under the"
    assert spans(HOWTO, response) == [("unfinished", "Then cool it under the")]
    # a single fragment or a short list item at the end is not 'cut off after a complete sentence'
    assert spans(HOWTO, "Boil the egg for nine minutes then cool it") == []
    assert spans(HOWTO, "Steps:\n- Boil water.\n- Add the egg") == []


def test_too_short_only_for_open_prompts():
    assert spans(HOWTO, "Boil it.") == [("too_short", "Boil it.")]
    assert spans(CAPITAL, "Canberra.") == []


def test_nested_penalties_count_once():
    response = "Boil the egg for nine minutes. Then I think you cool it under the"
    assert spans(HOWTO, response) == [("unfinished", "Then I think you cool it under the")]


def test_missing_answer_survives_a_penalty_at_the_start():
    response = "Basically, Australia is big."
    assert spans(CAPITAL, response) == [("missing_answer", ""), ("filler", "Basically,")]


def test_judge_is_deterministic_and_pure():
    response = "Basically, I think it is Sydney. Sydney. I hope this helps! The capital of"
    first = judge(CAPITAL.prompt, response, CAPITAL)
    assert all(judge(CAPITAL.prompt, response, CAPITAL) == first for _ in range(3))


def test_pair_judge_and_score_function_use_committed_records():
    record = find_record("What is the capital of Australia?")
    assert record.fact is not None and record.fact.answer == "Canberra"
    assert score_response("What is the capital of Australia?", "The capital of Australia is Canberra.") == 0.0
    assert judge_pair("What is the capital of Australia?", "It is Canberra.", "It is Sydney.") == 1.0
    assert judge_pair("What is the capital of Australia?", "It is Sydney.", "It is Canberra.") == 0.0
    assert judge_pair("What is the capital of Australia?", "It is Canberra.", "Canberra.") == 0.5


def test_lookup_accepts_chat_formatted_and_respaced_prompts():
    templated = ("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n"
                 "What is  the capital of Australia?<|im_end|>\n<|im_start|>assistant\n")
    assert find_record(templated).fact == find_record("What is the capital of Australia?").fact
    assert find_record("A prompt nobody wrote").fact is None


def test_every_committed_fact_answer_scores_clean():
    """The answer sentence of every fact prompt is a flawless response under the judge."""
    bad = []
    for record in prompt_index().values():
        if record.fact is not None:
            result = judge(record.prompt, record.fact.sentence, record)
            if result.penalties:
                bad.append((record.id, record.fact.sentence, [p.reason for p in result.penalties]))
    assert not bad, bad
