"""The one settings class: the only place that reads the environment."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'redline.db'}",
        description="SQLAlchemy URL; the default is an embedded SQLite file under var/.",
        repr=False,  # may hold a password: never in a log line or a traceback's repr
    )
    redis_url: str | None = Field(
        default=None, description="Celery broker; unset means the embedded worker on the database.", repr=False
    )
    secret_key: str = Field(default="dev-insecure-change-me", description="Signs session cookies.", repr=False)
    anthropic_api_key: str | None = Field(default=None, description="Key for Claude auto-edit batches.",
                                          repr=False)
    anthropic_base_url: str | None = Field(
        default=None, description="Anthropic-compatible endpoint; the SDK's own default when unset."
    )
    autoedit_model: str = Field(
        default="claude-sonnet-4-5", description="Claude model of new auto-edit batches unless one is named."
    )
    autoedit_queue: str = Field(
        default="default", description="Celery queue of auto-edit tasks (a threads-pool worker suits them)."
    )
    artifact_dir: str = Field(
        default=str(VAR_DIR / "artifacts"),
        description="Where job artifacts and exports are kept: a local path or an fsspec URL (s3://...).",
    )
    job_heartbeat_timeout_s: float = Field(
        default=60.0, description="A running job with no heartbeat for this long is marked failed."
    )
    model_cache_dir: str = Field(
        default=str(VAR_DIR / "models"), description="Converted bundled models (safetensors)."
    )
    lease_ttl_seconds: int = Field(default=900, description="How long an item lease lasts.")
    resend_after_s: float = Field(
        default=300.0, description="A token-labels task or a queued training job still waiting after this long "
        "is sent again (its message may have been lost with the broker); a duplicate does nothing.",
    )
    sweep_interval_s: float = Field(default=60.0, description="How often the beat worker looks for lost tasks.")
    db_pool_size: int = Field(default=20, description="PostgreSQL connections each server process keeps open.")
    db_ping_after_idle_s: float = Field(
        default=1.0, description="A pooled PostgreSQL connection idle for longer is pinged before use (app/db.py).",
    )
    db_max_overflow: int = Field(
        default=20, description="Extra connections a process may open under load; mind PostgreSQL's "
        "max_connections (100 by default) across every web and worker process.",
    )
    warm_up: bool = Field(
        default=True, description="At start-up, load the grading tokenizer and freeze the warmed-up heap out of "
        "the garbage collector's sight (app/heap.py); off in tests, which build many apps in one process.",
    )
    max_inflight_requests: int = Field(
        default=16, description="Requests one server process works on at once; more wait in line. Each holds "
        "up to two database connections: keep it at most half of db_pool_size + db_max_overflow.",
    )
    token_cache_seconds: float = Field(
        default=5.0, description="How long a server process may trust an API token's owner without asking the "
        "database. Changes made through this process take effect at once; other processes (web workers, the "
        "CLI) are seen within this long. 0 asks the database on every request.",
    )
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (behind TLS).")
    max_request_bytes: int = Field(default=2 * 1024**3, description="Largest accepted upload.")
    max_text_chars: int = Field(default=200_000, description="Longest accepted edit text.")


    @property
    def artifacts_are_local(self) -> bool:
        return "://" not in self.artifact_dir or self.artifact_dir.startswith("file://")

    @property
    def local_artifact_dir(self) -> Path:
        """Local files: the artifact directory itself, or a staging area under var/ for a remote store."""
        if self.artifacts_are_local:
            return Path(self.artifact_dir.removeprefix("file://"))
        return VAR_DIR / "artifacts-staging"

    @property
    def job_work_dir(self) -> Path:
        return self.local_artifact_dir / "jobs"


@lru_cache
def get_settings() -> Settings:
    return Settings()
