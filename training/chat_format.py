"""The one way a prompt and a response are joined into a training text, and encoded with token labels.

Training, export, the reward models and PPO all join through here, so token ids and labels agree
everywhere. With a chat template the prompt is the user turn and the response the assistant turn; the
response appears verbatim in the text, so character offsets (and the edit's hunks) map back to it.
Without a template the two are joined as plain text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from training.alignment import NEGATIVE, POSITIVE, Hunk, apply_hunks, diff_hunks, overlap_labels
from training.tokenizers import load_tokenizer

IGNORE_INDEX = -100
CHAT_TEMPLATE, PLAIN = "chat_template", "plain"
# Rendered in place of the response, then replaced by it: the template cannot alter the response.
_SENTINEL = "\ue000redline-response\ue001"


@dataclass(frozen=True)
class JoinedText:
    """A prompt and a response as one text."""

    text: str
    """The joined text, as the tokenizer encodes it."""
    response_start: int
    """Character offset of the response in `text`."""
    method: str
    """"chat_template" (user turn + assistant turn) or "plain"."""
    response_end: int
    """Character offset just past the response (`text[response_start:response_end]` is the response)."""

    @property
    def add_special_tokens(self) -> bool:
        """A rendered template already holds its special tokens; plain text gets the tokenizer's usual ones."""
        return self.method == PLAIN


def _template_parts(tok: Any, prompt: str) -> tuple[str, str] | None:
    """(text before the response, text after it) from the chat template, or None without a usable one."""
    if not getattr(tok, "chat_template", None):
        return None
    messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": _SENTINEL}]
    try:
        rendered = tok.apply_chat_template(messages, tokenize=False)
    except Exception:  # a template that cannot render a user/assistant pair: join as plain text
        return None
    if not isinstance(rendered, str) or rendered.count(_SENTINEL) != 1:
        return None
    head, tail = rendered.split(_SENTINEL)
    return head, tail


def _plain_parts(prompt: str, response: str) -> tuple[str, str]:
    """Prompt and response meet at a newline unless one of them already has whitespace there."""
    if not prompt or prompt[-1].isspace() or response[:1].isspace():
        return prompt, ""
    return prompt + "\n", ""


def _join(tok: Any, prompt: str, response: str, parts: tuple[str, str] | None) -> JoinedText:
    if parts is not None:
        head, tail = parts
        return JoinedText(head + response + tail, len(head), CHAT_TEMPLATE, len(head) + len(response))
    head, tail = _plain_parts(prompt, response)
    return JoinedText(head + response + tail, len(head), PLAIN, len(head) + len(response))


