"""`make bench-load` (``python -m tests.bench.load``): many conversations at once through the cluster's
front door (bot/cluster: HAProxy, the web gateway, Rasa replicas on PostgreSQL with Redis locks,
action servers), with 1 Rasa replica and with 2 in the same run.

One cluster is started (2 replicas, 2 action servers, chat-only gateway, fresh databases in a
temporary directory). Phases, each with new conversations:
- warm-up (not counted);
- 1 replica: HAProxy's runtime socket puts replica 2 in maintenance;
- 2 replicas: replica 2 back;
- then, not counted in the figures, a profiled phase on 1 replica: py-spy samples its CPU
  (NLU, policies, action calls, tracker store, lock store, the rest) when py-spy is installed.

Each phase: CONVERSATIONS at once (half web pages over the websocket, half Rasa's REST webhook, both at
the front door), TURNS turns each, each turn sent once the previous answer is complete; started one
after the other over STAGGER_S. Per turn: sending → the whole answer (websocket: typing off; REST: the
response read). Throughput: turns answered / the phase's wall time. CPU per turn of each part (/proc).

Every conversation's transcript is then checked in the tracker store (PostgreSQL's events table):
each message sent (by its message id) stored exactly once, in the order sent, and followed by a bot
message. Messages lost, duplicated or out of order: the bench exits 1 unless all are 0.
"""

import argparse
import asyncio
import math
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import aiohttp
from sqlalchemy import create_engine, text

from bot import build
from bot.cluster.haproxy import RASA
from bot.cluster.topology import Cluster, Options
from tests.bench.web import PageSession, machine_busy_s, percentile, tree_cpu_s
from tests.stored_events import event_data

CONVERSATIONS = 200
TURNS = 20
STAGGER_S = 20.0
WARM = 6
PROFILE_CONVERSATIONS = 40
TURN_TIMEOUT_S = 300.0
NO_LIMIT = "100000/100000"  # every customer comes from 127.0.0.1 here: the gateway's rate limits off
# Twenty different things a customer says: greetings, FAQ questions, a bill query the bot answers by
# asking to verify the customer's identity (declined), small talk, goodbye.
TEXTS = (
    "你好",
    "你们几点下班？",
    "信用卡的最低还款是怎么算的？",
    "我想查一下信用卡账单",
    "算了，先不查了",
    "补办一张新卡要几天能拿到？",
    "你是机器人吗？",
    "转账要收手续费吗",
    "信用卡年费怎么收？",
    "怎么开通手机银行？",
    "挂失以后多久能补卡？",
    "网点几点开门？",
    "密码忘了怎么办",
    "可以修改预留手机号吗",
    "基金怎么赎回",
    "分期手续费是多少",
    "我的快递到了吗",
    "你们客服电话是多少",
    "好的，谢谢",
    "再见",
)
WEBSOCKET, REST = "websocket", "REST"


# ------------------------------------------------------------------ customers
@dataclass
class Customer:
    path: str
    name: str
    sent: List[str] = field(default_factory=list)  # message ids, in order
    turn_ms: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


class RestCustomer:
    """Rasa's REST webhook at the front door (TokenRestInput: bearer token, a message id per message)."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str, name: str) -> None:
        self.http, self.url, self.name = http, f"{base}/webhooks/rest/webhook", name
        self.headers = {"Authorization": f"Bearer {token}"}
        self.sender = f"load-{name}-{secrets.token_hex(4)}"
        self.result = Customer(REST, name)

    async def talk(self, texts: Sequence[str], delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        for index, said in enumerate(texts):
            message_id = f"{self.name}-t{index:02d}-{secrets.token_hex(3)}"
            self.result.sent.append(message_id)
            body = {"sender": self.sender, "message": said, "message_id": message_id}
            started = time.perf_counter()
            try:
                async with self.http.post(self.url, json=body, headers=self.headers) as answer:
                    answer.raise_for_status()
                    messages = await answer.json()
            except (asyncio.TimeoutError, aiohttp.ClientError, ValueError) as exc:
                self.result.errors.append(f"{self.name} turn {index}: {type(exc).__name__}: {exc}")
                continue
            self.result.turn_ms.append((time.perf_counter() - started) * 1000)
            if not messages:
                self.result.errors.append(f"{self.name} turn {index}: no answer")


class PageCustomer:
    """A web page over the websocket at the front door (tests/bench/web.py PageSession)."""

    def __init__(self, base: str, name: str) -> None:
        self.session = PageSession(base, name)
        self.result = Customer(WEBSOCKET, name)

    async def talk(self, texts: Sequence[str], delay_s: float) -> None:
        page = self.session
        try:
            await page.talk(texts, delay_s)
        finally:
            await page.hang_up()
            await page.close()
        self.result.sent = [message_id for message_id, _text in page.sent]
        self.result.turn_ms = [t.done_ms for t in page.result.turns]
        self.result.errors = list(page.result.check.errors)


# ------------------------------------------------------------------ the tracker store's transcripts
@dataclass
class Transcripts:
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    unanswered: int = 0
    notes: List[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order or self.unanswered)


def stored_messages(tracker_url: str) -> Dict[str, List[tuple]]:
    """Each conversation's user and bot events in the order stored: (kind, message id or text)."""
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT sender_id, type_name, data FROM events WHERE type_name IN ('user', 'bot') ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    conversations: Dict[str, List[tuple]] = defaultdict(list)
    for row in rows:
        data = event_data(row.data)
        key = data.get("message_id") if row.type_name == "user" else data.get("text")
        conversations[row.sender_id].append((row.type_name, key))
    return conversations


