"""Fill the disk of the artifact directory: an export that does not fit gets a clear error (507), and
nothing of it is left behind looking whole; a later export that fits succeeds.

    .venv/bin/python -m benchmarks.faults.disk_full --size-kb 512

The artifact directory is a small tmpfs mounted in a private mount namespace (`unshare -m`, or
`unshare -rm` without root), so the mount vanishes with the process and the machine is never touched.
PostgreSQL is a private throwaway cluster. Prints one JSON line of findings and PASS or FAIL.
"""

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.load.redline_site import REPO_ROOT

BIG_ROWS = 800


def _noise(seed: str, n_bytes: int) -> str:
    """Hex text that compresses poorly (so Parquet cannot squeeze the big export under the limit)."""
    out, block = [], seed.encode()
    while sum(map(len, out)) < n_bytes:
        block = hashlib.sha256(block).digest()
        out.append(block.hex())
    return " ".join(out)


def _seed(url: str) -> dict[str, int | str]:
    """A dataset whose export is about 1.6 MB, a tiny one, and an engineer's token."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.models import Dataset, Item, Role, User
    from app.services.users import create_token

    engine = make_engine(url)
    with Session(engine) as session:
        ids = {}
        for name, rows in (("big", BIG_ROWS), ("small", 3)):
            dataset = Dataset(name=name)
            session.add(dataset)
            session.flush()
            ids[name] = dataset.id
            session.execute(insert(Item), [{
                "dataset_id": dataset.id, "external_id": f"{name}-{k}", "prompt": f"Question {k}?",
                "chosen": "A careful answer.", "rejected": _noise(f"{name}{k}", 2000),
                "content_hash": hashlib.sha256(f"{name}{k}".encode()).hexdigest(), "meta": {},
            } for k in range(rows)])
        engineer = User(email="eng@disk.example.org", role=Role.engineer, password_hash="-")
        session.add(engineer)
        session.flush()
        token = create_token(session, engineer, "disk")[1]
        session.commit()
    engine.dispose()
    return {"big": ids["big"], "small": ids["small"], "token": token}


def inside(url: str, artifact_dir: str, big: int, small: int, token: str) -> dict[str, object]:
    """Runs in the namespace where `artifact_dir` is the small tmpfs: try the exports, report what is left."""
    os.environ.update({"DATABASE_URL": url, "ARTIFACT_DIR": artifact_dir, "HF_HUB_OFFLINE": "1"})
    import psycopg
    from fastapi.testclient import TestClient

    from app.main import create_app

    client = TestClient(create_app(), headers={"Authorization": f"Bearer {token}"})
    found: dict[str, object] = {"mounted": os.statvfs(artifact_dir).f_blocks * os.statvfs(artifact_dir).f_frsize}
    for fmt in ("jsonl", "parquet"):
        reply = client.get(f"/api/v1/datasets/{big}/export?view=original-pairs&format={fmt}")
        found[f"big_{fmt}_status"] = reply.status_code
        found[f"big_{fmt}_detail"] = reply.json().get("detail") if reply.status_code != 200 else None
        found[f"left_after_{fmt}"] = sorted(str(p.relative_to(artifact_dir)) for p in Path(artifact_dir).rglob("*")
                                            if p.is_file())
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        found["export_rows_after_failures"] = conn.execute("SELECT count(*) FROM exports").fetchone()[0]  # type: ignore[index]
    ok = client.get(f"/api/v1/datasets/{small}/export?view=original-pairs&format=jsonl")
    found["small_status"] = ok.status_code
    found["small_rows"] = len(ok.text.splitlines()) if ok.status_code == 200 else 0
    return found


def judge(found: dict[str, object]) -> list[str]:
    """What is wrong with the findings (empty: the fault was handled as it should be)."""
    problems = []
    for fmt in ("jsonl", "parquet"):
        if found[f"big_{fmt}_status"] != 507 or "no space left" not in str(found[f"big_{fmt}_detail"]):
            problems.append(f"{fmt}: expected 507 naming the full disk, got {found[f'big_{fmt}_status']}")
        if found[f"left_after_{fmt}"]:
            problems.append(f"{fmt}: files left behind: {found[f'left_after_{fmt}']}")
    if found["export_rows_after_failures"]:
        problems.append("an export row was recorded for a failed export")
    if found["small_status"] != 200 or found["small_rows"] != 3:
        problems.append(f"the export that fits failed afterwards ({found['small_status']})")
    return problems


def run_disk_full(size_kb: int = 512) -> dict[str, object]:
    """The whole experiment; used by this script and by tests/reliability/test_faults.py."""
    from benchmarks.faults.pg_cluster import PrivateCluster
    from benchmarks.load.redline_site import scratch_database

    with PrivateCluster() as pg, scratch_database(pg.dsn, prefix="redline_disk") as url, \
            tempfile.TemporaryDirectory() as tmp:
        seeded = _seed(url)
        target = Path(tmp) / "artifacts"
        target.mkdir()
        child = shlex.join([sys.executable, "-m", "benchmarks.faults.disk_full", "--inside", url, str(target),
                            str(seeded["big"]), str(seeded["small"]), str(seeded["token"])])
        mount = f"mount -t tmpfs -o size={size_kb}k redline-artifacts {shlex.quote(str(target))}"
        unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
        done = subprocess.run([*unshare, "sh", "-c", f"{mount} && exec {child}"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"the child in the mount namespace failed ({done.returncode}):\n{done.stderr[-3000:]}")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        found["left_on_host"] = sorted(str(p) for p in target.rglob("*"))  # the tmpfs was private to the child
    return found


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--inside":
        url, artifact_dir, big, small, token = sys.argv[2:7]
        print(json.dumps(inside(url, artifact_dir, int(big), int(small), token)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-kb", type=int, default=512, help="size of the artifact filesystem")
    args = parser.parse_args(argv)
    found = run_disk_full(args.size_kb)
    print(json.dumps(found, indent=2))
    problems = judge(found)
    print(*problems, sep="\n") if problems else None
    print("PASS" if not problems else "FAIL")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
