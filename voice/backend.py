"""The Rasa server (and action server) calls and the web page talk to: RASA_URL if set, else
started here."""

import contextlib
import json
import os
import urllib.request
from pathlib import Path
from typing import Iterator, Optional

from bot import build, processes, servers


@contextlib.contextmanager
def running_assistant(
    root: Path = processes.REPO_ROOT, channel_token: Optional[str] = None, rasa_port: Optional[int] = None
) -> Iterator[str]:
    """Yields the Rasa base URL; servers started here stop when the block ends. With
    ``channel_token``, Rasa's channels take only requests carrying it (bot/credentials-serve.yml)."""
    if os.environ.get("RASA_URL"):
        yield os.environ["RASA_URL"].rstrip("/")
        return
    build.setup(root)
    model = build.train(root)
    with processes.ProcessGroup(root) as group:
        url = servers.start_rasa_with_actions(
            group, model, root / "var" / "endpoints-voice.yml", channel="voice", root=root,
            channel_token=channel_token, rasa_port=rasa_port,
        )  # fmt: skip
        warm_up(url, channel_token)
        print(f"Rasa server:   {url}  (voice channel: POST /webhooks/voice/webhook)", flush=True)
        yield url


def warm_up(url: str, token: Optional[str] = None) -> None:
    """Rasa's first message takes ~1 s longer than the rest; let no caller wait for that."""
    body = json.dumps({"sender": "voice-warm-up", "message": "/greet", "metadata": {"via": "system"}}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{url}/webhooks/voice/webhook", body, headers)
    with urllib.request.urlopen(request, timeout=60):
        pass
