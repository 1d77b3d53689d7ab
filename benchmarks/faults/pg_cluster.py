"""PostgreSQL servers to put under load and to restart: a private throwaway cluster, or the shared one.

A private cluster (initdb in a temporary directory, its own port) can be restarted or killed without
disturbing anyone else's work on the machine; the shared cluster is restarted with the Debian wrapper,
exactly as an operator would: `pg_ctlcluster --skip-systemctl-redirect <version> main restart`.
PostgreSQL refuses to run as root, so the private cluster's commands run as the `postgres` user.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

PG_ROOT = Path("/usr/lib/postgresql")
SHARED_DSN = os.environ.get("REDLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pg_version() -> str:
    """The installed major version (the one directory under /etc/postgresql, as `ls` shows it)."""
    versions = sorted(os.listdir("/etc/postgresql"))
    if len(versions) != 1:
        raise RuntimeError(f"expected one PostgreSQL version under /etc/postgresql, found {versions}")
    return versions[0]


def pg_bin(name: str) -> str:
    return str(PG_ROOT / pg_version() / "bin" / name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def wait_accepting(dsn: str, timeout_s: float = 60.0) -> float:
    """Block until the server takes connections; returns the seconds waited."""
    started = time.monotonic()
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return time.monotonic() - started
        except psycopg.OperationalError:
            if time.monotonic() - started > timeout_s:
                raise
            time.sleep(0.1)


class PrivateCluster:
    """A throwaway PostgreSQL server: `with PrivateCluster() as pg: pg.dsn ... pg.restart()`."""

    def __init__(self, max_connections: int = 200, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.max_connections = max_connections
        self.dir = Path(tempfile.mkdtemp(prefix="redline-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        subprocess.run(_as_postgres(list(cmd)), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run(pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   f"-c max_connections={self.max_connections}")
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        wait_accepting(self.dsn)

    @property
    def pid(self) -> int:
        """The postmaster's process id (its backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self, mode: str = "fast") -> None:
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> float:
        """Stop (fast: disconnect everyone, roll back open transactions) and start; returns the seconds down."""
        started = time.monotonic()
        self.stop("fast")
        self.start()
        return time.monotonic() - started

    def __enter__(self) -> "PrivateCluster":
        self.init()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already down
        shutil.rmtree(self.dir, ignore_errors=True)


def restart_shared_cluster() -> float:
    """Restart the machine's own PostgreSQL the way an operator would; returns the seconds until it answers."""
    started = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "restart"], check=True)
    wait_accepting(SHARED_DSN)
    return time.monotonic() - started
