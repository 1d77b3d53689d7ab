"""Row formats: detecting which one a file holds, and normalising a row of each to a PreferencePair.

- trl-standard: `prompt`, `chosen`, `rejected` strings.
- trl-conversational: the same three as lists of {role, content} (`prompt` may be left out); see messages.py.
- trl-implicit: `chosen` and `rejected` only. Strings: the prompt is their shared prefix, cut back to the
  last whitespace so that no word is split (the replies keep what follows). Message lists: the prompt is
  the leading messages they share.
- hh-rlhf: Anthropic HH-RLHF transcripts ("\\n\\nHuman: ... \\n\\nAssistant: ..."): the prompt is the
  transcript up to and including the last "\\n\\nAssistant:"; the replies are what follows it (one space
  stripped).
- alpaca-farm: `instruction`, `input`, `output_1`, `output_2`, `preference` (1 or 2); the prompt is the
  instruction, then a blank line and the input when there is one.
- label-studio: pairwise task exports; see label_studio.py.
Every format takes the row's `id` (or `external_id`) as its external id, else a hash of its texts.
"""

from collections.abc import Callable
from typing import Any

from app.services.importers.fields import RowCheck, decode_json_text, item_content_hash, json_type
from app.services.importers.label_studio import LABEL_STUDIO_KEYS, normalise_label_studio
from app.services.importers.messages import parse_messages, render_prompt, split_conversation
from app.services.importers.records import ImportLimits, PreferencePair

ROW_FORMATS = ("trl-standard", "trl-conversational", "trl-implicit", "hh-rlhf", "alpaca-farm", "label-studio")
HH_ASSISTANT = "\n\nAssistant:"
_ID_KEYS = {"id", "external_id"}


def detect_format(record: Any) -> str | None:
    """The format one record is in, judged by its fields; None when it matches none."""
    if not isinstance(record, dict):
        return None
    keys = set(record)
    if LABEL_STUDIO_KEYS <= keys:
        return "label-studio"
    if {"instruction", "output_1", "output_2"} <= keys:
        return "alpaca-farm"
    if not {"chosen", "rejected"} <= keys:
        return None
    chosen = decode_json_text(record["chosen"])
    if "prompt" in keys:
        return "trl-conversational" if isinstance(chosen, list) else "trl-standard"
    if isinstance(chosen, str) and _looks_like_hh(chosen):
        return "hh-rlhf"
    return "trl-implicit"


def _looks_like_hh(text: str) -> bool:
    return HH_ASSISTANT in text and ("\n\nHuman:" in text or text.startswith("Human:"))


def normalise_trl_standard(check: RowCheck) -> PreferencePair:
    prompt, chosen, rejected = check.text("prompt"), check.text("chosen"), check.text("rejected")
    return check.pair(prompt, chosen, rejected, check.extras({"prompt", "chosen", "rejected"} | _ID_KEYS))


def normalise_trl_conversational(check: RowCheck) -> PreferencePair:
    raw_prompt = check.record.get("prompt")
    prompt_msgs = [] if raw_prompt is None else parse_messages(check, "prompt", raw_prompt)
    return _conversation_pair(check, prompt_msgs)


def _conversation_pair(check: RowCheck, prompt_msgs: list[dict[str, str]]) -> PreferencePair:
    chosen_value, rejected_value = check.require("chosen"), check.require("rejected")
    chosen_msgs = parse_messages(check, "chosen", chosen_value) if chosen_value is not None else []
    rejected_msgs = parse_messages(check, "rejected", rejected_value) if rejected_value is not None else []
    meta = check.extras({"prompt", "chosen", "rejected"} | _ID_KEYS)
    if check.errors:
        return check.pair("", "", "", meta)
    shared, chosen, rejected = split_conversation(check, prompt_msgs, chosen_msgs, rejected_msgs)
    if check.errors:
        return check.pair("", "", "", meta)
    prompt = render_prompt(shared)
    if len(shared) > 1 or shared[0]["role"] != "user":
        meta["prompt_messages"] = shared
    return check.pair(
        check.checked_text("prompt", prompt), check.checked_text("chosen", chosen),
        check.checked_text("rejected", rejected), meta,
    )


