"""`make serve-cluster` (``python -m bot.cluster serve [--replicas N]``): the cluster on this
machine until Ctrl-C (bot/cluster/topology.py; docs/deployment.md)."""

import argparse
import os
import sys
from typing import List, Optional

from bot.build import setup, train
from bot.cluster.topology import DEFAULT_DIRECTORY, REST_TOKEN_ENV, Cluster, Options
from bot.processes import REPO_ROOT, ManageError, rel


def serve(replicas: int, action_servers: int) -> int:
    setup(REPO_ROOT)
    model = train(REPO_ROOT)
    options = Options(replicas, action_servers, DEFAULT_DIRECTORY, rest_token=os.environ.get(REST_TOKEN_ENV))
    print(f"Starting the cluster (state and logs: {rel(DEFAULT_DIRECTORY)}/) ...", flush=True)
    with Cluster(model, options) as cluster:
        print(f"\nFront door (web page, chat and calls): {cluster.front_door}/", flush=True)
        rest = "on, with RASA_REST_TOKEN" if cluster.rest_token else "off (set RASA_REST_TOKEN)"
        print(f"REST webhook at the front door ({cluster.front_door}/webhooks/rest/webhook): {rest}", flush=True)
        print(f"Rasa (through HAProxy, for the gateway): {cluster.rasa_url}", flush=True)
        print(f"HAProxy runtime socket: {cluster.haproxy.admin}", flush=True)
        print("Press Ctrl-C to stop everything.", flush=True)
        try:
            code = cluster.wait_any()
            print(f"A process of the cluster exited ({code}); stopping the others.", file=sys.stderr, flush=True)
            return code or 1
        except KeyboardInterrupt:
            print("\nStopping ...", flush=True)
            return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cluster", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="PostgreSQL, Redis, Rasa replicas, action servers, gateway, HAProxy")
    run.add_argument("--replicas", type=int, default=2, help="Rasa server replicas (default 2)")
    run.add_argument("--action-servers", type=int, default=2, help="action servers (default 2)")
    args = parser.parse_args(argv)
    if args.replicas < 1 or args.action_servers < 1:
        parser.error("--replicas and --action-servers must be at least 1")
    try:
        return serve(args.replicas, args.action_servers)
    except ManageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
