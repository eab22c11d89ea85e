"""A private PostgreSQL instance from Debian's packages: its own data directory and loopback port,
not the system's cluster. PostgreSQL refuses to run as root, so as root it runs as the ``postgres``
user (runuser); the databases belong to a role with a password made on first start."""

import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import List, Sequence

from bot.processes import HOST, ManageError

PG_ROOT = Path("/usr/lib/postgresql")
ROLE = "bank"
START_TIMEOUT_S = 60


def pg_bin_dir() -> Path:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    versions = sorted(PG_ROOT.glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise ManageError("PostgreSQL is not installed: run `make cluster-packages` (Debian's postgresql)")
    return versions[-1].parent


class Postgres:
    """``start()`` creates the data directory if needed; databases are made with ``database(name)``."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.password_file = directory / "password"
        self.bin = pg_bin_dir()

    # ------------------------------------------------------------------ running as postgres
    def _as_owner(self, cmd: Sequence[str]) -> List[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)

    def _run(self, *cmd: str, what: str) -> str:
        result = subprocess.run(self._as_owner(cmd), capture_output=True, text=True, cwd="/")
        if result.returncode != 0:
            raise ManageError(f"PostgreSQL: {what} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    # ------------------------------------------------------------------ lifecycle
    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.directory)
        self._chown(self.data)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=peer",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", what="initdb",
        )  # fmt: skip

    def start(self) -> None:
        self.init()
        self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_S), "-l", str(self.log), "-o", self._options())
        self._ensure_role()

    def _options(self) -> str:
        # Unix socket in the data directory: nothing of the system's cluster is touched.
        return f"-p {self.port} -c listen_addresses={HOST} -k {self.data} -c max_connections=200 -c fsync=on"

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), *args, what=f"pg_ctl {args[0]}")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-w", "-m", mode)

    def restart(self) -> None:
        """What an operator's restart does: fast shutdown (clients disconnected), then start."""
        self._pg_ctl("restart", "-w", "-m", "fast", "-l", str(self.log), "-o", self._options())

    def running(self) -> bool:
        return (
            subprocess.run(
                [str(self.bin / "pg_isready"), "-h", HOST, "-p", str(self.port)], capture_output=True
            ).returncode
            == 0
        )

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.running():
            if time.monotonic() > deadline:
                raise ManageError(f"PostgreSQL on port {self.port} did not accept connections")
            time.sleep(0.2)

    # ------------------------------------------------------------------ role and databases
    def password(self) -> str:
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24), encoding="utf-8")
            self.password_file.chmod(0o600)
        return self.password_file.read_text(encoding="utf-8").strip()

    def _sql(self, sql: str, database: str = "postgres") -> str:
        return self._run(
            str(self.bin / "psql"), "-h", str(self.data), "-p", str(self.port), "-d", database,
            "-v", "ON_ERROR_STOP=1", "-qAtc", sql, what="psql",
        )  # fmt: skip

    def _ensure_role(self) -> None:
        password = self.password().replace("'", "''")
        exists = self._sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'").strip()
        verb = "ALTER" if exists else "CREATE"
        self._sql(f"{verb} ROLE {ROLE} LOGIN PASSWORD '{password}'")

    def database(self, name: str, fresh: bool = False) -> str:
        """The URL of database ``name`` (made if missing; emptied first with ``fresh``)."""
        if fresh:
            self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not self._sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
            self._sql(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql://{ROLE}:{self.password()}@{HOST}:{self.port}/{name}"
