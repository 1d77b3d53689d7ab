"""A private Redis server on a free port, started with the flags CI uses for the machine's own Redis (no
persistence: `--save "" --appendonly no`), so that a restart loses every message it held, and stopped
the way the fault scenario asks: `redis-cli shutdown nosave`."""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from benchmarks.load.redline_site import free_port


class PrivateRedis:
    """`with PrivateRedis() as r: r.url ... r.shutdown_nosave(); r.start()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="redline-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """The start command of the issue, on this server's own port and directory."""
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def shutdown_nosave(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.proc is not None:
            self.proc.wait(timeout=20)

    def queue_length(self, queue: str = "default") -> int:
        return int(redis.Redis.from_url(self.url).llen(queue))

    def __enter__(self) -> "PrivateRedis":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)
