"""Runs one training job in a child process group, with heartbeats, live metrics and cancellation.

The child is `python -m <trainer> --config FILE --output-dir DIR` (through `accelerate launch` when the
host has more than one GPU), so a crash in training never takes the worker down. The child dies with
the worker (PR_SET_PDEATHSIG), and a worker that dies stops sending heartbeats, which marks the job
failed (`jobs.reap_stale_jobs`).
"""

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from app.config import REPO_ROOT, Settings
from app.db import session_scope
from app.models import Export, TrainingJob
from app.services.artifacts import sync_job_artifacts
from app.services.item_state import take_write_lock
from app.services.job_kinds import get_kind
from app.services.jobs import FINAL_STATES, job_dir

log = logging.getLogger(__name__)
HEARTBEAT_S = 1.0
TERM_GRACE_S = 10.0


def run_job(job_id: int, settings: Settings) -> str:
    """Run job `job_id` to the end and return its final state. Redelivery of a finished job is a no-op."""
    with session_scope() as session:
        # Claimed under a row lock: two deliveries of one message (a broker restart, a resend) never both
        # see "queued" and start the job twice.
        take_write_lock(session)
        job = session.get(TrainingJob, job_id, with_for_update=True, populate_existing=True)
        if job is None or job.status in FINAL_STATES:
            return job.status if job else "missing"
        if job.status == "running":
            # A redelivered message while another worker runs it (or ran it until it died: the reaper
            # marks that one failed, and a retry queues it again).
            return "running"
        if job.cancel_requested:
            _finish(session, job, "cancelled", None)
            return "cancelled"
        workdir = job_dir(settings, job.id)
        workdir.mkdir(parents=True, exist_ok=True)
        cmd = _prepare(session, job, workdir)
        job.status, job.started_at = "running", datetime.now(UTC)
        job.heartbeat_at, job.worker_host = job.started_at, socket.gethostname()
        job.provenance = {**job.provenance, **_provenance()}
    log.info("job %s: %s", job_id, " ".join(cmd))
    with (workdir / "train.log").open("ab") as logfile:
        child = subprocess.Popen(
            cmd, stdout=logfile, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
            start_new_session=True, preexec_fn=_die_with_parent, env=_child_env(),
        )
    with session_scope() as session:
        session.get(TrainingJob, job_id).pid = child.pid  # type: ignore[union-attr]
    state, error = _supervise(job_id, child, workdir)
    try:
        sync_job_artifacts(settings, job_id, workdir)
    except OSError as exc:  # e.g. a full disk: the job failed, and no partial artifact passes for whole
        state, error = "failed", f"could not store artifacts: {exc}"
    with session_scope() as session:
        job = session.get(TrainingJob, job_id)
        _update_progress(job, workdir)  # type: ignore[arg-type]
        _finish(session, job, state, error)  # type: ignore[arg-type]
    return state


def _prepare(session: Any, job: TrainingJob, workdir: Path) -> list[str]:
    """Write the config file the child reads and build its command line."""
    kind = get_kind(job.kind)
    config = dict(job.config)
    if job.export_id:
        export = session.get(Export, job.export_id)
        config["data_path"] = export.path
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
    args = ["-m", kind.entry_module, "--config", str(workdir / "config.yaml"), "--output-dir", str(workdir)]
    gpus = _gpu_count()
    if gpus > 1 and job.preset == "gpu-multi":
        return [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(gpus), *args]
    return [sys.executable, *args]


def _supervise(job_id: int, child: subprocess.Popen, workdir: Path) -> tuple[str, str | None]:
    """Heartbeat, copy progress into the row, and stop the child when a cancel is requested."""
    while True:
        rc = child.poll()
        with session_scope() as session:
            job = session.get(TrainingJob, job_id)
            assert job is not None
            job.heartbeat_at = datetime.now(UTC)
            _update_progress(job, workdir)
            cancel = job.cancel_requested
        if cancel and rc is None:
            _stop(child)
            return "cancelled", None
        if rc is not None:
            if rc == 0:
                return "succeeded", None
            return "failed", f"training exited with code {rc}: {_tail(workdir / 'train.log')}"
        time.sleep(HEARTBEAT_S)


def _update_progress(job: TrainingJob, workdir: Path) -> None:
    latest = _latest_metrics(workdir / "metrics.jsonl")
    if latest:
        job.step = int(latest.get("step", job.step) or 0)
        job.total_steps = int(latest.get("total_steps", job.total_steps) or 0)
        job.latest_metrics = latest


def _latest_metrics(path: Path) -> dict[str, Any] | None:
    """The newest value of every metric in the tail of metrics.jsonl (training and validation rows
    alternate, so the last line alone would hide one of them)."""
    if not path.exists():
        return None
    with path.open("rb") as fh:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 65536))
        lines = fh.read().decode("utf-8", errors="replace").splitlines()
    merged: dict[str, Any] = {}
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # the first line of the tail is cut, the last may be half written
        if isinstance(row, dict):
            prefix = "val_" if row.get("split") == "validation" else ""
            for key, value in row.items():
                if isinstance(value, int | float | str) and key != "split":
                    merged[key if key in ("step", "total_steps") else prefix + key] = value
    return merged or None


def _stop(child: subprocess.Popen) -> None:
    """SIGTERM the whole process group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _finish(session: Any, job: TrainingJob, state: str, error: str | None) -> None:
    job.status, job.error, job.finished_at = state, error, datetime.now(UTC)
    session.commit()


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a SIGKILLed worker takes its training child along


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _gpu_count() -> int:
    try:
        import torch

        return torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - no torch or no driver: a CPU host
        return 0


def _provenance() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    packages = {}
    for name in ("torch", "transformers", "accelerate", "peft", "tokenizers", "redline"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            continue
    gpu = None
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001
        gpu = None
    return {
        "worker_host": socket.gethostname(),
        "gpu": gpu,
        "gpu_count": _gpu_count(),
        "packages": packages,
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _tail(path: Path, max_chars: int = 2000) -> str:
    if not path.exists():
        return ""
    return path.read_text(encoding="utf-8", errors="replace")[-max_chars:]