def check_transcripts(customers: Sequence[Customer], stored: Dict[str, List[tuple]]) -> Transcripts:
    """Every message id sent, found in the tracker store: once, in the order sent, answered."""
    where: Dict[str, List[tuple]] = defaultdict(list)  # message id → [(sender, position)]
    answered: Dict[str, bool] = {}
    for sender, events in stored.items():
        users = [i for i, (kind, _key) in enumerate(events) if kind == "user"]
        for position, index in enumerate(users):
            message_id = events[index][1]
            if message_id:
                where[message_id].append((sender, position))
                end = users[position + 1] if position + 1 < len(users) else len(events)
                answered[message_id] = any(kind == "bot" for kind, _key in events[index + 1 : end])
    result = Transcripts()
    for customer in customers:
        places = []
        for message_id in customer.sent:
            found = where.get(message_id, [])
            if not found:
                result.lost += 1
                result.notes.append(f"{customer.name}: {message_id} not in the tracker store")
                continue
            if len(found) > 1:
                result.duplicated += len(found) - 1
                result.notes.append(f"{customer.name}: {message_id} stored {len(found)} times")
            if not answered.get(message_id):
                result.unanswered += 1
                result.notes.append(f"{customer.name}: {message_id} stored without a bot message after it")
            places.append(found[0])
        if len({sender for sender, _ in places}) > 1:
            result.notes.append(f"{customer.name}: its messages are in {len({s for s, _ in places})} conversations")
        positions = [position for _sender, position in places]
        inversions = sum(1 for a, b in zip(positions, positions[1:], strict=False) if b <= a)
        result.out_of_order += inversions
        if inversions:
            result.notes.append(f"{customer.name}: {inversions} messages stored before one sent earlier")
    return result


# ------------------------------------------------------------------ phases
@dataclass
class Phase:
    name: str
    replicas: int
    customers: List[Customer]
    wall_s: float
    cpu_s: Dict[str, float]

    @property
    def turn_ms(self) -> List[float]:
        return [ms for c in self.customers for ms in c.turn_ms]

    @property
    def errors(self) -> List[str]:
        return [e for c in self.customers for e in c.errors]


