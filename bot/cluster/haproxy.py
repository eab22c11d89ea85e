"""HAProxy in front of everything: its configuration for a set of servers, and its runtime socket
(a server put in maintenance, its health as HAProxy sees it).

Three frontends on loopback ports:
- the front door: the web gateway (page, websocket, staff pages), and Rasa's token-protected REST
  webhook (/webhooks/rest/) for other servers, balanced over the Rasa replicas;
- Rasa: what the gateway talks to, balanced over the replicas;
- actions: Rasa's action_endpoint, balanced over the action servers.

Servers are checked every 2 s (Rasa on /, the action servers on /health) and taken out after 3
failures; a check may take 20 s (CHECK_TIMEOUT). A Rasa replica or action server takes at most
SERVER_MAXCONN requests at once; HAProxy queues the others (the gateway has no limit: its websockets
stay open). A request is sent again to another server only
when the connection itself failed (``retry-on conn-failure``, HAProxy's default): a request a
server may have started on is never replayed by HAProxy, so it handles no message twice and runs
no money action twice.
"""

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

from bot.processes import HOST, ManageError, ProcessGroup

# A replica at full load answers its check late, behind the turns queued in its event loop: busy is
# not dead. Measured: with a 2 s check timeout, 200 conversations on one replica got it marked down
# and thousands of turns refused (503). A dead server is found at once anyway: its port refuses.
CHECK_TIMEOUT = "20s"
CHECK_INTERVAL = "2s"  # also the check's connect timeout (HAProxy: min(inter, timeout connect))
# Turns a replica (or an action server) takes at once; HAProxy queues the rest (up to QUEUE_TIMEOUT).
# Rasa handles turns in one event loop: with 200 at once, a loop round took seconds, its health
# checks could not even connect, and HAProxy marked it down. 16 keep it busy (turns wait on the
# action server and the database too) and answering its checks.
SERVER_MAXCONN = 16
BUFFER_BYTES = 512 * 1024  # an action call carries the domain (about 40 KB) and the conversation's events
QUEUE_TIMEOUT = "5m"
TURN_TIMEOUT = "5m"  # a turn under load can wait long in Rasa's queue; a websocket stays open (tunnel)
RASA, ACTIONS, GATEWAY = "rasa", "actions", "gateway"


@dataclass
class Frontends:
    front_door: int
    rasa: int
    actions: int


def _servers(prefix: str, ports: Sequence[int], maxconn: int = 0) -> List[str]:
    option = f" check maxconn {maxconn}" if maxconn else " check"
    return [f"    server {prefix}{i} {HOST}:{port}{option}" for i, port in enumerate(ports, 1)]


def render_config(
    frontends: Frontends, rasa_ports: Sequence[int], action_ports: Sequence[int], gateway_port: int, admin: Path
) -> str:
    lines = [
        "global",
        f"    stats socket {admin} mode 600 level admin",
        "    maxconn 4096",
        f"    tune.bufsize {BUFFER_BYTES}",  # a call is retried only if it fits: Rasa sends the domain and tracker
        "    log stdout format raw local0",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    timeout connect 5s",
        f"    timeout client {TURN_TIMEOUT}",
        f"    timeout server {TURN_TIMEOUT}",
        "    timeout tunnel 1h",
        f"    timeout queue {QUEUE_TIMEOUT}",
        f"    timeout check {CHECK_TIMEOUT}",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure",
        f"    default-server inter {CHECK_INTERVAL} fall 3 rise 2",
        "",
        "frontend front_door",
        f"    bind {HOST}:{frontends.front_door}",
        "    acl rasa_rest path_beg /webhooks/rest/",
        f"    use_backend {RASA} if rasa_rest",
        f"    default_backend {GATEWAY}",
        "",
        "frontend rasa_in",
        f"    bind {HOST}:{frontends.rasa}",
        f"    default_backend {RASA}",
        "",
        "frontend actions_in",
        f"    bind {HOST}:{frontends.actions}",
        f"    default_backend {ACTIONS}",
        "",
        f"backend {RASA}",
        "    balance roundrobin",
        "    option httpchk GET /",
        "    http-check expect status 200",
        *_servers("r", rasa_ports, SERVER_MAXCONN),
        "",
        f"backend {ACTIONS}",
        "    balance roundrobin",
        # An action server that died holding a call (no answer, or half of one): the call goes to the
        # other one. Safe for money: a confirmed movement carries an idempotency key (actions/
        # confirmation.py), so a replay of one that was committed returns its receipt. Without it, Rasa
        # treats the call as failed and the customer hears nothing (measured: tests/bot/cluster).
        "    option http-buffer-request",  # the whole call in HAProxy's buffer: what a retry sends again
        "    retry-on conn-failure empty-response junk-response",
        "    option httpchk GET /health",
        "    http-check expect status 200",
        *_servers("a", action_ports, SERVER_MAXCONN),
        "",
        f"backend {GATEWAY}",
        *_servers("g", [gateway_port]),
        "",
    ]
    return "\n".join(lines)


class HAProxy:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.config = directory / "haproxy.cfg"
        self.admin = directory / "haproxy.sock"
        self.log = directory / "haproxy.log"

    def start(self, group: ProcessGroup, config: str) -> subprocess.Popen:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config.write_text(config, encoding="utf-8")
        check = subprocess.run(["haproxy", "-c", "-q", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise ManageError(f"HAProxy refused {self.config}: {check.stderr.strip() or check.stdout.strip()}")
        self.log.write_text("", encoding="utf-8")
        return group.start(["haproxy", "-db", "-f", str(self.config)], log=self.log)

    def command(self, line: str) -> str:
        """One command on the runtime API (HAProxy's management guide, "Unix Socket commands")."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.admin))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def set_state(self, backend: str, server: str, state: str) -> None:
        """``state``: ready, drain or maint."""
        answer = self.command(f"set server {backend}/{server} state {state}").strip()
        if answer:
            raise ManageError(f"HAProxy: set server {backend}/{server} state {state}: {answer}")

    def status(self, backend: str) -> Dict[str, str]:
        """Each server of ``backend`` → HAProxy's view: UP, DOWN, MAINT, ..."""
        rows = self.command("show stat").splitlines()
        header = rows[0].lstrip("# ").split(",")
        status = {}
        for row in rows[1:]:
            fields = dict(zip(header, row.split(","), strict=False))
            if fields.get("pxname") == backend and fields.get("svname") not in ("FRONTEND", "BACKEND"):
                status[fields["svname"]] = fields.get("status", "")
        return status
