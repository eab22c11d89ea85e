"""The Rasa server and the action server: their command lines, the endpoints file that
links them (action server URL, tracker store) and starting the action server.
"""

import os
import secrets
from pathlib import Path
from typing import List, Optional, Tuple

from bot.processes import HOST, REPO_ROOT, ProcessGroup, ensure_port_free, free_port, python_module, wait_until_up

DEFAULT_RASA_PORT = 5005
DEFAULT_ACTION_PORT = 5055
DEV_CREDENTIALS = "bot/credentials.yml"  # open channels, for servers on a random loopback port
SERVE_CREDENTIALS = "bot/credentials-serve.yml"  # token-protected channels only (`make serve`)
CHANNEL_TOKEN_ENV = "RASA_CHANNEL_TOKEN"
API_TOKEN_ENV = "RASA_TOKEN"
REPLICAS_ENV = "RASA_REPLICA_URLS"  # the replicas' own addresses, behind a load balancer
TRACKER_STORE_TYPE = "bot.tracker_store.EncryptedSQLTrackerStore"  # Rasa's SQL store, events encrypted


def serve_api_token() -> Tuple[str, bool]:
    """The token of Rasa's HTTP API under `make serve` (the console loads models through it):
    RASA_TOKEN, else one made for this run; and whether it was given."""
    given = os.environ.get(API_TOKEN_ENV)
    return (given, True) if given else (secrets.token_urlsafe(32), False)


def tracker_store_config(url: Optional[str], root: Path = REPO_ROOT) -> dict:
    """Tracker store settings for an SQLAlchemy URL (default: SQLite var/tracker.db): Rasa's SQL tracker
    store with events encrypted at rest (bot/tracker_store.py).

    Rasa 3.6's SQLTrackerStore takes dialect/url(host)/port/db/username/password/query,
    not a URL, so the URL is split into those fields.
    """
    from sqlalchemy.engine import make_url

    if not url:
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": str(root / "var" / "tracker.db")}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        if database != ":memory:" and not Path(database).is_absolute():
            database = str(root / database)
        return {"type": TRACKER_STORE_TYPE, "dialect": parsed.drivername, "db": database}
    fields = {
        "type": TRACKER_STORE_TYPE,
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


def action_server_cmd(port: int) -> List[str]:
    return python_module("actions.server", "--actions", "actions", "--port", str(port))


def rasa_run_cmd(
    model: Path, endpoints: Path, port: int, token: Optional[str], credentials: str = DEV_CREDENTIALS
) -> List[str]:
    cmd = python_module(
        "bot.rasa_cli", "run", "--model", str(model), "--endpoints", str(endpoints),
        "--credentials", credentials, "--interface", HOST, "--port", str(port),
    )  # fmt: skip
    if token:
        cmd += ["--enable-api", "--auth-token", token]
    return cmd


def start_action_server(group: ProcessGroup, port: int, log: Optional[Path] = None) -> None:
    ensure_port_free(port, "ACTION_PORT")
    proc = group.start(action_server_cmd(port), log=log, SANIC_HOST=HOST)
    wait_until_up(f"http://{HOST}:{port}/health", proc, "action server")
    print(f"Action server: http://{HOST}:{port}/webhook", flush=True)


def start_rasa_with_actions(
    group: ProcessGroup,
    model: Path,
    endpoints_file: Path,
    token: Optional[str] = None,
    channel: str = "rest",
    root: Path = REPO_ROOT,
    channel_token: Optional[str] = None,
    rasa_port: Optional[int] = None,
) -> str:
    """An action server and a Rasa server on free ports in ``group``; the Rasa base URL, once
    the ``channel`` webhook answers. With ``channel_token``, Rasa serves only the token-protected
    channels of SERVE_CREDENTIALS, with that token. ``rasa_port``: the Rasa server's port (default: a free one)."""
    action_port, rasa_port = free_port(), rasa_port or free_port()
    endpoints = write_endpoints(endpoints_file, action_url_for(action_port), root)
    start_action_server(group, action_port)
    if channel_token:
        cmd = rasa_run_cmd(model, endpoints, rasa_port, token, SERVE_CREDENTIALS)
        rasa = group.start(cmd, None, RASA_CHANNEL_TOKEN=channel_token)  # CHANNEL_TOKEN_ENV
    else:
        rasa = group.start(rasa_run_cmd(model, endpoints, rasa_port, token))
    base = f"http://{HOST}:{rasa_port}"
    wait_until_up(f"{base}/webhooks/{channel}/", rasa, f"Rasa server ({channel} channel)")
    return base
