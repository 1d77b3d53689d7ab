"""The prompt template: rendering, the answer's format, and what parsing does with bad answers."""

import pytest

from app.services.autoedit.prompt import (
    DELIMITER,
    ParseError,
    PromptVersionError,
    available_versions,
    load_template,
    max_tokens_for,
    parse_output,
    render_prompt,
)


def test_the_prompt_shows_the_three_texts_verbatim_and_the_rules() -> None:
    prompt = render_prompt("v1", "Price of $HOME ${x}?", "It costs $5.", "It costs ${price} wrongly.")
    assert "Price of $HOME ${x}?" in prompt.user  # a `$` in the data is never read as a placeholder
    assert "It costs $5." in prompt.user and "It costs ${price} wrongly." in prompt.user
    assert prompt.user.index("<instruction>") < prompt.user.index("<preferred_response>") < prompt.user.index(
        "<less_preferred_response>")
    assert f"a line that contains only {DELIMITER}" in prompt.user
    assert "Keep every other character" in prompt.user and "Do not restyle" in prompt.user
    assert "minimal edits" in prompt.system
    request = prompt.as_request("claude-sonnet-4-5", 700)
    assert request["messages"] == [{"role": "user", "content": prompt.user}] and request["system"] == prompt.system


def test_an_unknown_version_names_the_ones_that_exist() -> None:
    assert "v1" in available_versions()
    with pytest.raises(PromptVersionError, match="available: .*v1"):
        load_template("v99")
    with pytest.raises(PromptVersionError):
        load_template("../config")


def test_parsing_takes_the_text_after_the_delimiter_line() -> None:
    answer = f"The capital was wrong.\n{DELIMITER}\nParis is the capital of France.\nIt is large."
    parsed = parse_output(answer, "Lyon is the capital of France.\nIt is large.")
    assert parsed.rationale == "The capital was wrong."
    assert parsed.edited == "Paris is the capital of France.\nIt is large."


def test_whitespace_at_both_ends_follows_the_original() -> None:
    parsed = parse_output(f"Fixed.\n{DELIMITER}\nGood answer.", "  Bad answer.\n\n")
    assert parsed.edited == "  Good answer.\n\n"


def test_an_answer_without_the_delimiter_is_a_parse_failure() -> None:
    with pytest.raises(ParseError, match="no <<<EDITED RESPONSE>>> line"):
        parse_output("Paris is the capital of France.", "Lyon is the capital of France.")
    with pytest.raises(ParseError, match="no <<<EDITED"):  # mentioned inside a sentence is not the line
        parse_output(f"I will write {DELIMITER} then the text. Paris.", "Lyon.")
    with pytest.raises(ParseError, match="nothing after"):
        parse_output(f"Rationale.\n{DELIMITER}\n  \n", "Lyon.")


def test_max_tokens_leaves_room_for_a_full_copy_and_is_capped() -> None:
    assert max_tokens_for("x" * 1000) >= 1000 // 2 + 500
    assert max_tokens_for("x" * 10_000_000) == 16_000
