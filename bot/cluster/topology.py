"""The cluster's parts started in order, on free loopback ports, and stopped together.

PostgreSQL  tracker store (shared by the replicas), call records (the gateway), bank (actions)
Redis       Rasa's lock store: one conversation's messages are handled one at a time, in order,
            whichever replica gets them
actions     N action servers, behind HAProxy's actions frontend (Rasa's action_endpoint)
Rasa        N replicas, the same model and endpoints, behind HAProxy's Rasa frontend
gateway     the web and phone gateway (`python -m voice serve`), talking to Rasa through HAProxy
HAProxy     the front door (gateway + Rasa's REST webhook) and the two internal frontends
"""

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot.cluster.haproxy import ACTIONS, GATEWAY, RASA, Frontends, HAProxy, render_config
from bot.cluster.postgres import Postgres
from bot.cluster.redis_server import Redis
from bot.processes import HOST, REPO_ROOT, ManageError, ProcessGroup, free_port, python_module, wait_until_up
from bot.servers import (
    API_TOKEN_ENV,
    CHANNEL_TOKEN_ENV,
    REPLICAS_ENV,
    SERVE_CREDENTIALS,
    action_server_cmd,
    rasa_run_cmd,
    render_endpoints,
)

DEFAULT_DIRECTORY = REPO_ROOT / "var" / "cluster"
REST_TOKEN_ENV = "RASA_REST_TOKEN"
TRACKER_DB, BANK_DB = "tracker", "bank"
GATEWAY_START_S = 300  # with speech, it readies its recognizers first
TICKET_LOCK_LIFETIME_S = 600
BALANCED_WITHIN_S = 30  # HAProxy marks a server up after 2 good checks, 1 s apart


@dataclass
class Options:
    replicas: int = 2
    action_servers: int = 2
    directory: Path = DEFAULT_DIRECTORY
    speech: bool = True  # the gateway's calls (loads the speech model); chat alone without
    fresh: bool = False  # empty tracker and bank databases first (tests, benchmarks)
    gateway_env: Dict[str, str] = field(default_factory=dict)  # e.g. rate limits for a benchmark
    rest_token: Optional[str] = None  # Rasa's REST webhook at the front door; off without one