class Meter:
    """CPU seconds of each part of the cluster (process trees, /proc), this client and the machine."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def pids(self) -> Dict[str, List[int]]:
        c = self.cluster
        postmaster = int((c.postgres.data / "postmaster.pid").read_text().split()[0])
        haproxy = [p.pid for p in c.group.procs if p.args[:1] == ["haproxy"]]
        return {
            "Rasa": [p.pid for p in c.replicas],
            "actions": [p.pid for p in c.action_servers],
            "PostgreSQL": [postmaster],
            "Redis": [c.redis.proc.pid] if c.redis.proc else [],
            "HAProxy": haproxy,
            "gateway": [c.gateway.pid] if c.gateway else [],
        }

    def read(self) -> Dict[str, float]:
        figures = {name: sum(tree_cpu_s(pid) for pid in pids) for name, pids in self.pids().items()}
        figures["client"] = time.process_time()
        figures["machine"] = machine_busy_s()
        return figures


async def run_phase(
    cluster: Cluster, meter: Meter, name: str, replicas: int, conversations: int, turns: int, stagger_s: float
) -> Phase:
    states = {f"r{i}": ("ready" if i <= replicas else "maint") for i in range(1, len(cluster.replicas) + 1)}
    for server, state in states.items():
        cluster.haproxy.set_state(RASA, server, state)
    cluster.wait_balanced()
    texts = TEXTS[:turns] if turns <= len(TEXTS) else [TEXTS[i % len(TEXTS)] for i in range(turns)]
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_S, sock_connect=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        customers = [
            PageCustomer(cluster.front_door, f"{name}-ws{i}")
            if i % 2 == 0
            else RestCustomer(http, cluster.front_door, cluster.rest_token or "", f"{name}-rest{i}")
            for i in range(conversations)
        ]
        before, started = meter.read(), time.perf_counter()
        await asyncio.gather(*(c.talk(texts, i * stagger_s / conversations) for i, c in enumerate(customers)))
        wall_s, after = time.perf_counter() - started, meter.read()
    cpu_s = {key: after[key] - before[key] for key in before}
    return Phase(name, replicas, [c.result for c in customers], wall_s, cpu_s)


# ------------------------------------------------------------------ where Rasa's time goes (py-spy)
CATEGORIES = (  # the first that a sampled stack matches
    ("lock store (Redis)", re.compile(r"lock_store\.py|/redis/")),
    (
        "tracker store (PostgreSQL; events read, written, (de)serialised)",
        re.compile(r"tracker_store\.py|/sqlalchemy/|psycopg2"),
    ),
    (
        "action calls (the tracker sent to the action server, its answer read)",
        re.compile(
            r"_action_call_format|_validate_action_result|_utter_responses|rasa/utils/endpoints\.py"
            r"|run \([^)]*rasa/core/actions/action\.py:(7[5-9]\d|8[0-3]\d)\)"
        ),
    ),
    ("NLU (parse_message)", re.compile(r"parse_message")),
    ("policies (predicting the next action)", re.compile(r"predict_next_action|rasa/core/policies")),
    ("responses (NLG)", re.compile(r"rasa/core/nlg|bot/nlg\.py")),
)
OTHER = "the rest (HTTP server, channels, event loop)"


def profile(pid: int, seconds: float, out: Path) -> Optional[subprocess.Popen]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        return None
    cmd = [py_spy, "record", "--pid", str(pid), "--rate", "100", "--format", "raw", "--nonblocking"]
    cmd += ["--duration", str(int(seconds)), "--output", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def shares(raw: Path) -> Dict[str, float]:
    """py-spy's collapsed stacks ("frame;frame;... count") → share of CPU samples per category."""
    counts: Counter = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        label = next((name for name, pattern in CATEGORIES if pattern.search(stack)), OTHER)
        counts[label] += int(count)
    total = sum(counts.values())
    return {name: counts[name] / total for name, _ in (*CATEGORIES, (OTHER, None))} if total else {}


# ------------------------------------------------------------------ the report
def fmt(ms: float) -> str:
    return "—" if math.isnan(ms) else f"{ms:,.0f}"


def phase_line(phase: Phase) -> str:
    turns = len(phase.turn_ms)
    p = [percentile(phase.turn_ms, q) for q in (50, 95, 99)]
    return (
        f"| {phase.replicas} | {turns:,} | {turns / phase.wall_s:.1f} | {fmt(p[0])} / {fmt(p[1])} / {fmt(p[2])} ms "
        f"| {len(phase.errors)} | {phase.wall_s:.0f} s |"
    )


def cpu_line(phase: Phase) -> str:
    turns = max(len(phase.turn_ms), 1)
    parts = {k: v for k, v in phase.cpu_s.items() if k != "machine"}
    others = (phase.cpu_s["machine"] - sum(parts.values())) / phase.wall_s
    cells = " | ".join(f"{v * 1000 / turns:.1f}" for v in parts.values())
    return f"| {phase.replicas} | {cells} | {sum(parts.values()) / phase.wall_s:.2f} | {max(others, 0):.2f} |"


