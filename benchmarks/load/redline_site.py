"""The system under load: a scratch PostgreSQL database, seeded accounts and items, and uvicorn on it.

Each run gets a database of its own (created on the server behind `admin_dsn`, dropped afterwards), so
runs never see each other's rows and the shared `test` database is never touched.
"""

import hashlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from benchmarks.load.texts import response_text

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_DSN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "load-test-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlalchemy_url(dsn: str, dbname: str) -> str:
    return dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{dbname}"


@contextmanager
def scratch_database(admin_dsn: str = PG_ADMIN_DSN, prefix: str = "redline_load") -> Iterator[str]:
    """A new, migrated PostgreSQL database (SQLAlchemy URL), dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = sqlalchemy_url(admin_dsn, name)
    try:
        from app.migrate import upgrade

        upgrade(url)
        yield url
    finally:
        for _ in range(20):  # the server may be restarting (fault runs): try for a while
            try:
                with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.OperationalError:
                time.sleep(0.5)


@dataclass
class Seeded:
    """What the scenario needs: the dataset, and one bearer token per simulated person."""

    dataset_id: int
    annotators: list[str] = field(default_factory=list)
    annotator_ids: list[int] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)


def seed(url: str, annotators: int, reviewers: int, admins: int, items: int, words: int,
         tokenizer: str | None = None) -> Seeded:
    """Accounts with API tokens and a dataset of `items` pairs whose rejected response has ~`words` words
    (tokenizer: the dataset's, the bundled one when None)."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.models import Dataset, Item, Role, User
    from app.security import hash_password
    from app.services.users import create_token

    engine = make_engine(url)
    pw_hash = hash_password(PASSWORD)  # argon2 is slow by design: one hash shared by every account
    with Session(engine, expire_on_commit=False) as session:
        dataset = Dataset(name="load", hard_max_changed_words=200, hard_max_edit_ratio=0.9,
                          **({"tokenizer": tokenizer} if tokenizer else {}))
        session.add(dataset)
        session.flush()
        rows = []
        for k in range(items):
            prompt = f"Question {k}: how do I boil an egg so that it peels well?"
            rejected = response_text(words, seed=k % 50) + f" (variant {k})"
            rows.append({
                "dataset_id": dataset.id, "external_id": f"load-{k}", "prompt": prompt,
                "chosen": "Boil it for nine minutes, then cool it in iced water.", "rejected": rejected,
                "content_hash": hashlib.sha256(f"{prompt}\0{rejected}".encode()).hexdigest(), "meta": {},
            })
            if len(rows) == 2000:
                session.execute(insert(Item), rows)
                rows = []
        if rows:
            session.execute(insert(Item), rows)
        out = Seeded(dataset_id=dataset.id)
        for role, count, tokens in ((Role.annotator, annotators, out.annotators),
                                    (Role.reviewer, reviewers, out.reviewers), (Role.admin, admins, out.admins)):
            for k in range(count):
                user = User(email=f"{role.value}{k}@load.example.org", role=role, password_hash=pw_hash)
                session.add(user)
                session.flush()
                tokens.append(create_token(session, user, "load")[1])
                if role == Role.annotator:
                    out.annotator_ids.append(user.id)
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")  # as autovacuum soon would: fresh rows, fresh planner statistics
    engine.dispose()
    return out


def wait_ready_url(url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float = 120) -> None:
    """Block until `url` answers 200; RuntimeError with the log's tail if the process dies or stays silent."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready after {timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def redline_server(url: str, log_path: Path, workers: int = 2, log_level: str = "warning", access_log: bool = False,
                   **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn serving the app on `url` with `workers` processes; yields its base URL and process.
    `env` goes to the server (settings such as DB_POOL_SIZE; APP_FACTORY names another app factory)."""
    port = free_port()
    child_env = {**os.environ, "DATABASE_URL": url, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                 "SECRET_KEY": "load-" + uuid.uuid4().hex, **env}
    if "REDIS_URL" not in env:
        child_env.pop("REDIS_URL", None)
    cmd = [sys.executable, "-m", "uvicorn", env.pop("APP_FACTORY", "app.main:create_app"), "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", log_level,
           "--access-log" if access_log else "--no-access-log"]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready_url(f"{base}/healthz", proc, log_path)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
