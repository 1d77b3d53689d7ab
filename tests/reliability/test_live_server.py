"""Against the real server process (uvicorn, access log on, debug log level): a 50 MB single-line upload is
refused in bounded server memory, and no secret that went through the server appears in its log."""

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from benchmarks.load.redline_site import redline_server, scratch_database
from tests.conftest import PG_ADMIN_DSN

ADMIN_PASSWORD = "admin-passphrase-" + uuid.uuid4().hex[:8]
USER_PASSWORD = "user-passphrase-" + uuid.uuid4().hex[:8]
WRONG_PASSWORD = "wrong-passphrase-" + uuid.uuid4().hex[:8]
API_KEY = "sk-ant-api03-" + uuid.uuid4().hex
SECRET_KEY = "secret-key-" + uuid.uuid4().hex


@dataclass
class Live:
    base: str
    proc: psutil.Process
    log: Path
    admin_token: str
    secrets: list[str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.models import Role, User
    from app.security import hash_password
    from app.services.users import create_token

    tmp = tmp_path_factory.mktemp("live")
    with scratch_database(PG_ADMIN_DSN, prefix="redline_live") as url:
        engine = make_engine(url)
        with Session(engine) as session:
            admin = User(email="admin@live.example.org", role=Role.admin, password_hash=hash_password(ADMIN_PASSWORD))
            session.add(admin)
            session.flush()
            _, token = create_token(session, admin, "live")
            session.commit()
        engine.dispose()
        env = {"SECRET_KEY": SECRET_KEY, "ANTHROPIC_API_KEY": API_KEY, "ARTIFACT_DIR": str(tmp / "artifacts")}
        with redline_server(url, tmp / "server.log", workers=1, log_level="debug", access_log=True, **env) as (base, p):
            yield Live(base, psutil.Process(p.pid), tmp / "server.log", token,
                       [ADMIN_PASSWORD, USER_PASSWORD, WRONG_PASSWORD, API_KEY, SECRET_KEY, token])


def _peak_rss_while(proc: psutil.Process, work) -> tuple[object, int, int]:
    """Run `work()` while sampling the process's RSS; returns (result, RSS before, peak RSS)."""
    before = proc.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = work()
    finally:
        done.set()
        sampler.join()
    return result, before, peak[0]


def test_a_50_mb_single_line_is_refused_in_bounded_server_memory(live: Live, tmp_path: Path) -> None:
    path = tmp_path / "one_line.jsonl"
    row = {"prompt": "p", "chosen": "c", "rejected": "r"}
    with path.open("wb") as fh:
        fh.write(json.dumps(row).encode() + b"\n")
        fh.write(b'{"prompt": "p", "chosen": "c", "rejected": "' + b"x" * (50 * 1024 * 1024) + b'"}\n')
        fh.write(json.dumps({**row, "rejected": "r3"}).encode() + b"\n")
    headers = {"Authorization": f"Bearer {live.admin_token}"}

    def upload() -> httpx.Response:
        with path.open("rb") as fh:  # httpx streams the file: the test process never holds it whole either
            return httpx.post(f"{live.base}/api/v1/datasets", headers=headers, data={"name": "big"},
                              files={"file": ("one_line.jsonl", fh)}, timeout=300)

    reply, before, peak = _peak_rss_while(live.proc, upload)
    assert isinstance(reply, httpx.Response)
    assert reply.status_code == 422, reply.text[:300]
    assert [e["row"] for e in reply.json()["errors"]] == [2] and "larger than" in reply.text
    from app.services.importers.records import DEFAULT_MAX_ROW_BYTES

    grown = (peak - before) / 2**20
    bound = 3 * DEFAULT_MAX_ROW_BYTES / 2**20 + 8  # a few row buffers; far below the line's 50 MiB
    assert grown < bound, f"the server grew by {grown:.0f} MiB for a 50 MiB line (bound {bound:.0f} MiB)"
    listed = httpx.get(f"{live.base}/api/v1/datasets", headers=headers).json()
    assert "big" not in [d["name"] for d in listed]


def test_no_secret_reaches_the_server_log(live: Live) -> None:
    admin = httpx.Client(base_url=live.base, headers={"Authorization": f"Bearer {live.admin_token}"})
    made = admin.post("/api/v1/users", json={"email": "u@live.example.org", "role": "annotator",
                                             "password": USER_PASSWORD})
    assert made.status_code == 201
    assert admin.post("/api/v1/users", json={"email": "v@live.example.org", "role": "annotator",
                                             "password": "short"}).status_code == 422
    wrong = httpx.post(f"{live.base}/api/v1/auth/token", json={"email": "u@live.example.org",
                                                               "password": WRONG_PASSWORD})
    assert wrong.status_code == 401
    token = httpx.post(f"{live.base}/api/v1/auth/token",
                       json={"email": "u@live.example.org", "password": USER_PASSWORD}).json()["token"]
    assert httpx.get(f"{live.base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert httpx.get(f"{live.base}/api/v1/me", headers={"Authorization": f"Bearer {token}0"}).status_code == 401
    browser = httpx.Client(base_url=live.base)
    form = browser.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    logged_in = browser.post("/login", data={"email": "u@live.example.org", "password": USER_PASSWORD,
                                             "login_csrf": login_csrf})
    assert logged_in.status_code in (200, 303)
    cookie = browser.cookies.get("redline_session")
    page = browser.get("/annotate").text
    csrf = re.search(r'X-CSRF-Token": "([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    assert browser.post("/logout", headers={"X-CSRF-Token": csrf}).status_code in (200, 303)
    time.sleep(0.5)  # let the access log flush
    log = live.log.read_text(errors="replace")
    assert "POST /api/v1/auth/token" in log, "the access log is on, so requests must show in it"
    leaked = [s[:10] + "..." for s in [*live.secrets, token, cookie or "", csrf, login_csrf] if s and s in log]
    assert not leaked, f"secrets in the server log: {leaked}"
