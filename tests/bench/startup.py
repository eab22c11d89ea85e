"""How long a (re)start takes: Rasa server start → up → first answer, with the trained model.

    python -m tests.bench.startup [--runs 3]      (make bench-start)

The action server is started once, before the clock starts. The peer, measured in the same
run, is Rasa's own start-up cost: `python -m rasa --version`, which imports Rasa's command line
and loads no model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import List, Optional

from bot import build, processes, servers


def first_answer(url: str, text: str = "你好") -> str:
    body = json.dumps({"sender": f"bench-start-{time.time_ns()}", "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read().decode()


def one_start(group: processes.ProcessGroup, endpoints, model) -> tuple[float, float]:
    """(seconds until the server answers HTTP, seconds until the first reply), from the process start."""
    port = processes.free_port()
    started = time.monotonic()
    proc = group.start(
        servers.rasa_run_cmd(model, endpoints, port, None), log=processes.log_file(group.root, "bench-start.log")
    )
    try:
        processes.wait_until_up(f"http://{processes.HOST}:{port}/webhooks/rest/", proc, "Rasa server")
        up = time.monotonic() - started
        if "text" not in first_answer(f"http://{processes.HOST}:{port}/webhooks/rest/webhook"):
            raise processes.ManageError("the first answer held no text")
        return up, time.monotonic() - started
    finally:
        processes.stop_process(proc)
        group.procs.remove(proc)


def rasa_import_s() -> float:
    started = time.monotonic()
    subprocess.run(
        processes.python_module("rasa", "--version"),
        cwd=processes.REPO_ROOT,
        env=processes.child_env(),
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.startup", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    root = processes.REPO_ROOT
    model = build.model_path(root)
    if not model.exists():
        raise SystemExit(f"no model for the current sources ({processes.rel(model)}): run `make train` first")
    action_port = processes.free_port()
    endpoints = servers.write_endpoints(root / "var" / "endpoints-bench.yml", servers.action_url_for(action_port), root)
    ups: List[float] = []
    answers: List[float] = []
    peers: List[float] = []
    with processes.ProcessGroup(root) as group:
        servers.start_action_server(group, action_port, log=processes.log_file(root, "bench-actions.log"))
        for run in range(1, args.runs + 1):
            up, answered = one_start(group, endpoints, model)
            peer = rasa_import_s()
            ups.append(up)
            answers.append(answered)
            peers.append(peer)
            print(
                f"run {run}: up {up:.1f} s, first answer {answered:.1f} s; peer (rasa --version) {peer:.1f} s",
                flush=True,
            )
    print(
        f"model {processes.rel(model)}: Rasa server start → first answer, median of {args.runs}: "
        f"{statistics.median(answers):.1f} s (up {statistics.median(ups):.1f} s); "
        f"peer `python -m rasa --version`: {statistics.median(peers):.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