def normalise_trl_implicit(check: RowCheck) -> PreferencePair:
    chosen_value = decode_json_text(check.record.get("chosen"))
    if isinstance(chosen_value, list):
        return _conversation_pair(check, [])
    chosen, rejected = check.text("chosen"), check.text("rejected")
    meta = check.extras({"chosen", "rejected"} | _ID_KEYS)
    if check.errors:
        return check.pair("", "", "", meta)
    cut = _shared_prefix_at_word(chosen, rejected)
    if cut == 0:
        check.fail("chosen", "'chosen' and 'rejected' share no prefix ending at a word boundary, so there is "
                             "no prompt to take; give it in a 'prompt' field (trl-standard)")
        return check.pair("", "", "", meta)
    return check.pair(
        chosen[:cut], check.checked_text("chosen", chosen[cut:]),
        check.checked_text("rejected", rejected[cut:]), meta,
    )


def _shared_prefix_at_word(a: str, b: str) -> int:
    """Length of the longest common prefix of a and b, cut back to just after a whitespace character."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # binary search: slice comparisons run in C, a character loop would not
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    while lo > 0 and not a[lo - 1].isspace():
        lo -= 1
    return lo


def normalise_hh_rlhf(check: RowCheck) -> PreferencePair:
    chosen_text, rejected_text = check.text("chosen"), check.text("rejected")
    meta = check.extras({"chosen", "rejected"} | _ID_KEYS)
    parts = {}
    for name, text in (("chosen", chosen_text), ("rejected", rejected_text)):
        at = text.rfind(HH_ASSISTANT)
        if text and at < 0:
            check.fail(name, f"'{name}' has no '\\n\\nAssistant:' turn; HH-RLHF transcripts read "
                             "'\\n\\nHuman: ...\\n\\nAssistant: ...'")
        elif text:
            end = at + len(HH_ASSISTANT)
            parts[name] = (text[:end], text[end:].removeprefix(" "))
    if check.errors:
        return check.pair("", "", "", meta)
    (prompt, chosen), (rejected_prompt, rejected) = parts["chosen"], parts["rejected"]
    if prompt != rejected_prompt:
        check.fail("rejected", "'chosen' and 'rejected' differ before the last Assistant turn; "
                               "only the final turn can be compared")
    return check.pair(
        prompt, check.checked_text("chosen", chosen), check.checked_text("rejected", rejected), meta
    )


def normalise_alpaca_farm(check: RowCheck) -> PreferencePair:
    instruction = check.text("instruction")
    extra_input = check.record.get("input")
    if extra_input is None:
        extra_input = ""
    elif not isinstance(extra_input, str):
        check.fail("input", f"'input' must be a string, got {json_type(extra_input)}")
        extra_input = ""
    output_1, output_2 = check.text("output_1"), check.text("output_2")
    preference = _preference(check)
    meta = check.extras({"instruction", "input", "output_1", "output_2", "preference"} | _ID_KEYS)
    meta["preference"] = preference
    prompt = f"{instruction}\n\n{extra_input}" if extra_input.strip() else instruction
    chosen, rejected = (output_1, output_2) if preference == 1 else (output_2, output_1)
    return check.pair(check.checked_text("prompt", prompt) if prompt else "", chosen, rejected, meta)


def _preference(check: RowCheck) -> int:
    value = check.require("preference")
    if value is None:
        return 0
    if isinstance(value, str):
        value = value.strip()
    if value in (1, 2, "1", "2", "1.0", "2.0") and not isinstance(value, bool):
        return int(float(value))
    check.fail("preference", f"'preference' must be 1 or 2 (which output is preferred), got {value!r}")
    return 0


NORMALISERS: dict[str, Callable[[RowCheck], PreferencePair]] = {
    "trl-standard": normalise_trl_standard,
    "trl-conversational": normalise_trl_conversational,
    "trl-implicit": normalise_trl_implicit,
    "hh-rlhf": normalise_hh_rlhf,
    "alpaca-farm": normalise_alpaca_farm,
    "label-studio": normalise_label_studio,
}


def normalise(fmt: str, row: int, record: Any, limits: ImportLimits) -> PreferencePair:
    """One record as a pair; raises RowInvalid (from fields) with every error found."""
    return NORMALISERS[fmt](RowCheck(row, record, limits))


__all__ = ["ROW_FORMATS", "detect_format", "item_content_hash", "normalise"]
