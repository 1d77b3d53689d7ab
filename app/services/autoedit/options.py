"""What an admin asks for when starting a batch, and the timing knobs stored with it."""

from dataclasses import asdict, dataclass, field
from typing import Any

from app.services.autoedit.pricing import is_priced
from app.services.autoedit.prompt import DEFAULT_PROMPT_VERSION, load_template
from app.services.errors import InvalidInput

MODES = ("messages", "batches")
# Item selections: items nobody has edited yet, or every item (the filters apply to both).
SELECTIONS = ("unedited", "all")
MAX_REMOTE_BATCH = 100_000  # requests one Message Batch may hold


@dataclass
class BatchTiming:
    """Stored in the batch's `options`; defaults suit the real API, tests shrink them."""

    request_timeout_s: float = 120.0
    """A Messages call slower than this is abandoned and retried."""
    max_attempts: int = 6
    """Calls per item before it is marked failed (429/5xx/timeouts, or a worker that died)."""
    backoff_base_s: float = 2.0
    """First retry delay; it doubles per attempt, with jitter."""
    backoff_max_s: float = 120.0
    """Longest retry delay (a longer retry-after is capped to it)."""
    stale_after_s: float = 300.0
    """A queued or running item untouched this long was lost with its worker and is sent again."""
    watch_interval_s: float = 10.0
    """How often the batch's watcher looks for lost items and ends the batch."""
    poll_initial_s: float = 30.0
    """Message Batches mode: first wait before polling; it doubles up to poll_max_s."""
    poll_max_s: float = 600.0
    """Message Batches mode: longest wait between polls."""

    def validate(self) -> None:
        if self.stale_after_s <= self.request_timeout_s + self.backoff_max_s:
            raise InvalidInput(
                f"stale_after_s ({self.stale_after_s:g}) must exceed request_timeout_s + backoff_max_s "
                f"({self.request_timeout_s + self.backoff_max_s:g}), or live calls would be sent twice",
                field="stale_after_s",
            )
        if self.max_attempts < 1 or min(self.request_timeout_s, self.watch_interval_s, self.poll_initial_s) <= 0:
            raise InvalidInput("max_attempts, timeouts and intervals must be positive", field="options")

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "BatchTiming":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (options.get("timing") or {}).items() if k in names})

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> "BatchTiming":
        """From user input (API body, CLI --timing key=value): unknown names and non-numbers refused."""
        names = cls.__dataclass_fields__
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise InvalidInput(f"unknown timing fields {', '.join(unknown)}; known: {', '.join(names)}", field="timing")
        try:
            parsed: dict[str, Any] = {k: (int(v) if k == "max_attempts" else float(v)) for k, v in values.items()}
            return cls(**parsed)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"timing values must be numbers: {exc}", field="timing") from exc


@dataclass
class BatchRequest:
    """A request to start a batch; `validated()` checks it and fills the defaults."""

    dataset: str | int
    """Dataset name or id."""
    model: str | None = None
    """Claude model; the `autoedit_model` setting when unset."""
    prompt_version: str = DEFAULT_PROMPT_VERSION
    """Template file under app/services/autoedit/prompts/."""
    mode: str = "messages"
    """messages (one call per item from the workers) or batches (Message Batches API, half price)."""
    selection: str = "unedited"
    """unedited (no edit by anyone yet) or all."""
    item_ids: list[int] | None = None
    """Only these items (within the dataset)."""
    external_id_glob: str | None = None
    """Only items whose external id matches this pattern (* and ? wildcards)."""
    limit: int | None = None
    """At most this many items (lowest ids first)."""
    max_cost_usd: float | None = None
    """Stop before spending more than this; unset means no ceiling."""
    concurrency: int = 8
    """Calls in flight at once for this batch, across every worker."""
    auto_accept: bool = False
    """Accept drafts directly instead of sending them to the review queue (never rewrites or no-change)."""
    timing: BatchTiming = field(default_factory=BatchTiming)

    def validated(self, default_model: str) -> "BatchRequest":
        self.model = (self.model or default_model).strip()
        if not self.model:
            raise InvalidInput("name a model, e.g. claude-sonnet-4-5", field="model")
        if self.mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}", field="mode")
        if self.selection not in SELECTIONS:
            raise InvalidInput(f"selection must be one of {', '.join(SELECTIONS)}", field="selection")
        try:
            load_template(self.prompt_version)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="prompt_version") from exc
        if self.limit is not None and self.limit < 1:
            raise InvalidInput("limit must be at least 1", field="limit")
        if self.max_cost_usd is not None and self.max_cost_usd <= 0:
            raise InvalidInput("max_cost_usd must be positive (leave it unset for no ceiling)", field="max_cost_usd")
        if self.max_cost_usd is not None and not is_priced(self.model):
            raise InvalidInput(
                f"no price is known for {self.model!r}, so a cost ceiling cannot be enforced; "
                "add it to PRICES in app/services/autoedit/pricing.py or start without max_cost_usd",
                field="max_cost_usd",
            )
        if not 1 <= self.concurrency <= 512:
            raise InvalidInput("concurrency must be between 1 and 512", field="concurrency")
        self.timing.validate()
        return self

    def stored_options(self) -> dict[str, Any]:
        return {
            "selection": {"selection": self.selection, "item_ids": self.item_ids,
                          "external_id_glob": self.external_id_glob, "limit": self.limit},
            "timing": asdict(self.timing),
        }
