"""Conversations as lists of {role, content}: checking them, splitting off the final assistant turn, and
rendering the prompt to text.

Prompt rendering, the one documented way: a prompt that is a single user message is that message's
content (so it matches the same pair in the standard format); anything longer is each message as
"Role: content" (System, User, Assistant, ...), separated by blank lines. The messages themselves are
kept in the item's metadata under "prompt_messages", so a chat template can be applied to them later.
"""

from typing import Any

from app.services.importers.fields import RowCheck, decode_json_text, json_type

Message = dict[str, str]


def parse_messages(check: RowCheck, name: str, value: Any) -> list[Message]:
    """A checked list of {role, content} messages; [] after an error. Text parts are joined."""
    value = decode_json_text(value)
    if not isinstance(value, list):
        check.fail(name, f"'{name}' must be a list of {{role, content}} messages, got {json_type(value)}")
        return []
    messages: list[Message] = []
    for i, msg in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            check.fail(name, f"'{where}' must be an object with a string 'role' and 'content'")
            return []
        content = _content_text(msg.get("content"))
        if content is None:
            check.fail(name, f"'{where}.content' must be a string (or a list of text parts)")
            return []
        messages.append({"role": msg["role"], "content": content})
    return messages


def _content_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
    ):
        return "".join(p["text"] for p in content)
    return None


def render_prompt(messages: list[Message]) -> str:
    if len(messages) == 1 and messages[0]["role"] == "user":
        return messages[0]["content"]
    return "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in messages)


def split_conversation(
    check: RowCheck, prompt: list[Message], chosen: list[Message], rejected: list[Message]
) -> tuple[list[Message], str, str]:
    """(prompt messages, chosen reply, rejected reply): the prompt is the explicit prompt plus the leading
    messages chosen and rejected share; each reply is the final assistant message."""
    full_chosen, full_rejected = prompt + chosen, prompt + rejected
    for name, full in (("chosen", full_chosen), ("rejected", full_rejected)):
        if not full or full[-1]["role"] != "assistant":
            role = full[-1]["role"] if full else "nothing"
            check.fail(name, f"the last message of '{name}' must be from the assistant (got {role})")
    if check.errors:
        return [], "", ""
    shared = full_chosen[:-1]
    if full_rejected[:-1] != shared:
        check.fail("rejected", "'chosen' and 'rejected' differ before their final assistant message; "
                               "only the final turn can be compared")
    elif not shared:
        check.fail("prompt", "no prompt: nothing comes before the final assistant message")
    return shared, full_chosen[-1]["content"], full_rejected[-1]["content"]
