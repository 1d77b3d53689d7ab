"""The oracle editor: it fixes exactly the penalised spans, the edit scores better, clean text is untouched."""

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.replication.gold_judge import judge
from benchmarks.replication.oracle_editor import edit_response, oracle_edit
from benchmarks.replication.prompt_records import Fact, PromptRecord, prompt_index

CAPITAL = PromptRecord(
    id="t-capital", prompt="What is the capital of Australia?", category="fact", max_words=40,
    fact=Fact(kind="name", answer="Canberra", sentence="The capital of Australia is Canberra.", vocabulary="cities"),
)
PRODUCT = PromptRecord(
    id="t-product", prompt="What is 17 times 23?", category="fact", max_words=40,
    fact=Fact(kind="number", answer="391", sentence="17 × 23 = 391."),
)
HOWTO = PromptRecord(id="t-howto", prompt="How do I boil an egg?", category="howto", max_words=30)


def edited(record: PromptRecord, response: str) -> str:
    return oracle_edit(record.prompt, response, record).edited


def test_wrong_fact_is_replaced_by_the_answer():
    assert edited(CAPITAL, "The capital of Australia is Sydney.") == "The capital of Australia is Canberra."
    assert edited(PRODUCT, "17 times 23 is 381.") == "17 times 23 is 391."


def test_missing_answer_inserts_the_answer_sentence_at_the_start():
    assert edited(CAPITAL, "Australia is a large country.") == (
        "The capital of Australia is Canberra. Australia is a large country.")
    assert edited(CAPITAL, "") == "The capital of Australia is Canberra."


def test_filler_and_hedges_are_deleted_with_tidy_joins():
    assert edited(HOWTO, "Basically, boil it for nine minutes. I hope this helps!") == "Boil it for nine minutes."
    assert edited(HOWTO, "I think you should probably boil it for nine minutes.") == (
        "You should boil it for nine minutes.")
    assert edited(HOWTO, "Boil it for nine minutes, and let me know if it works.") == "Boil it for nine minutes."
    assert edited(HOWTO, "Boil it gently. Of course, salt the water.") == "Boil it gently. Salt the water."


def test_unsafe_words_are_removed():
    assert edited(HOWTO, "Only an idiot burns an egg, so boil it gently.") == "Only an burns an egg, so boil it gently."


def test_repeats_are_deleted_and_lines_close_up():
    assert edited(HOWTO, "Boil the water first. Add the egg. Boil the water first.") == (
        "Boil the water first. Add the egg.")
    listing = "1. Fill a pot with cold water.\n2. Fill a pot with cold water.\n3. Add the egg."
    assert edited(HOWTO, listing) == "1. Fill a pot with cold water.\n3. Add the egg."


def test_runaway_length_and_unfinished_endings_are_cut():
    assert edited(HOWTO, "Boil the egg for nine minutes. Then cool it under the") == "Boil the egg for nine minutes."
    long = "Boil the egg " + "and then wait " * 20 + "until done."
    cut = edited(HOWTO, long)
    assert cut.endswith(".") and len(cut.split()) <= 30
    assert judge(HOWTO.prompt, cut, HOWTO).score == 0.0


def test_a_cut_that_removes_the_only_answer_is_followed_by_the_answer():
    record = PromptRecord(id="x", prompt=CAPITAL.prompt, category="fact", max_words=14, fact=CAPITAL.fact)
    response = "Australia has many famous cities and beaches. Its capital city is Canberra, which was planned."
    result = oracle_edit(record.prompt, response, record)
    assert result.edited == "The capital of Australia is Canberra. Australia has many famous cities and beaches."
    assert result.after.score == 0.0


def test_too_short_is_left_alone_and_reported():
    result = oracle_edit(HOWTO.prompt, "Boil it.", HOWTO)
    assert result.edited == "Boil it." and not result.changed
    assert [p.rule for p in result.unfixable] == ["too_short"]


def test_clean_responses_are_unchanged():
    for record, text in [(CAPITAL, "The capital of Australia is Canberra."),
                         (HOWTO, "Put the egg in boiling water for nine minutes, then cool it.")]:
        result = oracle_edit(record.prompt, text, record)
        assert result.edited == text and not result.changed


def test_edit_response_looks_up_committed_records():
    assert edit_response("What is the capital of Australia?", "It is Sydney.") == "It is Canberra."


def test_only_penalised_spans_change():
    """Outside the penalised spans (and the whitespace and capital letter at each join) nothing changes."""
    response = "Boil water in a pot. Basically, add the egg gently. Wait nine minutes. I hope this helps!"
    result = oracle_edit(HOWTO.prompt, response, HOWTO)
    assert result.edited == "Boil water in a pot. Add the egg gently. Wait nine minutes."


# -- property: for any mix of clean and defective pieces, the edit never scores worse, and fixes everything
# fixable ----------------------------------------------------------------------------------------------

CLEAN = [
    "Fill a pot with water.", "Bring it to a gentle boil.", "Lower the egg in with a spoon.",
    "Cook it for nine minutes.", "Cool it in cold water.", "Peel it from the wide end.",
]
DEFECTS = [
    "I hope this helps!", "Basically, the shell comes off easily.", "You should probably add salt.",
    "I think timing matters most.", "Only an idiot forgets the timer.", "Let me know if you have any other questions.",
    "It is important to note that fresh eggs peel badly.", "Honestly, it is easy.",
]
RECORDS = [HOWTO, PromptRecord(id="y", prompt="How do I boil an egg well?", category="howto", max_words=60)]


@settings(max_examples=60, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(CLEAN + DEFECTS), min_size=1, max_size=9),
    repeat=st.booleans(), cut=st.sampled_from(["", " Then take the", " and"]), which=st.sampled_from(RECORDS),
)
def test_edit_never_scores_worse_and_fixes_what_it_can(pieces, repeat, cut, which):
    if repeat:
        pieces = pieces + pieces[:1]
    response = " ".join(pieces) + cut
    result = oracle_edit(which.prompt, response, which)
    assert result.after.score >= result.before.score
    fixable = [p for p in result.before.penalties if p.rule != "too_short"]
    if fixable:
        assert result.after.score > result.before.score
    assert all(p.rule == "too_short" for p in result.after.penalties)
    assert oracle_edit(which.prompt, result.edited, which).edited == result.edited  # idempotent


def test_every_committed_fact_prompt_with_a_wrong_answer_is_fixed():
    """For each fact prompt: a response giving a wrong answer is edited into one that scores 0."""
    from benchmarks.replication import gold_rules

    for record in prompt_index().values():
        fact = record.fact
        if fact is None:
            continue
        if fact.kind == "name":
            assert fact.vocabulary is not None
            wrong = next(t for t in gold_rules.VOCABULARIES[fact.vocabulary]
                         if t.lower() not in {n.lower() for n in fact.names} and t.lower() not in record.prompt.lower())
        else:
            wrong = str(int(fact.value) + 7) if fact.kind == "year" else str(fact.value * 3 + 11)
        response = f"The answer is {wrong}."
        result = oracle_edit(record.prompt, response, record)
        assert result.before.score < 0, (record.id, response)
        assert result.after.score == 0.0, (record.id, result.edited, result.after.penalties)