def _require_str(value: Any, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")


def join_prompt_response(tokenizer: Any, prompt: str, response: str) -> JoinedText:
    """Join `prompt` and `response` for `tokenizer` (an object or a spec for training.tokenizers)."""
    _require_str(prompt, "prompt")
    _require_str(response, "response")
    tok = load_tokenizer(tokenizer)
    return _join(tok, prompt, response, _template_parts(tok, prompt))


def response_labels(offsets: Sequence[Sequence[int]], spans: Sequence[Sequence[int]], value: int,
                    joined: JoinedText) -> list[int]:
    """Labels of the tokens of a joined text: the overlap rule (training.alignment.overlap_labels) with
    the response's hunk spans shifted into the joined text, and -100 on every token outside the response
    (the prompt, the template around it, special tokens that cover no characters)."""
    shift, start, end = joined.response_start, joined.response_start, joined.response_end
    labels = overlap_labels(offsets, [(lo + shift, hi + shift) for lo, hi in spans], value)
    for k, (s, e) in enumerate(offsets):
        if e <= start or s >= end or s == e:
            labels[k] = IGNORE_INDEX
    return labels


def response_mask(offsets: Sequence[Sequence[int]], joined: JoinedText) -> list[int]:
    """1 for tokens that cover characters of the response, else 0."""
    start, end = joined.response_start, joined.response_end
    return [1 if s < e and e > start and s < end else 0 for s, e in offsets]


def _encode(tok: Any, joined: list[JoinedText]) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Batch-encode joined texts (grouped by whether the tokenizer adds its special tokens)."""
    out: list[tuple[list[int], list[tuple[int, int]]] | None] = [None] * len(joined)
    for add_special in (False, True):
        index = [k for k, j in enumerate(joined) if j.add_special_tokens == add_special]
        if not index:
            continue
        enc = tok([joined[k].text for k in index], add_special_tokens=add_special,
                  return_offsets_mapping=True, return_attention_mask=False)
        for k, ids, offsets in zip(index, enc["input_ids"], enc["offset_mapping"], strict=True):
            out[k] = (list(ids), [(int(s), int(e)) for s, e in offsets])
    return [x for x in out if x is not None]


def _row_fields(row: Any, index: int) -> tuple[str, str, str, Any]:
    prompt: Any
    original: Any
    edited: Any
    if isinstance(row, Mapping):
        prompt, original, edited = row.get("prompt"), row.get("original"), row.get("edited")
        given = row.get("alignment") or row.get("hunks")
    elif isinstance(row, Sequence) and not isinstance(row, str) and len(row) in (3, 4):
        prompt, original, edited = row[0], row[1], row[2]
        given = row[3] if len(row) == 4 else None
    else:
        raise TypeError(f"rows[{index}] must be a mapping with prompt, original and edited, "
                        f"or a (prompt, original, edited) tuple; got {type(row).__name__}")
    _require_str(prompt, f"rows[{index}] prompt")
    _require_str(original, f"rows[{index}] original")
    _require_str(edited, f"rows[{index}] edited")
    return prompt, original, edited, given


def _hunks_for(original: str, edited: str, given: Any, index: int) -> list[Hunk]:
    """The pair's hunks: from an Alignment or stored hunks when given (checked), else computed."""
    if given is None:
        return diff_hunks(original, edited)
    hunks = [Hunk(*map(int, h)) for h in getattr(given, "hunks", given)]
    in_order = all(0 <= h.orig_start <= h.orig_end <= len(original) and 0 <= h.edit_start <= h.edit_end
                   <= len(edited) for h in hunks) and all(
        p.orig_end <= h.orig_start and p.edit_end <= h.edit_start for p, h in zip(hunks, hunks[1:], strict=False))
    if not in_order or apply_hunks(original, hunks, edited) != edited:
        raise ValueError(f"rows[{index}]: the given hunks do not turn the original into the edited text; "
                         "leave them out to recompute them")
    return hunks


def encode_edit_pairs(tokenizer: Any, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Encode (prompt, original, edited) rows with one batch call per side.

    Each row: a mapping with "prompt", "original", "edited" (and optionally "hunks" or "alignment"), or
    a tuple in that order. Each result holds original_input_ids, original_labels, original_offsets,
    edited_input_ids, edited_labels, edited_offsets, hunks, and join (the join method): prompt tokens
    are -100, removed/replaced original tokens -1, inserted/replaced edited tokens +1, others 0."""
    tok = load_tokenizer(tokenizer)
    fields = [_row_fields(row, k) for k, row in enumerate(rows)]
    hunks = [_hunks_for(o, e, given, k) for k, (_, o, e, given) in enumerate(fields)]
    parts: dict[str, tuple[str, str] | None] = {}
    joined_o, joined_e = [], []
    for prompt, original, edited, _ in fields:
        if prompt not in parts:
            parts[prompt] = _template_parts(tok, prompt)
        joined_o.append(_join(tok, prompt, original, parts[prompt]))
        joined_e.append(_join(tok, prompt, edited, parts[prompt]))
    encoded_o, encoded_e = _encode(tok, joined_o), _encode(tok, joined_e)
    out = []
    for k, row_hunks in enumerate(hunks):
        (ids_o, offs_o), (ids_e, offs_e) = encoded_o[k], encoded_e[k]
        out.append({
            "original_input_ids": ids_o,
            "original_labels": response_labels(
                offs_o, [(h.orig_start, h.orig_end) for h in row_hunks], NEGATIVE, joined_o[k]),
            "original_offsets": offs_o,
            "edited_input_ids": ids_e,
            "edited_labels": response_labels(
                offs_e, [(h.edit_start, h.edit_end) for h in row_hunks], POSITIVE, joined_e[k]),
            "edited_offsets": offs_e,
            "hunks": [list(h) for h in row_hunks],
            "join": joined_o[k].method,
        })
    return out


def encode_edit_pair(tokenizer: Any, prompt: str, original: str, edited: str, alignment: Any = None
                     ) -> dict[str, Any]:
    """One pair as encode_edit_pairs encodes it; `alignment` (an Alignment or its hunks) skips the diff."""
    return encode_edit_pairs(tokenizer, [(prompt, original, edited, alignment)])[0]


def encode_prompt_response(tokenizer: Any, prompt: str, response: str) -> tuple[list[int], list[int]]:
    """(input_ids, response_mask) of prompt + response, joined as everywhere else (the sequence reward
    model and PPO use it); the mask is 1 on tokens covering response characters."""
    joined = join_prompt_response(tokenizer, prompt, response)
    tok = load_tokenizer(tokenizer)
    ids, offsets = _encode(tok, [joined])[0]
    return ids, response_mask(offsets, joined)
