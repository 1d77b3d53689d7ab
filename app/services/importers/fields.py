"""Field checks shared by the row formats: texts, ids, messages, metadata; each failure is a RowError."""

import hashlib
import json
import math
from typing import Any

from app.services.importers.records import ImportLimits, PreferencePair, RowError

MAX_EXTERNAL_ID_CHARS = 300  # the items.external_id column


class RowInvalid(Exception):
    """A row that cannot become a pair; carries every error found in it."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def item_content_hash(prompt: str, rejected: str) -> str:
    """SHA-256 of prompt and rejected (NUL-separated, so no two splits of one text collide)."""
    return hashlib.sha256(prompt.encode() + b"\x00" + rejected.encode()).hexdigest()


def fallback_external_id(prompt: str, chosen: str, rejected: str) -> str:
    """A stable id for rows without one: the same texts always get the same id."""
    digest = hashlib.sha256("\x00".join((prompt, chosen, rejected)).encode()).hexdigest()
    return f"sha256-{digest[:32]}"


class RowCheck:
    """Collects the errors of one row so that all of them are reported at once."""

    def __init__(self, row: int, record: Any, limits: ImportLimits):
        self.row, self.limits = row, limits
        self.errors: list[RowError] = []
        if not isinstance(record, dict):
            raise RowInvalid([RowError(row, None, f"row is {json_type(record)}; expected a JSON object")])
        self.record: dict[str, Any] = record

    def fail(self, field: str | None, message: str) -> None:
        self.errors.append(RowError(self.row, field, message))

    def done(self) -> None:
        if self.errors:
            raise RowInvalid(self.errors)

    def pair(self, prompt: str, chosen: str, rejected: str, meta: dict[str, Any]) -> PreferencePair:
        """The finished pair, or RowInvalid with every error the row collected."""
        if not self.errors and chosen == rejected:
            self.fail("rejected", "'chosen' and 'rejected' are the same text; a pair needs two different replies")
        meta = self.meta(meta)
        external_id = self.external_id()
        self.done()
        return PreferencePair(
            row=self.row,
            external_id=external_id or fallback_external_id(prompt, chosen, rejected),
            prompt=prompt, chosen=chosen, rejected=rejected, meta=meta,
        )

    def require(self, name: str) -> Any:
        """The field's value; records an error and returns None when it is missing or null."""
        if name not in self.record:
            self.fail(name, f"missing field '{name}'")
            return None
        value = self.record[name]
        if value is None:
            self.fail(name, f"'{name}' is null; give a value")
        return value

    def text(self, name: str, value: Any = ..., hint: str = "") -> str:
        """A checked text: present, a string, not blank, storable, not too long ("" after an error)."""
        if value is ...:
            value = self.require(name)
            if value is None:
                return ""
        if not isinstance(value, str):
            if isinstance(value, list) and not hint:
                hint = " (lists of messages need the trl-conversational or trl-implicit format)"
            self.fail(name, f"'{name}' must be a string, got {json_type(value)}{hint}")
            return ""
        return self.checked_text(name, value)

    def checked_text(self, name: str, value: str) -> str:
        if not value.strip():
            self.fail(name, f"'{name}' is empty")
        elif len(value) > self.limits.max_text_chars:
            self.fail(name, f"'{name}' has {len(value):,} characters, more than the "
                            f"{self.limits.max_text_chars:,} allowed; shorten it")
        elif "\x00" in value:
            self.fail(name, f"'{name}' contains a NUL character (\\u0000), which cannot be stored; remove it")
        elif not _encodable(value):
            self.fail(name, f"'{name}' contains an unpaired UTF-16 surrogate; fix the text's encoding")
        else:
            return value
        return ""

    def external_id(self, keys: tuple[str, ...] = ("external_id", "id")) -> str | None:
        """The row's own id as text, or None when it has none (the caller then hashes the texts)."""
        for key in keys:
            value = self.record.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int | str):
                self.fail(key, f"'{key}' must be a string or an integer, got {json_type(value)}")
                return None
            text = str(value).strip()
            if len(text) > MAX_EXTERNAL_ID_CHARS or not _encodable(text) or "\x00" in text:
                self.fail(key, f"'{key}' must be printable text of at most {MAX_EXTERNAL_ID_CHARS} characters")
                return None
            return text
        return None

    def extras(self, used: set[str]) -> dict[str, Any]:
        """The fields the format does not read, kept as metadata."""
        return {k: v for k, v in self.record.items() if k not in used}

    def meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Metadata that the JSON column can store: NaN becomes null, binary and dates become text."""
        try:
            return _jsonable(meta)
        except (UnicodeEncodeError, RecursionError) as exc:
            self.fail(None, f"the row's other fields cannot be stored as metadata ({exc.__class__.__name__}); "
                            "check them for badly encoded text")
            return {}


def decode_json_text(value: Any) -> Any:
    """A list or object given as JSON text (as CSV cells hold them) decoded; anything else unchanged."""
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, str):
        value.encode()  # raises on unpaired surrogates, which PostgreSQL would refuse
        return value
    if isinstance(value, bool | int | None):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)  # dates, decimals and the like from Parquet


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