def report(phases: List[Phase], check: Transcripts, split: Dict[str, float], command: str, took_s: float) -> None:
    print(f"\n## make bench-load — `{command}` (took {took_s:.0f} s)")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("\n| Rasa replicas | turns | turns/s | turn latency p50 / p95 / p99 | failed turns | wall |")
    print("|---|---|---|---|---|---|")
    for phase in phases:
        print(phase_line(phase))
    one = [p for p in phases if p.replicas == 1]
    two = [p for p in phases if p.replicas == 2]
    if one and two:
        rate = [len(p.turn_ms) / p.wall_s for p in (one[0], two[0])]
        p50 = [percentile(p.turn_ms, 50) for p in (one[0], two[0])]
        print(f"\nScaling, 2 replicas / 1: throughput ×{rate[1] / rate[0]:.2f}, p50 latency ×{p50[1] / p50[0]:.2f}")
    names = [k for k in phases[0].cpu_s if k != "machine"]
    print(f"\n| replicas | CPU ms per turn: {' / '.join(names)} | cores busy: cluster + client | others |")
    print("|---|" + "---|" * len(names) + "---|---|")
    for phase in phases:
        print(cpu_line(phase))
    if split:
        print("\nWhere one replica's CPU goes (py-spy samples of Rasa's process, a separate phase on 1 replica):")
        for name, share in split.items():
            print(f"- {name}: {share:.0%}")
    else:
        print("\n(no py-spy: `pip install py-spy` for where Rasa's CPU goes)")
    verdict = "OK" if check.clean else "FAILED"
    print(
        f"\nTranscripts in the tracker store ({sum(len(c.sent) for p in phases for c in p.customers):,} messages): "
        f"lost {check.lost}, duplicated {check.duplicated}, out of order {check.out_of_order}, "
        f"unanswered {check.unanswered} — {verdict}"
    )
    for note in check.notes[:20]:
        print(f"  {note}")
    for error in [e for p in phases for e in p.errors][:10]:
        print(f"  client: {error}")


# ------------------------------------------------------------------ main
def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS, help=f"at once (default {CONVERSATIONS})")
    parser.add_argument("--turns", type=int, default=TURNS, help=f"per conversation (default {TURNS})")
    parser.add_argument(
        "--stagger", type=float, default=STAGGER_S, help=f"seconds to start them (default {STAGGER_S:g})"
    )
    parser.add_argument("--profile-conversations", type=int, default=PROFILE_CONVERSATIONS, help="0: no profiled phase")
    args = parser.parse_args(argv)
    if args.conversations < 2 or args.turns < 1:
        parser.error("--conversations must be at least 2 and --turns at least 1")
    return args


async def run(cluster: Cluster, args, directory: Path) -> tuple:
    meter = Meter(cluster)
    await run_phase(cluster, meter, "warm", 2, WARM, 3, 1.0)
    phases = []
    for replicas in (1, 2):
        phase = await run_phase(cluster, meter, f"r{replicas}", replicas, args.conversations, args.turns, args.stagger)
        print(f"{replicas} replica(s): {len(phase.turn_ms)} turns in {phase.wall_s:.0f} s", flush=True)
        phases.append(phase)
    split: Dict[str, float] = {}
    if args.profile_conversations:
        raw = directory / "rasa-profile.txt"
        cluster.haproxy.set_state(RASA, "r2", "maint")
        spy = profile(cluster.replicas[0].pid, 3600, raw)
        if spy is not None:
            await run_phase(cluster, meter, "prof", 1, args.profile_conversations, args.turns, args.stagger / 4)
            spy.send_signal(2)  # SIGINT: py-spy writes what it has
            spy.wait(60)
            split = shares(raw) if raw.exists() else {}
    cluster.haproxy.set_state(RASA, "r2", "ready")
    return phases, split


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    command = " ".join(["python -m tests.bench.load", *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()
    model = build.model_path()
    if not model.exists():
        print(f"no trained model at {model}; run `make train` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bank-cluster-load-") as tmp:
        options = Options(
            replicas=2, action_servers=2, directory=Path(tmp), speech=False, fresh=True,
            rest_token=secrets.token_urlsafe(32),
            gateway_env={"WEB_RATE_PER_ADDRESS": NO_LIMIT, "WEB_RATE_PER_SESSION": NO_LIMIT},
        )  # fmt: skip
        with Cluster(model, options) as cluster:
            phases, split = asyncio.run(run(cluster, args, Path(tmp)))
            check = check_transcripts([c for p in phases for c in p.customers], stored_messages(cluster.tracker_url))
    report(phases, check, split, command, time.perf_counter() - started)
    failed = any(p.errors for p in phases)
    return 0 if check.clean and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
