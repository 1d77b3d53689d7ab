"""Job artifacts: listed with sizes and opened for download from a local path or an fsspec store.

A job writes into its local work directory. With a remote store (settings.artifact_dir is a URL such
as s3://bucket/redline), the finished directory is uploaded and a `_COMPLETE` marker is written last,
so a partial upload is never listed as a whole one.
"""

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

import fsspec

from app.config import Settings

COMPLETE_MARKER = "_COMPLETE"


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the job's directory, with forward slashes
    size: int


class ArtifactError(ValueError):
    """A missing or invalid artifact path."""


def job_prefix(settings: Settings, job_id: int) -> str:
    return f"{settings.artifact_dir.rstrip('/')}/jobs/job-{job_id}"


def sync_job_artifacts(settings: Settings, job_id: int, workdir: Path) -> None:
    if settings.artifacts_are_local:
        return  # the work directory is the artifact directory
    fs, root = fsspec.core.url_to_fs(job_prefix(settings, job_id))
    for path in sorted(p for p in workdir.rglob("*") if p.is_file()):
        fs.put_file(str(path), f"{root}/{path.relative_to(workdir).as_posix()}")
    with fs.open(f"{root}/{COMPLETE_MARKER}", "wb") as fh:
        fh.write(b"ok\n")


def list_artifacts(settings: Settings, job_id: int, workdir: Path) -> list[Artifact]:
    if settings.artifacts_are_local:
        if not workdir.exists():
            return []
        return [
            Artifact(p.relative_to(workdir).as_posix(), p.stat().st_size)
            for p in sorted(workdir.rglob("*"))
            if p.is_file()
        ]
    fs, root = fsspec.core.url_to_fs(job_prefix(settings, job_id))
    if not fs.exists(f"{root}/{COMPLETE_MARKER}"):
        return []
    found = fs.find(root, detail=True)
    return [
        Artifact(name[len(root) + 1 :], int(info.get("size") or 0))
        for name, info in sorted(found.items())
        if not name.endswith(COMPLETE_MARKER)
    ]


def open_artifact(settings: Settings, job_id: int, workdir: Path, relpath: str) -> IO[bytes]:
    parts = PurePosixPath(relpath).parts
    if not parts or relpath.startswith("/") or any(p in ("..", "") for p in parts):
        raise ArtifactError(f"invalid artifact path {relpath!r}")
    known = {a.path for a in list_artifacts(settings, job_id, workdir)}
    if relpath not in known:
        raise ArtifactError(f"no artifact {relpath!r} for job {job_id}")
    if settings.artifacts_are_local:
        return (workdir / relpath).open("rb")
    fs, root = fsspec.core.url_to_fs(job_prefix(settings, job_id))
    return fs.open(f"{root}/{relpath}", "rb")
