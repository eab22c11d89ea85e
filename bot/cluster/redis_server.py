"""A private Redis instance (Debian's redis-server) for the replicas' lock store: loopback port,
a password made for the run, nothing written to disk (locks live only as long as a turn)."""

import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import List, Optional

from bot.processes import HOST, ManageError, ProcessGroup, stop_process

START_TIMEOUT_S = 30
KEY_PREFIX = "bank"  # Rasa: alphanumeric only


class Redis:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.password = secrets.token_urlsafe(24)
        self.log = directory / "redis.log"
        self.proc: Optional[subprocess.Popen] = None
        if shutil.which("redis-server") is None:
            raise ManageError("redis-server is not installed: run `make cluster-packages` (Debian's redis-server)")

    def command(self) -> List[str]:
        return [
            "redis-server", "--bind", HOST, "--port", str(self.port), "--requirepass", self.password,
            "--save", "", "--appendonly", "no", "--dir", str(self.directory), "--logfile", str(self.log),
        ]  # fmt: skip

    def start(self, group: ProcessGroup) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = group.start(self.command())
        self.wait_ready()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def ping(self) -> bool:
        import redis

        client = redis.Redis(host=HOST, port=self.port, password=self.password, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.ping():
            if self.proc is not None and self.proc.poll() is not None:
                raise ManageError(f"redis-server exited with code {self.proc.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise ManageError(f"Redis on port {self.port} did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.1)

    def lock_store_config(self) -> dict:
        """Rasa's endpoints ``lock_store`` section: Rasa's RedisLockStore, its changes atomic (lock_store.py)."""
        return {
            "type": "bot.cluster.lock_store.AtomicRedisLockStore",
            "url": HOST,
            "port": self.port,
            "password": self.password,
            "db": 0,
            "key_prefix": KEY_PREFIX,
        }
