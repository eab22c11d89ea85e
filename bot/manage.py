"""Build, train and run the assistant: what the Makefile calls.

    python -m bot.manage setup          build var/spacy_zh if nlu/ changed, create + seed the bank DB
    python -m bot.manage train          train unless models/<content hash>.tar.gz already exists
    python -m bot.manage model-path     print the model path for the current sources
    python -m bot.manage actions        action server in the foreground
    python -m bot.manage serve          Rasa HTTP server (REST + socket.io) + action server
    python -m bot.manage chat           action server in the background + `rasa shell`
    python -m bot.manage endpoints      write the endpoints file Rasa uses (env applied)
    python -m bot.manage outbox         show the demo SMS outbox (one-time codes)

Run from anywhere with the project's .venv python; paths are resolved from the repository root.
"""

import argparse
import contextlib
import fcntl
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = "models"
SPACY_DIR = "var/spacy_zh"
LOG_DIR = "var/log"
TRAINING_INPUTS = ("config.yml", "bot/domain", "bot/data", "bot/faq/faqs.yml", "nlu")
SPACY_INPUTS = ("nlu",)
HASH_LENGTH = 16
MODELS_KEPT = 5
DEFAULT_RASA_PORT = 5005
DEFAULT_ACTION_PORT = 5055
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 600


class ManageError(RuntimeError):
    """A problem the user can fix; printed without a traceback."""


# --------------------------------------------------------------------------- hashing


def _is_ignored(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"} or path.name.startswith(".")


def input_files(root: Path, inputs: Iterable[str]) -> List[Path]:
    """Files under the given repo-relative paths, sorted by their relative POSIX path."""
    found = []
    for name in inputs:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and not _is_ignored(p.relative_to(root)))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def content_hash(root: Path = REPO_ROOT, inputs: Iterable[str] = TRAINING_INPUTS) -> str:
    """sha256 over (relative path, size, bytes) of every input file, truncated."""
    digest = hashlib.sha256()
    for path in input_files(root, inputs):
        data = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0%d\0" % len(data))
        digest.update(data)
    return digest.hexdigest()[:HASH_LENGTH]


# --------------------------------------------------------------------------- subprocesses


def child_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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


# --------------------------------------------------------------------------- setup


