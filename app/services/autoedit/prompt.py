"""The auto-edit prompt: versioned template files, rendering, and parsing of the model's answer."""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
DEFAULT_PROMPT_VERSION = "v1"
# The model writes its rationale, then this line alone, then the edited response.
DELIMITER = "<<<EDITED RESPONSE>>>"
_SECTION = re.compile(r"^### (system|user)[ \t]*\n", re.MULTILINE)
_DELIMITER_LINE = re.compile(r"^[ \t]*" + re.escape(DELIMITER) + r"[ \t]*$", re.MULTILINE)


class PromptVersionError(ValueError):
    """A prompt version with no template file."""


class ParseError(ValueError):
    """The model's answer does not follow the format (no delimiter, nothing after it)."""


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: Template


@dataclass(frozen=True)
class RenderedPrompt:
    version: str
    system: str
    user: str

    def as_request(self, model: str, max_tokens: int) -> dict:
        """Keyword arguments for `messages.create` (and `params` of a Message Batches request)."""
        return {
            "model": model,
            "max_tokens": max_tokens,
            "system": self.system,
            "messages": [{"role": "user", "content": self.user}],
        }


@dataclass(frozen=True)
class ParsedEdit:
    rationale: str
    edited: str


def available_versions() -> list[str]:
    return sorted(path.stem for path in PROMPT_DIR.glob("*.txt"))


@lru_cache
def load_template(version: str) -> PromptTemplate:
    path = PROMPT_DIR / f"{version}.txt"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", version) or not path.is_file():
        raise PromptVersionError(
            f"unknown prompt version {version!r}; available: {', '.join(available_versions())} "
            f"(template files under {PROMPT_DIR})"
        )
    parts = _SECTION.split(path.read_text(encoding="utf-8"))
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"}:
        raise PromptVersionError(f"{path} needs a '### system' and a '### user' section")
    return PromptTemplate(version, sections["system"].strip(), Template(sections["user"].strip() + "\n"))


def render_prompt(version: str, instruction: str, preferred: str, rejected: str) -> RenderedPrompt:
    """Fill the template; the texts are inserted verbatim (a `$` inside them is never re-read)."""
    template = load_template(version)
    user = template.user.substitute(
        instruction=instruction, preferred=preferred, rejected=rejected, delimiter=DELIMITER
    )
    return RenderedPrompt(version, template.system, user)


def parse_output(text: str, original: str) -> ParsedEdit:
    """Split the answer at the delimiter line. Whitespace at both ends follows the original,
    because the API trims it and a reward label on a lost trailing newline would be noise."""
    match = _DELIMITER_LINE.search(text)
    if match is None:
        raise ParseError(f"no {DELIMITER} line in the model's answer ({len(text)} characters)")
    rationale = text[: match.start()].strip()
    body = text[match.end():]
    body = body[1:] if body.startswith("\n") else body
    if not body.strip():
        if original.strip():
            raise ParseError(f"nothing after the {DELIMITER} line")
        return ParsedEdit(rationale, original)
    lead = original[: len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()):]
    return ParsedEdit(rationale, lead + body.strip() + trail)


def max_tokens_for(rejected: str, cap: int = 16_000) -> int:
    """Room for the rationale plus a full copy of the response, with a margin for a longer fix."""
    return min(cap, 600 + (len(rejected) + 1) // 2)
