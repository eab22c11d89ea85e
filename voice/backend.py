"""The Rasa server (and action server) calls talk to: RASA_URL if set, else started here."""

import contextlib
import json
import os
import urllib.request
from pathlib import Path
from typing import Iterator

from bot import manage


@contextlib.contextmanager
def running_assistant(root: Path = manage.REPO_ROOT) -> Iterator[str]:
    """Yields the Rasa base URL; servers started here stop when the block ends."""
    if os.environ.get("RASA_URL"):
        yield os.environ["RASA_URL"].rstrip("/")
        return
    manage.setup(root)
    model = manage.train(root)
    rasa_port, action_port = manage.free_port(), manage.free_port()
    endpoints = manage.write_endpoints(root / "var" / "endpoints-voice.yml", manage.action_url_for(action_port), root)
    with manage.ProcessGroup(root) as group:
        manage.start_action_server(group, action_port)
        rasa = group.start(manage.rasa_run_cmd(model, endpoints, rasa_port, None))
        url = f"http://{manage.HOST}:{rasa_port}"
        manage.wait_until_up(f"{url}/webhooks/voice/", rasa, "Rasa server")
        warm_up(url)
        print(f"Rasa server:   {url}  (voice channel: POST /webhooks/voice/webhook)", flush=True)
        yield url


def warm_up(url: str) -> None:
    """Rasa's first message takes ~1 s longer than the rest; let no caller wait for that."""
    body = json.dumps({"sender": "voice-warm-up", "message": "/greet"}).encode()
    request = urllib.request.Request(f"{url}/webhooks/voice/webhook", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60):
        pass
