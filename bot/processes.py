"""Child processes and local ports: what the make targets start, wait for and stop.

Children run from the repository root with Rasa's telemetry off; each server runs in its own
session, so that stopping it stops the processes it started too.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = "var/log"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 600


class ManageError(RuntimeError):
    """A problem the user can fix; printed without a traceback."""


SANIC_REQUEST_MAX_BYTES = 8 * 1024 * 1024


def child_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Rasa and the action server are Sanic apps, which accept 100 MB bodies by default; a long
    # conversation's tracker and the domain sent to the action server are well under 1 MB.
    env.setdefault("SANIC_REQUEST_MAX_SIZE", str(SANIC_REQUEST_MAX_BYTES))
    env.update(extra)
    return env


def python_module(module: str, *args: str) -> List[str]:
    return [sys.executable, "-m", module, *args]


def run_checked(cmd: List[str], root: Path, what: str, log: Optional[Path] = None, **env: str) -> None:
    """Runs cmd; with `log`, its output goes to that file and only a failure shows its end."""
    if log is None:
        result = subprocess.run(cmd, cwd=root, env=child_env(**env))
    else:
        with open(log, "w", encoding="utf-8") as out:
            result = subprocess.run(cmd, cwd=root, env=child_env(**env), stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        shown = f"\n--- last lines of {rel(log, root)} ---\n{tail(log)}" if log else ""
        raise ManageError(f"{what} failed (exit {result.returncode}): {' '.join(cmd)}{shown}")


def log_file(root: Path, name: str) -> Path:
    """var/log/<name>: where servers and training write what the terminal need not show."""
    path = root / LOG_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def rel(path: Path, root: Path = REPO_ROOT) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_from_env(name: str, default: Optional[int]) -> int:
    value = os.environ.get(name)
    if value:
        if not value.isdigit():
            raise ManageError(f"{name} must be a port number, got {value!r}")
        return int(value)
    return default if default is not None else free_port()


def ensure_port_free(port: int, name: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex((HOST, port)) == 0:
            raise ManageError(f"port {port} on {HOST} is already in use; set {name} to another port")


class ProcessGroup:
    """Child servers, each in its own session so that stopping one kills its whole tree."""

    def __init__(self, root: Path = REPO_ROOT) -> None:
        self.root = root
        self.procs: List[subprocess.Popen] = []
        self._saved_handlers: dict = {}

    def __enter__(self) -> "ProcessGroup":
        if threading.current_thread() is threading.main_thread():
            # Background jobs inherit an ignored SIGINT; Ctrl-C must still stop everything.
            handlers = {
                signal.SIGINT: signal.default_int_handler,
                signal.SIGTERM: exit_on_signal,
                signal.SIGHUP: exit_on_signal,
            }
            self._saved_handlers = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
        return self

    def __exit__(self, *_exc) -> None:
        if self._saved_handlers:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort the cleanup
        try:
            for proc in reversed(self.procs):
                stop_process(proc)
        finally:
            for sig, handler in self._saved_handlers.items():
                signal.signal(sig, handler)

    def start(self, cmd: List[str], log: Optional[Path] = None, **env: str) -> subprocess.Popen:
        """Starts cmd; with `log`, its output is appended to that file instead of the terminal."""
        out = open(log, "a", encoding="utf-8") if log else None  # noqa: SIM115  the child keeps it
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=child_env(**env),
                start_new_session=True,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
            )
        finally:
            if out:
                out.close()
        self.procs.append(proc)
        return proc

    def wait_any(self) -> int:
        while True:
            for proc in self.procs:
                if proc.poll() is not None:
                    return proc.returncode
            time.sleep(0.5)


def exit_on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def stop_process(proc: subprocess.Popen, grace_s: float = 30.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_until_up(url: str, proc: subprocess.Popen, what: str, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ManageError(f"{what} exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise ManageError(f"{what} did not answer on {url} within {timeout_s:.0f} s")
