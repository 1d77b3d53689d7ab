"""Label Studio pairwise task exports: a task's `data` holds the prompt and two answers, and its
`annotations[].result` hold the pairwise choice ({"type": "pairwise", "value": {"selected": "left"}}).

The prompt is the first of data.prompt / instruction / question / text; the answers the first pair of
answer1/answer2, response1/response2, answer_a/answer_b, response_a/response_b, text1/text2. Cancelled
annotations are ignored; several annotations are a majority vote, and a tie is a row error. The task id is
the external id; annotation ids, annotators, votes and lead times go to the metadata. In CSV, `data` and
`annotations` are JSON text in their cells.
"""

from typing import Any

from app.services.importers.fields import RowCheck, decode_json_text, json_type
from app.services.importers.records import PreferencePair

LABEL_STUDIO_KEYS = {"data", "annotations"}
PROMPT_KEYS = ("prompt", "instruction", "question", "text")
ANSWER_KEYS = (
    ("answer1", "answer2"), ("response1", "response2"), ("answer_a", "answer_b"),
    ("response_a", "response_b"), ("text1", "text2"),
)


def normalise_label_studio(check: RowCheck) -> PreferencePair:
    data = decode_json_text(check.require("data"))
    annotations = decode_json_text(check.require("annotations"))
    if check.errors:
        return check.pair("", "", "", {})
    if not isinstance(data, dict):
        check.fail("data", f"'data' must be an object, got {json_type(data)}")
        return check.pair("", "", "", {})
    prompt_key = next((k for k in PROMPT_KEYS if k in data), None)
    answer_keys = next((pair for pair in ANSWER_KEYS if pair[0] in data and pair[1] in data), None)
    if prompt_key is None:
        check.fail("data", f"'data' has no prompt field (one of {', '.join(PROMPT_KEYS)})")
    if answer_keys is None:
        check.fail("data", "'data' has no pair of answers (answer1/answer2, response1/response2, ...)")
    if check.errors:
        return check.pair("", "", "", {})
    assert prompt_key is not None and answer_keys is not None
    prompt = check.text(f"data.{prompt_key}", data[prompt_key])
    first = check.text(f"data.{answer_keys[0]}", data[answer_keys[0]])
    second = check.text(f"data.{answer_keys[1]}", data[answer_keys[1]])
    votes, details = _votes(check, annotations, answer_keys)
    meta: dict[str, Any] = {
        "label_studio": details,
        **{k: v for k, v in data.items() if k not in {prompt_key, *answer_keys}},
        **check.extras({"data", "annotations", "id", "external_id"} | _LABEL_STUDIO_NOISE),
    }
    if check.errors:
        return check.pair("", "", "", meta)
    if votes["left"] == votes["right"]:
        check.fail("annotations", "no pairwise choice: the task has no finished annotation"
                   if votes["left"] == 0 else f"annotators disagree ({votes['left']} chose the first answer, "
                   f"{votes['right']} the second); resolve it in Label Studio")
        return check.pair("", "", "", meta)
    chosen, rejected = (first, second) if votes["left"] > votes["right"] else (second, first)
    return check.pair(prompt, chosen, rejected, meta)


# Bookkeeping columns of a task export that say nothing about the pair.
_LABEL_STUDIO_NOISE = {
    "predictions", "drafts", "meta", "created_at", "updated_at", "inner_id", "total_annotations",
    "cancelled_annotations", "total_predictions", "comment_count", "unresolved_comment_count",
    "last_comment_updated_at", "project", "updated_by", "file_upload", "comment_authors",
}


def _votes(
    check: RowCheck, annotations: Any, answer_keys: tuple[str, str]
) -> tuple[dict[str, int], dict[str, Any]]:
    votes = {"left": 0, "right": 0}
    details: dict[str, Any] = {"annotation_ids": [], "annotators": [], "lead_times": []}
    if not isinstance(annotations, list):
        check.fail("annotations", f"'annotations' must be a list, got {json_type(annotations)}")
        return votes, details
    for n, annotation in enumerate(annotations):
        if not isinstance(annotation, dict) or not isinstance(annotation.get("result", []), list):
            check.fail("annotations", f"'annotations[{n}]' must be an object with a 'result' list")
            continue
        if annotation.get("was_cancelled"):
            continue
        side = _selected_side(annotation.get("result") or [], answer_keys)
        if side is None:
            continue
        votes[side] += 1
        details["annotation_ids"].append(annotation.get("id"))
        annotator = annotation.get("completed_by")
        details["annotators"].append(annotator.get("id") if isinstance(annotator, dict) else annotator)
        details["lead_times"].append(annotation.get("lead_time"))
    details["votes"] = dict(votes)
    return votes, details


def _selected_side(result: list[Any], answer_keys: tuple[str, str]) -> str | None:
    """"left" or "right" from the first pairwise result; custom choice values may name the answer fields."""
    for region in result:
        if not isinstance(region, dict):
            continue
        value = region.get("value")
        selected = value.get("selected") if isinstance(value, dict) else None
        if region.get("type") not in (None, "pairwise") or selected is None:
            continue
        if selected in ("left", answer_keys[0]):
            return "left"
        if selected in ("right", answer_keys[1]):
            return "right"
    return None