class Cluster:
    """``with Cluster(model, options) as cluster:`` everything runs; on leaving, everything stops."""

    def __init__(self, model: Path, options: Options, root: Path = REPO_ROOT) -> None:
        self.model, self.options, self.root = model, options, root
        directory = options.directory
        self.logs = directory / "logs"
        self.postgres = Postgres(directory / "postgres", free_port())
        self.redis = Redis(directory / "redis", free_port())
        self.haproxy = HAProxy(directory / "haproxy")
        self.frontends = Frontends(free_port(), free_port(), free_port())
        self.front_door = f"http://{HOST}:{self.frontends.front_door}"
        self.rasa_url = f"http://{HOST}:{self.frontends.rasa}"  # what the gateway talks to
        self.channel_token = secrets.token_urlsafe(32)
        self.api_token = os.environ.get(API_TOKEN_ENV) or secrets.token_urlsafe(32)
        self.rest_token = options.rest_token
        self.rasa_ports = [free_port() for _ in range(options.replicas)]
        self.action_ports = [free_port() for _ in range(options.action_servers)]
        self.gateway_port = free_port()
        self.group = ProcessGroup(root)
        self.replicas: List[subprocess.Popen] = []
        self.action_servers: List[subprocess.Popen] = []
        self.tracker_url = self.bank_url = ""
        self.endpoints = directory / "endpoints.yml"
        self.gateway: Optional[subprocess.Popen] = None

    # ------------------------------------------------------------------ start and stop
    def __enter__(self) -> "Cluster":
        directory = self.options.directory
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)  # the postgres user must reach its data directory inside
        self.logs.mkdir(exist_ok=True)
        self.group.__enter__()
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *_exc) -> None:
        try:
            self.group.__exit__(None, None, None)
        finally:
            self.postgres.stop()

    def _start(self) -> None:
        self._say(f"PostgreSQL on {HOST}:{self.postgres.port} (data: {self.postgres.data})")
        self.postgres.start()
        self.tracker_url = self.postgres.database(TRACKER_DB, fresh=self.options.fresh)
        self.bank_url = self.postgres.database(BANK_DB, fresh=self.options.fresh)
        self._seed_bank()
        self._say(f"Redis (lock store) on {HOST}:{self.redis.port}")
        self.redis.start(self.group)
        self.endpoints = self._write_endpoints()
        self._say(f"{len(self.action_ports)} action servers on ports {', '.join(map(str, self.action_ports))}")
        self.action_servers = [self._spawn_action_server(index) for index in range(len(self.action_ports))]
        for index in range(len(self.action_ports)):
            self._wait_action_server(index)
        config = render_config(
            self.frontends, self.rasa_ports, self.action_ports, self.gateway_port, self.haproxy.admin
        )
        self.haproxy.start(self.group, config)
        self._say(f"{len(self.rasa_ports)} Rasa replicas on ports {', '.join(map(str, self.rasa_ports))}")
        # The first replica creates the tracker store's tables; the others start once they exist.
        self.replicas = [self._spawn_replica(0)]
        self._wait_replica(0)
        self.replicas += [self._spawn_replica(index) for index in range(1, len(self.rasa_ports))]
        for index in range(1, len(self.replicas)):
            self._wait_replica(index)
        self._start_gateway()
        self.wait_balanced()

    def _say(self, text: str) -> None:
        print(text, flush=True)

    def _env(self) -> Dict[str, str]:
        env = {
            CHANNEL_TOKEN_ENV: self.channel_token,
            "TRACKER_STORE_URL": self.tracker_url,
            "BANK_DATABASE_URL": self.bank_url,
            "SANIC_HOST": HOST,
        }
        if self.rest_token:
            env[REST_TOKEN_ENV] = self.rest_token
        return env

    def _seed_bank(self) -> None:
        from actions.bank.db import get_engine, init_db

        init_db(self.bank_url, seed=True)
        get_engine(self.bank_url).dispose()

    def _write_endpoints(self) -> Path:
        endpoints = render_endpoints(f"http://{HOST}:{self.frontends.actions}/webhook", self.tracker_url, self.root)
        endpoints["lock_store"] = self.redis.lock_store_config()
        out = self.options.directory / "endpoints.yml"
        out.write_text(yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False), encoding="utf-8")
        out.chmod(0o600)  # database and Redis passwords
        return out

    def _spawn_action_server(self, index: int) -> subprocess.Popen:
        log = self.logs / f"actions-{index + 1}.log"
        return self.group.start(action_server_cmd(self.action_ports[index]), log, **self._env())

    def _wait_action_server(self, index: int) -> None:
        url = f"http://{HOST}:{self.action_ports[index]}/health"
        wait_until_up(url, self.action_servers[index], f"action server {index + 1}")

    def _spawn_replica(self, index: int) -> subprocess.Popen:
        cmd = rasa_run_cmd(self.model, self.endpoints, self.rasa_ports[index], self.api_token, SERVE_CREDENTIALS)
        # A message waiting for its conversation's lock longer than Rasa's ticket lifetime (60 s) is
        # dropped with a LockError; a busy cluster with a burst of one customer's messages reaches that.
        env = {**self._env(), "TICKET_LOCK_LIFETIME": str(TICKET_LOCK_LIFETIME_S)}
        return self.group.start(cmd, self.logs / f"rasa-{index + 1}.log", **env)

    def _wait_replica(self, index: int) -> None:
        url = f"http://{HOST}:{self.rasa_ports[index]}/webhooks/web/"
        wait_until_up(url, self.replicas[index], f"Rasa replica {index + 1} (log: {self.logs}/rasa-{index + 1}.log)")

    def _start_gateway(self) -> None:
        cmd = python_module("voice", "serve", "--web-port", str(self.gateway_port))
        env = {**self._env(), "RASA_URL": self.rasa_url, API_TOKEN_ENV: self.api_token, **self.options.gateway_env}
        # The console's 发布 loads a new model into every replica, not into the one HAProxy picks.
        env[REPLICAS_ENV] = ",".join(f"http://{HOST}:{port}" for port in self.rasa_ports)
        if self.options.speech:
            cmd += ["--twilio-port", str(free_port()), "--audiosocket-port", str(free_port())]
        else:
            cmd += ["--twilio-port", "0", "--audiosocket-port", "0"]
            env["VOSK_MODEL"] = "/nonexistent"  # chat only: no speech model to load
        del env["BANK_DATABASE_URL"]  # the gateway never reads the bank (voice → Rasa over HTTP)
        self._say(f"Web and phone gateway on port {self.gateway_port}")
        self.gateway = self.group.start(cmd, self.logs / "gateway.log", **env)
        wait_until_up(f"http://{HOST}:{self.gateway_port}/healthz", self.gateway, "web gateway", GATEWAY_START_S)

    def wait_balanced(self, timeout_s: float = BALANCED_WITHIN_S) -> None:
        """Until HAProxy's checks see every running replica, action server and the gateway up (but those in
        maintenance)."""
        deadline = time.monotonic() + timeout_s
        while True:
            wanted = {
                RASA: {f"r{i}" for i, p in enumerate(self.replicas, 1) if p.poll() is None},
                ACTIONS: {f"a{i}" for i, p in enumerate(self.action_servers, 1) if p.poll() is None},
                GATEWAY: {"g1"} if self.gateway is not None and self.gateway.poll() is None else set(),
            }
            status = {backend: self.haproxy.status(backend) for backend in wanted}
            for backend, servers in status.items():  # one put in maintenance is not expected up
                wanted[backend] -= {s for s, st in servers.items() if st.startswith("MAINT")}
            up = {backend: {s for s, st in servers.items() if st == "UP"} for backend, servers in status.items()}
            if all(wanted[b] <= up[b] for b in wanted):
                return
            if time.monotonic() > deadline:
                raise ManageError(f"HAProxy does not see every server up: {up}, wanted {wanted}")
            time.sleep(0.25)

    # ------------------------------------------------------------------ what the fault tests do
    def kill(self, proc: subprocess.Popen) -> None:
        """kill -9: no shutdown, no goodbye to HAProxy, PostgreSQL or Redis."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    def restart_replica(self, index: int) -> None:
        """A stopped or killed replica started again (as an orchestrator would), once HAProxy sees it up."""
        self.replicas[index] = self._spawn_replica(index)
        self._wait_replica(index)
        self.wait_balanced()

    def restart_action_server(self, index: int) -> None:
        self.action_servers[index] = self._spawn_action_server(index)
        self._wait_action_server(index)
        self.wait_balanced()

    def wait_any(self) -> int:
        return self.group.wait_any()