def ensure_spacy(root: Path = REPO_ROOT) -> Path:
    """(Re)build the spaCy-zh model dir when the nlu/ sources changed since the last build."""
    target = root / SPACY_DIR
    stamp = target.with_name(target.name + ".stamp")
    if not (root / "nlu" / "spacy_zh.py").exists():
        print("warning: nlu/spacy_zh.py not found; skipping the spaCy build", file=sys.stderr)
        return target
    wanted = content_hash(root, SPACY_INPUTS)
    if target.is_dir() and stamp.exists() and stamp.read_text().strip() == wanted:
        return target
    print(f"Building {SPACY_DIR} ...", flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    run_checked(python_module("nlu.spacy_zh", "build", SPACY_DIR), root, "spaCy build")
    stamp.write_text(wanted + "\n")
    return target


def ensure_bank_db(root: Path = REPO_ROOT) -> None:
    """Create tables and seed demo data; `actions.bank init` is safe to repeat."""
    if not (root / "actions" / "bank" / "__main__.py").exists():
        print("warning: actions/bank/__main__.py not found; skipping DB init", file=sys.stderr)
        return
    run_checked(python_module("actions.bank", "init"), root, "bank DB init")


def setup(root: Path = REPO_ROOT) -> None:
    ensure_spacy(root)
    ensure_bank_db(root)


# --------------------------------------------------------------------------- training


def model_path(root: Path = REPO_ROOT, digest: Optional[str] = None) -> Path:
    return root / MODELS_DIR / f"{digest or content_hash(root)}.tar.gz"


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def train(root: Path = REPO_ROOT, force: bool = False) -> Path:
    """Return models/<hash>.tar.gz for the current sources, training only if it is missing."""
    if not (root / "config.yml").exists():
        raise ManageError(f"{rel(root / 'config.yml', root)} is missing; nothing to train")
    target = model_path(root)
    if target.exists() and not force:
        print(f"Sources unchanged, reusing {rel(target, root)}", flush=True)
        return target
    ensure_spacy(root)
    # Two trainers at once (make train + pytest) would both write the same file: serialise.
    with _exclusive(root / MODELS_DIR / ".train.lock"):
        if target.exists() and not force:
            print(f"Trained meanwhile, reusing {rel(target, root)}", flush=True)
            return target
        _train_into(root, target)
    _prune_models(target.parent, keep=MODELS_KEPT)
    print(f"Model: {rel(target, root)}", flush=True)
    return target


def _train_into(root: Path, target: Path) -> None:
    name = target.name[: -len(".tar.gz")]
    log = log_file(root, "train.log")
    print(f"Training {rel(target, root)} (Rasa's log: {rel(log, root)}) ...", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".training-") as out_dir:
        timing = Path(out_dir) / "timing.txt"
        cmd = python_module(
            "bot.rasa_cli", "train",
            "--config", "config.yml", "--domain", "bot/domain", "--data", "bot/data",
            "--out", out_dir, "--fixed-model-name", name,
        )  # fmt: skip
        run_checked(cmd, root, "rasa train", log=log, TRAIN_TIMING_FILE=str(timing))
        if timing.exists():
            print(timing.read_text(encoding="utf-8"), end="", flush=True)
        produced = Path(out_dir) / target.name
        if not produced.exists():
            raise ManageError(f"rasa train exited 0 but wrote no {target.name}")
        os.replace(produced, target)  # atomic: a half-written model is never picked up
    print(f"Trained in {time.monotonic() - started:.0f} s (the command's whole run)", flush=True)


def _prune_models(models_dir: Path, keep: int) -> None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[keep:]:
        old.unlink(missing_ok=True)


# --------------------------------------------------------------------------- endpoints


def tracker_store_config(url: Optional[str], root: Path = REPO_ROOT) -> dict:
    """Rasa SQL tracker store settings for an SQLAlchemy URL (default: SQLite var/tracker.db).

    Rasa 3.6's SQLTrackerStore takes dialect/url(host)/port/db/username/password/query,
    not a URL, so the URL is split into those fields.
    """
    from sqlalchemy.engine import make_url

    if not url:
        return {"type": "SQL", "dialect": "sqlite", "db": str(root / "var" / "tracker.db")}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        if database != ":memory:" and not Path(database).is_absolute():
            database = str(root / database)
        return {"type": "SQL", "dialect": parsed.drivername, "db": database}
    fields = {
        "type": "SQL",
        "dialect": parsed.drivername,
        "url": parsed.host,
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
        "query": dict(parsed.query) or None,
    }
    return {key: value for key, value in fields.items() if value is not None}


def render_endpoints(action_url: str, tracker_url: Optional[str], root: Path = REPO_ROOT) -> dict:
    """bot/endpoints.yml with the action server URL and tracker store replaced."""
    import yaml

    endpoints = yaml.safe_load((root / "bot" / "endpoints.yml").read_text(encoding="utf-8")) or {}
    endpoints["action_endpoint"] = {**(endpoints.get("action_endpoint") or {}), "url": action_url}
    endpoints["tracker_store"] = tracker_store_config(tracker_url, root)
    return endpoints


def write_endpoints(out: Path, action_url: str, root: Path = REPO_ROOT) -> Path:
    """Write the endpoints file for this run; TRACKER_STORE_URL comes from the environment."""
    import yaml

    endpoints = render_endpoints(action_url, os.environ.get("TRACKER_STORE_URL"), root)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out.chmod(0o600)  # may hold a database password
    return out


def action_url_for(port: int) -> str:
    return os.environ.get("ACTION_ENDPOINT_URL") or f"http://{HOST}:{port}/webhook"


# --------------------------------------------------------------------------- ports and processes


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


def action_server_cmd(port: int) -> List[str]:
    return python_module("actions.server", "--actions", "actions", "--port", str(port))


def rasa_run_cmd(model: Path, endpoints: Path, port: int, token: Optional[str]) -> List[str]:
    cmd = python_module(
        "bot.rasa_cli", "run", "--model", str(model), "--endpoints", str(endpoints),
        "--credentials", "bot/credentials.yml", "--interface", HOST, "--port", str(port),
    )  # fmt: skip
    if token:
        cmd += ["--enable-api", "--auth-token", token]
    return cmd


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
                signal.SIGTERM: _exit_on_signal,
                signal.SIGHUP: _exit_on_signal,
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


def _exit_on_signal(signum, _frame) -> None:
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


def start_action_server(group: ProcessGroup, port: int, log: Optional[Path] = None) -> None:
    ensure_port_free(port, "ACTION_PORT")
    proc = group.start(action_server_cmd(port), log=log, SANIC_HOST=HOST)
    wait_until_up(f"http://{HOST}:{port}/health", proc, "action server")
    print(f"Action server: http://{HOST}:{port}/webhook", flush=True)


# --------------------------------------------------------------------------- commands


def cmd_actions(root: Path = REPO_ROOT) -> int:
    port = port_from_env("ACTION_PORT", DEFAULT_ACTION_PORT)
    print(f"Action server on http://{HOST}:{port}/webhook", flush=True)
    return subprocess.call(action_server_cmd(port), cwd=root, env=child_env(SANIC_HOST=HOST))


def cmd_serve(root: Path = REPO_ROOT) -> int:
    setup(root)
    model = train(root)
    rasa_port = port_from_env("RASA_PORT", DEFAULT_RASA_PORT)
    action_port = port_from_env("ACTION_PORT", DEFAULT_ACTION_PORT)
    ensure_port_free(rasa_port, "RASA_PORT")
    endpoints = write_endpoints(root / "var" / "endpoints-serve.yml", action_url_for(action_port), root)
    token = os.environ.get("RASA_TOKEN") or None
    with ProcessGroup(root) as group:
        if not os.environ.get("ACTION_ENDPOINT_URL"):
            start_action_server(group, action_port)
        rasa = group.start(rasa_run_cmd(model, endpoints, rasa_port, token))
        wait_until_up(f"http://{HOST}:{rasa_port}/webhooks/rest/", rasa, "Rasa server")
        print(f"Rasa server:   http://{HOST}:{rasa_port}  (REST: POST /webhooks/rest/webhook)", flush=True)
        print("HTTP API:      " + ("enabled (RASA_TOKEN)" if token else "off (set RASA_TOKEN to enable)"))
        print("Press Ctrl-C to stop both.", flush=True)
        try:
            return group.wait_any()
        except KeyboardInterrupt:
            print("\nStopping ...", flush=True)
            return 0


def cmd_chat(root: Path = REPO_ROOT) -> int:
    setup(root)
    model = train(root)
    action_port = port_from_env("ACTION_PORT", None)
    shell_port = port_from_env("RASA_PORT", None)
    endpoints = write_endpoints(root / "var" / "endpoints-chat.yml", action_url_for(action_port), root)
    # The terminal shows the conversation; servers' logs and library warnings go to var/log.
    actions_log, chat_log = log_file(root, "actions.log"), log_file(root, "chat.log")
    with ProcessGroup(root) as group:
        if not os.environ.get("ACTION_ENDPOINT_URL"):
            start_action_server(group, action_port, log=actions_log)
        print(f"Loading the assistant (logs: {rel(chat_log, root)}, {rel(actions_log, root)}) ...", flush=True)
        cmd = python_module(
            "bot.rasa_cli", "shell", "--model", str(model), "--endpoints", str(endpoints), "--port", str(shell_port)
        )
        with open(chat_log, "a", encoding="utf-8") as log:
            shell = subprocess.Popen(cmd, cwd=root, env=child_env(), stderr=log)
        # The shell owns the terminal and handles Ctrl-C itself; we clean up after it.
        # (Ignore SIGINT only after the fork, or the shell would inherit the ignore.)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            code = shell.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
        if code not in (0, 130, -signal.SIGINT):
            print(
                f"The chat stopped (exit {code}); last lines of {rel(chat_log, root)}:\n{tail(chat_log)}",
                file=sys.stderr,
            )
        return code


def cmd_endpoints(args: argparse.Namespace, root: Path = REPO_ROOT) -> int:
    port = args.action_port or port_from_env("ACTION_PORT", DEFAULT_ACTION_PORT)
    out = write_endpoints(Path(args.out).resolve(), action_url_for(port), root)
    print(out)
    return 0


def cmd_model_path(root: Path = REPO_ROOT) -> int:
    path = model_path(root)
    print(path)
    if not path.exists():
        print("not trained yet: run `make train`", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.manage", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="build var/spacy_zh if needed and init the bank DB")
    sub.add_parser("setup-spacy", help="build var/spacy_zh if nlu/ changed")
    train_parser = sub.add_parser("train", help="train unless the model for these sources exists")
    train_parser.add_argument("--force", action="store_true", help="retrain even if the model exists")
    sub.add_parser("model-path", help="print the model path for the current sources")
    sub.add_parser("actions", help="run the action server (ACTION_PORT, default 5055)")
    sub.add_parser("serve", help="Rasa server + action server (RASA_PORT/ACTION_PORT)")
    sub.add_parser("chat", help="talk to the assistant in this terminal")
    endpoints_parser = sub.add_parser("endpoints", help="write the endpoints file with env applied")
    endpoints_parser.add_argument("--out", default=str(REPO_ROOT / "var" / "endpoints.yml"))
    endpoints_parser.add_argument("--action-port", type=int)
    sub.add_parser("outbox", help="show the demo SMS outbox (one-time codes)")
    return parser


def _done(command: Callable[[], object]) -> Callable[[], int]:
    """A command run for its effect alone: exit status 0."""

    def run() -> int:
        command()
        return 0

    return run


def dispatch(args: argparse.Namespace) -> int:
    commands = {
        "setup": _done(setup),
        "setup-spacy": _done(ensure_spacy),
        "train": _done(lambda: train(force=args.force)),
        "model-path": cmd_model_path,
        "actions": cmd_actions,
        "serve": cmd_serve,
        "chat": cmd_chat,
        "endpoints": lambda: cmd_endpoints(args),
        "outbox": lambda: subprocess.call(python_module("actions.bank", "outbox"), cwd=REPO_ROOT),
    }
    return commands[args.command]()


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_signal)  # so `finally` blocks (temp dirs, children) run
    try:
        return dispatch(args)
    except ManageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
