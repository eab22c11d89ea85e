"""Build, train and run the assistant: what the Makefile calls.

    python -m bot.manage setup          build var/spacy_zh if nlu/ changed, create + seed the bank DB
    python -m bot.manage train          train unless models/<content hash>.tar.gz already exists
    python -m bot.manage model-path     print the model path for the current sources
    python -m bot.manage actions        action server in the foreground
    python -m bot.manage serve          what customers use: the web page (chat, calls), the telephony
                                        gateways, Rasa and the action server
    python -m bot.manage chat           action server in the background + `rasa shell`
    python -m bot.manage endpoints      write the endpoints file Rasa uses (env applied)
    python -m bot.manage outbox         show the demo SMS outbox (one-time codes)

Run from anywhere with the project's .venv python; paths are resolved from the repository root.
The work is done in bot/build.py (spaCy dir, bank DB, training), bot/servers.py (the Rasa and
action servers) and bot/processes.py (children and ports); this module is the command line.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, List, Optional

from bot.build import ensure_spacy, model_path, setup, train
from bot.processes import (
    HOST,
    REPO_ROOT,
    ManageError,
    ProcessGroup,
    child_env,
    ensure_port_free,
    exit_on_signal,
    log_file,
    port_from_env,
    python_module,
    rel,
    tail,
    wait_until_up,
)
from bot.servers import (
    API_TOKEN_ENV,
    CHANNEL_TOKEN_ENV,
    DEFAULT_ACTION_PORT,
    DEFAULT_RASA_PORT,
    SERVE_CREDENTIALS,
    action_server_cmd,
    action_url_for,
    rasa_run_cmd,
    serve_api_token,
    start_action_server,
    write_endpoints,
)

DEFAULT_WEB_PORT = 8080
GATEWAY_START_S = 300  # loads the speech model and readies its recognizers first


def cmd_actions(root: Path = REPO_ROOT) -> int:
    port = port_from_env("ACTION_PORT", DEFAULT_ACTION_PORT)
    print(f"Action server on http://{HOST}:{port}/webhook", flush=True)
    return subprocess.call(action_server_cmd(port), cwd=root, env=child_env(SANIC_HOST=HOST))


def cmd_serve(root: Path = REPO_ROOT) -> int:
    """Rasa takes only token-protected channels (bot/credentials-serve.yml); the web and phone
    gateway (`python -m voice serve`) is the customers' way in, with a token made for this run.
    Rasa's HTTP API is on, behind RASA_TOKEN or a token made for this run: the gateway's staff
    console loads newly published models through it (PUT /model)."""
    setup(root)
    model = train(root)
    rasa_port = port_from_env("RASA_PORT", DEFAULT_RASA_PORT)
    action_port = port_from_env("ACTION_PORT", DEFAULT_ACTION_PORT)
    web_port = port_from_env("WEB_PORT", DEFAULT_WEB_PORT)
    ensure_port_free(rasa_port, "RASA_PORT")
    ensure_port_free(web_port, "WEB_PORT")
    endpoints = write_endpoints(root / "var" / "endpoints-serve.yml", action_url_for(action_port), root)
    api_token, api_token_given = serve_api_token()
    channel_token = secrets.token_urlsafe(32)
    rasa_url = f"http://{HOST}:{rasa_port}"
    with ProcessGroup(root) as group:
        if not os.environ.get("ACTION_ENDPOINT_URL"):
            start_action_server(group, action_port)
        rasa_cmd = rasa_run_cmd(model, endpoints, rasa_port, api_token, SERVE_CREDENTIALS)
        rasa = group.start(rasa_cmd, None, RASA_CHANNEL_TOKEN=channel_token)
        wait_until_up(f"{rasa_url}/webhooks/web/", rasa, "Rasa server")
        print(f"Rasa server:   {rasa_url}  (channels for the gateways only, with a token)", flush=True)
        rest = "on, with RASA_REST_TOKEN" if os.environ.get("RASA_REST_TOKEN") else "off (set RASA_REST_TOKEN)"
        print(f"REST webhook for other servers: {rest}", flush=True)
        made = "a token made for this run (set RASA_TOKEN to use make faq-reload)"
        print("HTTP API:      enabled with " + ("RASA_TOKEN" if api_token_given else made), flush=True)
        gateway_cmd = python_module("voice", "serve", "--web-port", str(web_port))
        tokens = {CHANNEL_TOKEN_ENV: channel_token, API_TOKEN_ENV: api_token}
        gateway = group.start(gateway_cmd, None, RASA_URL=rasa_url, **tokens)
        wait_until_up(f"http://{HOST}:{web_port}/healthz", gateway, "web and phone gateway", GATEWAY_START_S)
        print(f"\nOpen the web page: http://{HOST}:{web_port}/", flush=True)
        print("Press Ctrl-C to stop everything.", flush=True)
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
    sub.add_parser("serve", help="web page + phone gateways, Rasa and action server (WEB_PORT/RASA_PORT/ACTION_PORT)")
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
    signal.signal(signal.SIGTERM, exit_on_signal)  # so `finally` blocks (temp dirs, children) run
    try:
        return dispatch(args)
    except ManageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
