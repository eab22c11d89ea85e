"""Load a model into the running Rasa server through its HTTP API (PUT /model).

The server keeps serving while it swaps models, and conversations live in the tracker
store, so a conversation in progress simply goes on with the new model.
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bot.processes import HOST, ManageError, port_from_env
from bot.servers import DEFAULT_RASA_PORT

LOAD_TIMEOUT_S = 300


def server_url() -> str:
    """RASA_URL (as `make serve` gives the gateway), else this host on RASA_PORT."""
    if os.environ.get("RASA_URL"):
        return os.environ["RASA_URL"].rstrip("/")
    return f"http://{HOST}:{port_from_env('RASA_PORT', DEFAULT_RASA_PORT)}"


def api_token() -> str:
    token = os.environ.get("RASA_TOKEN")
    if not token:
        raise ManageError(
            "RASA_TOKEN is not set: the running server must have been started with "
            "RASA_TOKEN=… make serve (its HTTP API is off otherwise), and this command "
            "needs the same token"
        )
    return token


def load_model(model: Path, base_url: str | None = None, token: str | None = None) -> None:
    token = token or api_token()
    base_url = base_url or server_url()
    query = urllib.parse.urlencode({"token": token})
    body = json.dumps({"model_file": str(model.resolve())}).encode()
    request = urllib.request.Request(
        f"{base_url}/model?{query}", body, method="PUT", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=LOAD_TIMEOUT_S):
            return
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")[:300]
        if error.code == 401:
            raise ManageError("the server refused RASA_TOKEN (it was started with another token)") from error
        raise ManageError(f"the server could not load {model.name}: HTTP {error.code} {detail}") from error
    except urllib.error.URLError as error:
        raise ManageError(
            f"no Rasa server at {base_url} ({error.reason}); start it with RASA_TOKEN=… make serve, or set RASA_PORT"
        ) from error


def loaded_model(base_url: str | None = None, token: str | None = None, timeout: float = 30) -> str:
    """File name of the model the server is running (GET /status; HTTPError/URLError if it can't say)."""
    token = token or os.environ.get("RASA_TOKEN") or ""
    query = urllib.parse.urlencode({"token": token})
    with urllib.request.urlopen(f"{base_url or server_url()}/status?{query}", timeout=timeout) as response:
        return Path(json.load(response).get("model_file", "")).name
