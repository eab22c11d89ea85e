"""`make bench-web` (``python -m tests.bench.web``): the web page's chat under load, over its websocket,
against the same turns over Rasa's REST webhook in the same run.

Servers: one Rasa server with its action server (token-only channels, bot/credentials-serve.yml, as
`make serve` runs them) and the web gateway (``python -m voice serve``, chat only: no speech model)
in front of it, on private copies of the bank and the tracker store (temporary files, not var/).
All on 127.0.0.1, and this client too: they share the machine's cores.

Paths, each conversation the same TEXTS (one bot message each), each turn sent once the previous
answer is complete:
- websocket: a page session as a browser has it: GET / (the signed session cookie), the websocket
  /ws with the page's Origin, ``ready``, ``history`` and the greeting; then each text as a
  ``message`` with its id. Timed per turn: sending → the first bot message (the figure), → its
  ack, → typing off.
- REST (the peer): POST /webhooks/rest/webhook (TokenRestInput, bearer RASA_REST_TOKEN), a sender
  per conversation, /greet first as the gateway sends it for a new page. Timed: the POST until its
  answer is read (one bot message per turn: that is the first bot message).
- web channel (not on its own at SESSIONS): what the gateway itself sends Rasa, POST
  /webhooks/web/webhook streamed, timed to the first message line: it splits the websocket's
  difference from REST into the gateway's part and Rasa's channel's.

Run in this order, against the same Rasa: warm-up (WARM_SESSIONS of each path, not counted); SINGLE
conversations of each path one at a time, the paths in turn; SESSIONS conversations of one path
at once, ROUNDS rounds in the order REST, websocket, websocket, REST, ... (a drift over the run
weighs on both); then MIXED rounds of SESSIONS conversations shared out among the three paths, all
at the same time (they see the same Rasa at the same moment, which separate phases do not: its
speed on this machine changes from minute to minute). Every phase has new conversations, started
one after the other over STAGGER_S. CPU time of each process, and of everything else on the
machine, is taken per phase from /proc.

Messages lost or duplicated (target 0; the bench exits 1 otherwise), per websocket session: each
sent id acknowledged exactly once and its echo seen once, each turn answered by at least one bot
message, no bot message seen twice; then the session's websocket is opened again with its cookie
and the ``history`` compared with what it saw live: the same customer messages in order, the same
bot messages (count and text) after each. HTTP conversations are checked the same way against
their channel's GET .../history. The per-address rate limit is raised (every session comes from
127.0.0.1 and stands for a different customer); the per-session limit is the gateway's default
(ten turns fit its burst).
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

import aiohttp
import numpy as np

from actions.bank import db
from bot import build, processes, servers

REPO_ROOT = processes.REPO_ROOT
SESSIONS = 50
ROUNDS = 2  # each round runs both paths, the order alternating: REST, websocket, websocket, REST
WARM_SESSIONS = 4
# The conversations of a phase start one after the other over STAGGER_S (about the time all of them
# take for one turn each), as customers come: started at once, they would move in lockstep, all at
# the same turn at the same time, and each turn's figure would be that of one text.
STAGGER_S = 5.0
MIXED = 3  # rounds with SESSIONS shared out among MIXED_PATHS at the same time: all see the same Rasa
SINGLE = 10  # conversations one at a time over each path: the cost of each path without queueing
# Ten turns of a customer on the page: greeting, FAQ questions, a bill query the bot answers by asking
# to verify the customer's identity (declined), small talk, thanks, goodbye. One bot message each.
TEXTS = (
    "你好",
    "你们几点下班？",
    "信用卡的最低还款是怎么算的？",
    "我想查一下信用卡账单",
    "算了，先不查了",
    "补办一张新卡要几天能拿到？",
    "你是机器人吗？",
    "转账要收手续费吗",
    "好的，谢谢",
    "再见",
)
GREETING_INTENT = "/greet"  # what the gateway sends for a new page (voice/web/gateway.py)
PER_ADDRESS_LIMIT = "100000/100000"  # WEB_RATE_PER_ADDRESS: 50 customers behind one address
TURN_TIMEOUT_S = 120.0
LATE_GRACE_S = 1.0  # after the last turn of a phase: anything arriving now was not asked for
SERVER_LOG = processes.log_file(REPO_ROOT, "bench-web-servers.log")
GATEWAY_LOG = processes.log_file(REPO_ROOT, "bench-web-gateway.log")
WEBSOCKET, REST, WEB_CHANNEL = "websocket", "REST", "web channel"
TAGS = {WEBSOCKET: "ws", REST: "rest", WEB_CHANNEL: "chan"}  # in conversation names
MIXED_PATHS = (WEBSOCKET, WEB_CHANNEL, REST)


# ------------------------------------------------------------------ statistics (pure)
def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default) of the values that are not NaN
    (a turn without an answer has no time: it is counted apart); NaN for no values."""
    values = [v for v in values if not math.isnan(v)]
    return float(np.percentile(values, q)) if values else float("nan")


def p50_p95(values: Sequence[float]) -> str:
    return f"{percentile(values, 50):.0f} / {percentile(values, 95):.0f}"


@dataclass
class Check:
    """What one conversation lost or doubled, and what else went wrong."""

    lost: int = 0
    duplicated: int = 0
    unanswered: int = 0  # turns with no bot message
    errors: List[str] = field(default_factory=list)  # error events, timeouts, HTTP failures
    notes: List[str] = field(default_factory=list)  # what the counts above are made of

    def add(self, other: "Check") -> None:
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.unanswered += other.unanswered
        self.errors += other.errors
        self.notes += other.notes

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.unanswered or self.errors)


def grouped(messages: Sequence[dict], key: str) -> List[tuple]:
    """A conversation's messages → [(customer message's ``key``, [the bot texts after it])], the first
    entry (key None) holding what the bot said before any customer message (the greeting)."""
    groups: List[tuple] = [(None, [])]
    for message in messages:
        if message.get("from") == "customer":
            groups.append((message.get(key), []))
        else:
            groups[-1][1].append(message.get("text") or "")
    return groups


def compare(sent: Sequence[str], live: List[tuple], stored: List[tuple], where: str) -> Check:
    """What the client saw (``live``, see grouped) against the stored conversation, customer message by
    customer message (``sent``: their keys in the order sent). A customer message missing from either
    side is lost, one stored twice duplicated (and the bot messages after its second copy); a bot
    message on one side only is lost."""
    check = Check()
    stored_keys = [k for k, _ in stored[1:]]
    first_copies = {}
    for key, bots in stored:
        if key in first_copies:
            check.duplicated += 1 + len(bots)
            check.notes.append(f"{where}: customer message {key} stored twice, then {len(bots)} bot message(s)")
        else:
            first_copies[key] = bots
    for key in sent:
        if key not in first_copies:
            check.lost += 1
            check.notes.append(f"{where}: customer message {key} not stored")
    if [k for k in dict.fromkeys(stored_keys)] != [k for k in sent if k in first_copies]:
        check.errors.append(f"{where}: customer messages stored in another order: {stored_keys}")
    seen = dict(live)
    for key in dict.fromkeys([k for k, _ in live] + list(first_copies)):
        here: Counter[str] = Counter(seen.get(key, []))
        kept: Counter[str] = Counter(first_copies.get(key, []))
        for text in here.keys() | kept.keys():
            if here[text] == kept[text]:
                continue
            what = f"{where} after {key}: bot message {text[:20]!r} seen live {here[text]}×, stored {kept[text]}×"
            check.notes.append(what)
            if min(here[text], kept[text]) == 0:
                check.lost += max(here[text], kept[text])
            else:
                check.duplicated += abs(here[text] - kept[text])
    return check


def check_websocket(sent: Sequence[tuple], live: Sequence[dict], history: Optional[List[dict]], where: str) -> Check:
    """``sent``: (id, text) in order; ``live``: every event the page got (in order, ready and history
    excluded); ``history``: the messages of the ``history`` event on reconnecting (None: not read)."""
    check = Check()
    sent_ids = [message_id for message_id, _text in sent]
    acks = Counter(e.get("id") for e in live if e.get("type") == "ack")
    echoes = Counter(e.get("id") for e in live if e.get("type") == "message" and e.get("from") == "customer")
    for message_id in sent_ids:
        for what, seen in (("ack", acks[message_id]), ("echo", echoes[message_id])):
            if seen == 0:
                check.lost += 1
                check.notes.append(f"{where}: no {what} of {message_id}")
            elif seen > 1:
                check.duplicated += seen - 1
                check.notes.append(f"{where}: {seen} {what}s of {message_id}")
    stray = (set(acks) | set(echoes)) - set(sent_ids)
    if stray:
        check.duplicated += len(stray)
        check.notes.append(f"{where}: acks or echoes of ids never sent: {sorted(map(str, stray))}")
    messages, delivered = [], set()
    for event in live:
        if event.get("type") != "message":
            continue
        if event.get("from") == "bot":  # the gateway stamps each bot message: the same stamp twice is one message twice
            stamp = (event.get("text"), event.get("ts"))
            if stamp in delivered:
                check.duplicated += 1
                check.notes.append(f"{where}: a bot message arrived twice: {event.get('text')!r}")
                continue
            delivered.add(stamp)
        messages.append(event)
    live_groups = grouped(messages, "id")
    check.unanswered += sum(1 for _key, bots in live_groups[1:] if not bots)
    if history is None:
        check.errors.append(f"{where}: no history on reconnecting")
        return check
    check.add(compare(sent_ids, live_groups, grouped(history, "id"), where))
    return check


def check_rest(
    sent: Sequence[str], answers: Sequence[Optional[list]], history: Optional[List[dict]], where: str
) -> Check:
    """``sent``: the texts posted (the greeting first; all different); ``answers``: each POST's bot
    messages (None: the POST failed); ``history``: the conversation from the tracker store."""
    check = Check()
    check.unanswered += sum(1 for answer in answers[1:] if not answer)
    if history is None:
        check.errors.append(f"{where}: no history")
        return check
    live: List[tuple] = [(None, [])]
    live += [
        (text, [m.get("text") or "" for m in answer or [] if m.get("text") or m.get("buttons")])
        for text, answer in zip(sent, answers, strict=True)
    ]
    check.add(compare(sent, live, grouped(history, "text"), where))
    return check


# ------------------------------------------------------------------ one conversation per path
@dataclass
class TurnTime:
    first_bot_ms: float  # sending → the first bot message (REST: the answer)
    done_ms: float  # sending → typing off (REST: the answer)
    ack_ms: float = float("nan")
    bot_messages: int = 0
    text: int = -1  # which of TEXTS


@dataclass
class Conversation:
    path: str
    name: str
    start_ms: float = float("nan")  # websocket: GET / → greeting; REST: the /greet POST
    turns: List[TurnTime] = field(default_factory=list)
    check: Check = field(default_factory=Check)


class PageSession:
    """One browser tab: its own cookie jar (the signed session cookie) and websocket."""

    def __init__(self, base: str, name: str) -> None:
        self.base, self.name = base, name
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: the server is an IP address
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=30),
        )
        self.ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self.events: asyncio.Queue = asyncio.Queue()
        self.live: List[dict] = []  # every event after history, in order
        self.sent: List[tuple] = []
        self.result = Conversation(WEBSOCKET, name)
        self._reader: Optional[asyncio.Task] = None

    async def connect(self) -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(f"{self.base}/ws", headers={"Origin": self.base}, heartbeat=None)

    async def open(self) -> None:
        """GET / → websocket → ready, history (empty) and the greeting up to its typing off."""
        started = time.perf_counter()
        async with self.http.get(f"{self.base}/") as page:
            page.raise_for_status()
            await page.read()
        self.ws = await self.connect()
        self._reader = asyncio.create_task(self._read())
        kinds = [(await self._next())["type"] for _ in range(2)]
        if kinds != ["ready", "history"]:
            raise RuntimeError(f"{self.name}: the websocket began with {kinds}, not ready and history")
        first_bot = await self._until_typing_off()
        self.result.start_ms = (first_bot - started) * 1000

    async def _read(self) -> None:
        """Every frame, stamped when it arrived; None at the end."""
        assert self.ws is not None
        try:
            async for frame in self.ws:
                if frame.type is aiohttp.WSMsgType.TEXT:
                    event = frame.json()
                    if event.get("type") not in ("ready", "history"):
                        self.live.append(event)
                    self.events.put_nowait((time.perf_counter(), event))
        finally:
            self.events.put_nowait((time.perf_counter(), None))

    async def _next(self) -> dict:
        _at, event = await self._timed_next()
        return event

    async def _timed_next(self) -> tuple:
        at, event = await asyncio.wait_for(self.events.get(), TURN_TIMEOUT_S)
        if event is None:
            raise ConnectionError(f"{self.name}: the websocket closed")
        return at, event

    async def _until_typing_off(self) -> float:
        """Reads up to typing off; returns when the first bot message arrived."""
        first = None
        while True:
            at, event = await self._timed_next()
            if event["type"] == "message" and event.get("from") == "bot" and first is None:
                first = at
            elif event["type"] == "typing" and not event.get("on"):
                return first if first is not None else at

    async def turn(self, index: int, text: str) -> None:
        message_id = f"{self.name}-t{index:02d}-{secrets.token_hex(3)}"
        self.sent.append((message_id, text))
        sent_at = time.perf_counter()
        assert self.ws is not None
        await self.ws.send_json({"type": "message", "id": message_id, "text": text})
        ack = first = None
        bots = 0
        while True:
            at, event = await self._timed_next()
            kind = event["type"]
            if kind == "ack" and event.get("id") == message_id and ack is None:
                ack = at
            elif kind == "message" and event.get("from") == "bot":
                bots += 1
                first = first or at
            elif kind == "error":
                self.result.check.errors.append(f"{self.name} turn {index}: error {event}")
                if event.get("code") != "assistant_unavailable":  # that one is followed by typing off
                    return
            elif kind == "typing" and not event.get("on") and ack is not None:
                break
        self.result.turns.append(
            TurnTime(
                (first - sent_at) * 1000 if first else float("nan"),
                (at - sent_at) * 1000,
                (ack - sent_at) * 1000,
                bots,
                index,
            )
        )

    async def talk(self, texts: Sequence[str], delay_s: float = 0.0) -> None:
        await asyncio.sleep(delay_s)
        try:
            await self.open()
            for index, text in enumerate(texts):
                await self.turn(index, text)
        except (asyncio.TimeoutError, aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            self.result.check.errors.append(f"{self.name}: {type(exc).__name__}: {exc}")

    async def hang_up(self) -> None:
        """Closes the live websocket (anything that came after the last turn stays in ``live``)."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader

    async def stored_history(self) -> Optional[List[dict]]:
        """The ``history`` the page gets when it comes back (same cookie, a new websocket)."""
        try:
            ws = await self.connect()
            try:
                ready = await ws.receive_json(timeout=TURN_TIMEOUT_S)
                history = await ws.receive_json(timeout=TURN_TIMEOUT_S)
            finally:
                await ws.close()
        except (asyncio.TimeoutError, aiohttp.ClientError, ValueError, TypeError) as exc:
            self.result.check.errors.append(f"{self.name}: reconnecting: {type(exc).__name__}: {exc}")
            return None
        if ready.get("type") != "ready" or history.get("type") != "history":
            self.result.check.errors.append(f"{self.name}: reconnecting got {ready} and {history}")
            return None
        return history["messages"]

    async def close(self) -> None:
        await self.http.close()


class HttpConversation:
    """A conversation over one of Rasa's HTTP channels: the REST webhook (the peer), or the web
    channel the gateway itself posts to (``stream``: one JSON message per line, as the gateway asks)."""

    def __init__(self, http: aiohttp.ClientSession, base: str, path: str, token: str, name: str) -> None:
        self.http, self.path, self.name = http, path, name
        self.channel = f"{base}/webhooks/{'web' if path == WEB_CHANNEL else 'rest'}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.sender = f"bench-web-{name}-{secrets.token_hex(4)}"
        self.sent: List[str] = []
        self.answers: List[Optional[list]] = []
        self.result = Conversation(path, name)

    def body(self, text: str) -> dict:
        body: Dict[str, object] = {"sender": self.sender, "message": text}
        if self.path == WEB_CHANNEL:  # what voice/web/gateway.py sends
            system = text == GREETING_INTENT
            body.update(metadata={"via": "system" if system else "chat"}, stream=True)
            if not system:
                body["message_id"] = f"{self.name}-{len(self.sent):02d}-{secrets.token_hex(3)}"
        return body

    async def post(self, text: str) -> TurnTime:
        body = self.body(text)
        self.sent.append(text)
        started = time.perf_counter()
        first = None
        try:
            async with self.http.post(f"{self.channel}/webhook", json=body, headers=self.headers) as answer:
                answer.raise_for_status()
                if body.get("stream"):
                    messages = []
                    async for line in answer.content:
                        if line.strip():
                            messages.append(json.loads(line))
                            first = first or time.perf_counter()
                else:
                    messages = await answer.json()
        except (asyncio.TimeoutError, aiohttp.ClientError, ValueError) as exc:
            self.answers.append(None)
            self.result.check.errors.append(f"{self.name}: POST {text!r}: {type(exc).__name__}: {exc}")
            return TurnTime(float("nan"), float("nan"))
        done = time.perf_counter()
        messages = messages if isinstance(messages, list) else []
        self.answers.append(messages)
        bots = len([m for m in messages if isinstance(m, dict) and (m.get("text") or m.get("buttons"))])
        return TurnTime(((first or done) - started) * 1000, (done - started) * 1000, bot_messages=bots)

    async def talk(self, texts: Sequence[str], delay_s: float = 0.0) -> None:
        await asyncio.sleep(delay_s)
        self.result.start_ms = (await self.post(GREETING_INTENT)).first_bot_ms
        for index, text in enumerate(texts):
            turn = await self.post(text)
            turn.text = index
            self.result.turns.append(turn)

    async def stored_history(self) -> Optional[List[dict]]:
        try:
            async with self.http.get(
                f"{self.channel}/history", params={"sender": self.sender}, headers=self.headers
            ) as answer:
                answer.raise_for_status()
                return await answer.json()
        except (asyncio.TimeoutError, aiohttp.ClientError, ValueError) as exc:
            self.result.check.errors.append(f"{self.name}: history: {type(exc).__name__}: {exc}")
            return None


# ------------------------------------------------------------------ CPU time of the servers
def _stat(pid: int) -> Optional[tuple]:
    """(parent pid, user + system CPU seconds) of a live process, from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (name) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(root_pid: int) -> float:
    """CPU seconds used so far by a process and its live descendants."""
    stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p))) is not None}
    children: Dict[int, List[int]] = {}
    for pid, (parent, _cpu) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo += children.get(pid, [])
    return total


class CpuMeter:
    """CPU seconds of each server (its process tree) and of this client over a phase."""

    def __init__(self, pids: Dict[str, int]) -> None:
        self.pids = pids

    def read(self) -> Dict[str, float]:
        figures = {name: tree_cpu_s(pid) for name, pid in self.pids.items()}
        figures["client"] = time.process_time()
        figures[MACHINE] = machine_busy_s()
        return figures


MACHINE = "machine"  # CpuMeter's key for the CPU time of the whole machine


def machine_busy_s() -> float:
    """CPU seconds the machine's cores have been busy (any process, the kernel, stolen by the host)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    return float("nan")


OTHERS_WARN_CORES = 0.2


def others_cores(phase: "Phase") -> float:
    """Cores busy with anything but this bench's processes during the phase."""
    mine = sum(seconds for name, seconds in phase.cpu_s.items() if name != MACHINE)
    return (phase.cpu_s.get(MACHINE, float("nan")) - mine) / phase.wall_s if phase.wall_s else float("nan")


def cpu_columns(cpu_s: Dict[str, float], turns: int, wall_s: float) -> str:
    """CPU ms per turn of each process, then the cores busy with this bench and with anything else."""
    mine = {name: seconds for name, seconds in cpu_s.items() if name != MACHINE}
    others = max((cpu_s.get(MACHINE, float("nan")) - sum(mine.values())) / wall_s, 0.0)
    per_turn = " / ".join(f"{seconds * 1000 / turns:.1f}" for seconds in mine.values())
    return f"{per_turn:>48}{f'{sum(mine.values()) / wall_s:.2f} / {others:.2f}':>28}"


CPU_HEADER = f"{'CPU ms/turn: Rasa / actions / gateway / client':>48}{'cores busy: bench / others':>28}"


# ------------------------------------------------------------------ phases
@dataclass
class Phase:
    path: str
    round: int
    conversations: List[Conversation]
    wall_s: float
    cpu_s: Dict[str, float]

    @property
    def turns(self) -> List[TurnTime]:
        return [t for c in self.conversations for t in c.turns]


class Stopwatch:
    """Wall-clock and CPU time of a phase's conversations (the checks afterwards not counted)."""

    def __init__(self, meter: Optional[CpuMeter] = None) -> None:
        self.meter = meter
        self.wall_s = 0.0
        self.cpu_s: Dict[str, float] = {}

    def __enter__(self) -> "Stopwatch":
        self._cpu = self.meter.read() if self.meter else {}
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_exc) -> None:
        self.wall_s = time.perf_counter() - self._started
        after = self.meter.read() if self.meter else {}
        self.cpu_s = {name: after[name] - self._cpu[name] for name in after}


class PageGroup:
    """Web-page sessions of one phase."""

    def __init__(self, base: str, sessions: int, tag: str) -> None:
        self.pages = [PageSession(base, f"{tag}s{i:02d}") for i in range(sessions)]

    @property
    def members(self) -> List[PageSession]:
        return self.pages

    async def settle(self) -> List[Conversation]:
        """Waits for stragglers, closes the websockets, opens each again for its history and checks."""
        await asyncio.sleep(LATE_GRACE_S)
        await asyncio.gather(*(page.hang_up() for page in self.pages))
        histories = await asyncio.gather(*(page.stored_history() for page in self.pages))
        for page, history in zip(self.pages, histories, strict=True):
            page.result.check.add(check_websocket(page.sent, page.live, history, page.name))
        return [page.result for page in self.pages]

    async def close(self) -> None:
        await asyncio.gather(*(page.close() for page in self.pages))


class HttpGroup:
    """Conversations of one phase over one of Rasa's HTTP channels."""

    def __init__(self, http: aiohttp.ClientSession, base: str, path: str, token: str, sessions: int, tag: str) -> None:
        self.conversations = [HttpConversation(http, base, path, token, f"{tag}s{i:02d}") for i in range(sessions)]

    @property
    def members(self) -> List[HttpConversation]:
        return self.conversations

    async def settle(self) -> List[Conversation]:
        histories = await asyncio.gather(*(c.stored_history() for c in self.conversations))
        for conversation, history in zip(self.conversations, histories, strict=True):
            conversation.result.check.add(
                check_rest(conversation.sent, conversation.answers, history, conversation.name)
            )
        return [c.result for c in self.conversations]

    async def close(self) -> None:
        pass


@dataclass
class Servers:
    gateway: str  # the web page's base URL
    rasa: str
    rest_token: str  # RASA_REST_TOKEN: the REST webhook's
    channel_token: str  # RASA_CHANNEL_TOKEN: the gateway's web channel

    def group(self, http: aiohttp.ClientSession, path: str, sessions: int, tag: str):
        if path == WEBSOCKET:
            return PageGroup(self.gateway, sessions, tag)
        token = self.rest_token if path == REST else self.channel_token
        return HttpGroup(http, self.rasa, path, token, sessions, tag)

    async def phase(
        self, http: aiohttp.ClientSession, paths: Dict[str, int], tag: str, clock: Stopwatch, stagger_s: float = 0.0
    ) -> Dict[str, List[Conversation]]:
        """For each path, that many conversations at the same time, each TEXTS turn by turn; then checked.
        They start one after the other over ``stagger_s`` (the paths alternating), as customers come."""
        groups = {path: self.group(http, path, sessions, f"{tag}-{TAGS[path]}") for path, sessions in paths.items()}
        members = [m for row in itertools.zip_longest(*(g.members for g in groups.values())) for m in row if m]
        try:
            with clock:
                await asyncio.gather(*(m.talk(TEXTS, i * stagger_s / len(members)) for i, m in enumerate(members)))
            return {path: await group.settle() for path, group in groups.items()}
        finally:
            await asyncio.gather(*(group.close() for group in groups.values()))


def phase_order(rounds: int) -> List[str]:
    """REST, websocket, websocket, REST, REST, websocket, ...: each path first in every other round."""
    order = []
    for number in range(rounds):
        order += [REST, WEBSOCKET] if number % 2 == 0 else [WEBSOCKET, REST]
    return order


SINGLE_PATHS = (REST, WEB_CHANNEL, WEBSOCKET)


def single_order(conversations: int) -> List[str]:
    """One conversation at a time, the paths in turn and the order rotating: REST, web channel,
    websocket, then web channel, websocket, REST, ..."""
    order = []
    for number in range(conversations):
        shift = number % len(SINGLE_PATHS)
        order += list(SINGLE_PATHS[shift:] + SINGLE_PATHS[:shift])
    return order


@dataclass
class Results:
    phases: List[Phase]  # SESSIONS at once over one path
    mixed: List[Phase]  # SESSIONS shared out among MIXED_PATHS at the same time (a Phase per path)
    single: List[Phase]  # one conversation at a time


async def run_phases(servers: Servers, args, meter: CpuMeter) -> Results:
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_S)
    )
    try:
        print(f"Warming up: {WARM_SESSIONS} conversations at once over each path, not counted ...", flush=True)
        for path in SINGLE_PATHS:  # each path's first conversations, and every text once on each
            problems = Check()
            warm = await servers.phase(http, {path: WARM_SESSIONS}, "warm", Stopwatch())
            for conversation in warm[path]:
                problems.add(conversation.check)
            if not problems.clean:
                raise RuntimeError(f"warm-up over {path} failed: {(problems.errors + problems.notes)[:5]}")
        single = []
        if args.single:
            print(f"One conversation at a time: {args.single} over each path, in turn ...", flush=True)
        for number, path in enumerate(single_order(args.single)):
            clock = Stopwatch(meter)
            done = await servers.phase(http, {path: 1}, f"one{number:02d}", clock)
            single.append(Phase(path, number // len(SINGLE_PATHS) + 1, done[path], clock.wall_s, clock.cpu_s))
        phases = []
        print(f"{args.sessions} conversations at once, {args.rounds} round(s) of both paths ...", flush=True)
        for number, path in enumerate(phase_order(args.rounds)):
            round_number = number // 2 + 1
            clock = Stopwatch(meter)
            done = await servers.phase(http, {path: args.sessions}, f"r{round_number}", clock, args.stagger)
            phases.append(Phase(path, round_number, done[path], clock.wall_s, clock.cpu_s))
            print(f"  round {round_number} {path:<9}: {summary_line(phases[-1])}", flush=True)
        mixed = []
        shares = split(args.sessions, MIXED_PATHS)
        if args.mixed:
            print("All paths at once: " + " + ".join(f"{n} {path}" for path, n in shares.items()) + " ...")
        for number in range(args.mixed):
            clock = Stopwatch(meter)
            done = await servers.phase(http, shares, f"m{number + 1}", clock, args.stagger)
            for path in MIXED_PATHS:
                mixed.append(Phase(path, number + 1, done[path], clock.wall_s, clock.cpu_s))
                print(f"  round {number + 1} {path:<11}: {summary_line(mixed[-1])}", flush=True)
        return Results(phases, mixed, single)
    finally:
        await http.close()


def split(sessions: int, paths: Sequence[str]) -> Dict[str, int]:
    """``sessions`` conversations shared out among ``paths`` as evenly as they go (the first get more)."""
    return {path: sessions // len(paths) + (i < sessions % len(paths)) for i, path in enumerate(paths)}


def summary_line(phase: Phase) -> str:
    return (
        f"{len(phase.turns)} turns in {phase.wall_s:.1f} s, first bot message p50/p95 "
        f"{p50_p95([t.first_bot_ms for t in phase.turns])} ms"
    )


# ------------------------------------------------------------------ report
def machine_line() -> str:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    one, five, _ = os.getloadavg()
    return (
        f"Machine: {platform.machine()} {model}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}; load average {one:.2f} (1 min), {five:.2f} (5 min) at the end.\n"
        f"The web gateway, Rasa, the action server and this client all run on it: they share its "
        f"{os.cpu_count()} cores."
    )


def text_medians(turns: List[TurnTime]) -> Dict[int, float]:
    """The median time to the first bot message of each text (by its place in TEXTS)."""
    by_text: Dict[int, List[float]] = {}
    for turn in turns:
        by_text.setdefault(turn.text, []).append(turn.first_bot_ms)
    return {text: percentile(times, 50) for text, times in by_text.items()}


def mean_difference(one: Dict[int, float], other: Dict[int, float]) -> float:
    shared = one.keys() & other.keys()
    return float(np.mean([one[k] - other[k] for k in shared])) if shared else float("nan")


def per_text_table(results: Results) -> None:
    """Each text's median time to the first bot message, one conversation at a time and with the others."""
    at_once = len(results.phases[0].conversations)
    single, alone = by_path(results.single), by_path(results.phases)
    columns = [(f"1: {path}", single.get(path, [])) for path in (REST, WEBSOCKET)]
    columns += [(f"{at_once}: {path}", alone[path]) for path in (REST, WEBSOCKET)]
    medians = [text_medians(turns_of(phases)) for _name, phases in columns]
    print(f"\n{'median ms by text; conversations at once: path':<50}" + "".join(f"{n:>15}" for n, _ in columns))
    for index, text in enumerate(TEXTS):
        shown = text + "　" * (25 - len(text))  # full-width spaces: the texts are in Chinese, 2 columns a character
        print(shown + "".join(f"{m.get(index, float('nan')):>15.0f}" for m in medians))


def overhead_line(paths: Dict[str, List[Phase]], path: str = WEBSOCKET, peer: str = REST) -> str:
    """``path`` / ``peer`` at p50 and p95 of the first bot message, all rounds pooled, then round by round."""

    def times(phases: List[Phase]) -> List[float]:
        return [t.first_bot_ms for t in turns_of(phases)]

    one, other = times(paths[path]), times(paths[peer])
    rounds = [
        ratio(percentile(times([mine]), 50), percentile(times([theirs]), 50))
        for mine, theirs in zip(paths[path], paths[peer], strict=False)
    ]
    return (
        f"{path} / {peer}: p50 {ratio(percentile(one, 50), percentile(other, 50))}, "
        f"p95 {ratio(percentile(one, 95), percentile(other, 95))}; p50 round by round: {', '.join(rounds)}"
    )


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


def pooled(phases: List[Phase]) -> Phase:
    """Phases of one path as one: their conversations, wall-clock and CPU times added up."""
    cpu: Dict[str, float] = {}
    for phase in phases:
        for name, seconds in phase.cpu_s.items():
            cpu[name] = cpu.get(name, 0.0) + seconds
    conversations = [c for phase in phases for c in phase.conversations]
    return Phase(phases[0].path, 0, conversations, sum(p.wall_s for p in phases), cpu)


def by_path(phases: List[Phase]) -> Dict[str, List[Phase]]:
    paths: Dict[str, List[Phase]] = {}
    for phase in phases:
        paths.setdefault(phase.path, []).append(phase)
    return paths


def turns_of(phases: List[Phase]) -> List[TurnTime]:
    return [t for phase in phases for t in phase.turns]


def checks_of(phases: List[Phase]) -> Check:
    check = Check()
    for phase in phases:
        for conversation in phase.conversations:
            check.add(conversation.check)
    return check


def path_table(paths: Dict[str, List[Phase]], order: Sequence[str]) -> None:
    print(
        f"{'path':<13}{'turns':>6}{'first bot msg p50/p95 ms':>26}{'typing off p50/p95':>20}"
        f"{'ack p50/p95':>13}{'start p50/p95':>15}{'lost':>6}{'dup':>5}{'unans':>7}{'errors':>8}"
    )
    for path in order:
        times, check = turns_of(paths[path]), checks_of(paths[path])
        ack = p50_p95([t.ack_ms for t in times]) if path == WEBSOCKET else "-"
        done = p50_p95([t.done_ms for t in times]) if path == WEBSOCKET else "-"
        starts = [c.start_ms for phase in paths[path] for c in phase.conversations]
        print(
            f"{path:<13}{len(times):>6}{p50_p95([t.first_bot_ms for t in times]):>26}{done:>20}{ack:>13}"
            f"{p50_p95(starts):>15}{check.lost:>6}{check.duplicated:>5}{check.unanswered:>7}{len(check.errors):>8}"
        )


def report(results: Results, command: str, took_s: float) -> bool:
    """Prints the tables; True when nothing was lost, duplicated or failed."""
    phases, paths = results.phases, by_path(results.phases)
    print(f"\n== {command} (took {took_s:.0f} s) ==")
    print(machine_line())
    per_session = os.environ.get("WEB_RATE_PER_SESSION") or "the gateway's default (30/min, burst 10)"
    print(
        f"WEB_RATE_PER_ADDRESS={PER_ADDRESS_LIMIT} (every session comes from 127.0.0.1); WEB_RATE_PER_SESSION: "
        f"{per_session}. Turns: {len(TEXTS)} per conversation, each sent once the "
        f"previous answer is complete. Milliseconds from sending a message to the first bot message "
        f"(REST: its answer); start: GET / → greeting (REST: the /greet POST)."
    )
    print(
        "Run in this order, against the same Rasa: warm-up (not counted), one conversation at a time, "
        "each path alone, all paths at once."
    )
    print(
        f"\n{len(phases[0].conversations)} conversations at once, each phase new ones; order: "
        + ", ".join(f"{p.path} (round {p.round})" for p in phases)
    )
    path_table(paths, (REST, WEBSOCKET))
    print("overhead, " + overhead_line(paths))
    print(f"\n{'round':>5}  {'path':<11}{'wall s':>7}{'turns/s':>9}{'first bot msg p50/p95 ms':>26}{CPU_HEADER}")
    for phase in phases:
        count = len(phase.turns) + len(phase.conversations)  # the turns and each conversation's greeting
        cpu = cpu_columns(phase.cpu_s, count, phase.wall_s)
        print(
            f"{phase.round:>5}  {phase.path:<11}{phase.wall_s:>7.1f}{len(phase.turns) / phase.wall_s:>9.1f}"
            f"{p50_p95([t.first_bot_ms for t in phase.turns]):>26}{cpu}"
        )
    if results.mixed:
        mixed = by_path(results.mixed)
        shares = {path: len(runs[0].conversations) for path, runs in mixed.items()}
        print(
            "\nAll paths at once, against the same Rasa at the same moment: "
            + " + ".join(f"{shares[path]} {path}" for path in MIXED_PATHS)
            + f" conversations ({len(mixed[REST])} round(s), new ones each):"
        )
        path_table(mixed, MIXED_PATHS)
        print("overhead, " + overhead_line(mixed))
        print(f"  of which the gateway and its websocket: {overhead_line(mixed, WEBSOCKET, WEB_CHANNEL)}")
        print(f"  and Rasa's streamed web channel: {overhead_line(mixed, WEB_CHANNEL, REST)}")
        print(f"{'round':>5}  {'':<11}{'wall s':>7}{'turns/s':>9}{'':>26}{CPU_HEADER}")
        for phase in mixed[REST]:
            both = [p for p in results.mixed if p.round == phase.round]  # a Phase per path, one clock
            turns = sum(len(p.turns) for p in both)
            count = turns + sum(len(p.conversations) for p in both)  # both paths' turns and greetings
            print(
                f"{phase.round:>5}  {'all':<11}{phase.wall_s:>7.1f}{turns / phase.wall_s:>9.1f}"
                f"{'':>26}{cpu_columns(phase.cpu_s, count, phase.wall_s)}"
            )
    everything = phases + results.mixed + results.single
    if results.single:
        single = by_path(results.single)
        print(f"\nOne conversation at a time ({len(results.single) // len(SINGLE_PATHS)} over each path, in turn):")
        path_table(single, SINGLE_PATHS)
        medians = {path: text_medians(turns_of(single[path])) for path in SINGLE_PATHS}
        gateway = mean_difference(medians[WEBSOCKET], medians[WEB_CHANNEL])
        channel = mean_difference(medians[WEB_CHANNEL], medians[REST])
        print(
            f"difference of each text's median, averaged over the texts: websocket − web channel {gateway:+.1f} ms "
            f"(the gateway and its websocket), web channel − REST {channel:+.1f} ms (Rasa's web channel, streamed, "
            f"against its REST webhook); websocket − REST {mean_difference(medians[WEBSOCKET], medians[REST]):+.1f} ms"
        )
        print(f"{'path':<13}{CPU_HEADER}")
        for path in SINGLE_PATHS:
            together = pooled(single[path])
            count = sum(len(p.turns) + len(p.conversations) for p in single[path])
            print(f"{path:<13}{cpu_columns(together.cpu_s, count, together.wall_s)}")
    per_text_table(results)
    busy = [f"{p.path} alone, round {p.round}" for p in phases if others_cores(p) > OTHERS_WARN_CORES]
    busy += sorted({f"all at once, round {p.round}" for p in results.mixed if others_cores(p) > OTHERS_WARN_CORES})
    for path, runs in by_path(results.single).items():
        if others_cores(pooled(runs)) > OTHERS_WARN_CORES:
            busy.append(f"{path} one at a time")
    if busy:
        print(
            f"\nNOTE: other processes kept more than {OTHERS_WARN_CORES} core busy during: {'; '.join(busy)}. "
            "Those figures are not this stack's alone."
        )
    messages = Counter(t.bot_messages for t in turns_of(everything))
    print(f"\nbot messages per turn (every path): {dict(sorted(messages.items()))}")
    if max(messages, default=1) > 1:
        print("  (turns with several: REST's figure is its whole answer, the websocket's its first message)")
    totals = {path: checks_of(runs) for path, runs in by_path(everything).items()}
    for path, check in totals.items():
        for line in (check.errors + check.notes)[:20]:
            print(f"  {path}: {line}")
    clean = all(check.clean for check in totals.values())
    print(
        "messages lost / duplicated: "
        + "; ".join(
            f"{path} {c.lost} / {c.duplicated} (unanswered turns {c.unanswered}, errors {len(c.errors)})"
            for path, c in totals.items()
        )
        + ("  — OK" if clean else "  — FAILED")
    )
    return clean


# ------------------------------------------------------------------ servers
def start_gateway(group: processes.ProcessGroup, rasa: str, channel_token: str) -> str:
    port = processes.free_port()
    cmd = processes.python_module(
        "voice", "serve", "--web-port", str(port), "--twilio-port", "0", "--audiosocket-port", "0"
    )
    proc = group.start(
        cmd,
        log=GATEWAY_LOG,
        RASA_URL=rasa,
        RASA_CHANNEL_TOKEN=channel_token,
        VOSK_MODEL="/nonexistent",  # chat only: no speech model to load
        WEB_RATE_PER_ADDRESS=PER_ADDRESS_LIMIT,
    )
    base = f"http://{processes.HOST}:{port}"
    processes.wait_until_up(f"{base}/healthz", proc, "web gateway")
    return base


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Points this process's stdout and stderr at ``path`` while the servers start (so that their
    output goes there) and restores them afterwards."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS, help=f"conversations at once (default {SESSIONS})")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help=f"rounds of both paths, the order alternating (default {ROUNDS})"
    )
    parser.add_argument(
        "--single", type=int, default=SINGLE, help=f"conversations one at a time over each path (default {SINGLE})"
    )
    parser.add_argument(
        "--mixed",
        type=int,
        default=MIXED,
        help=f"rounds with the conversations shared out among the paths, all at once (default {MIXED})",
    )
    parser.add_argument(
        "--stagger",
        type=float,
        default=STAGGER_S,
        help=f"seconds over which a phase's conversations start, one after the other (default {STAGGER_S:g})",
    )
    parser.add_argument("--raw", type=Path, help="also write every turn's times to this JSON file")
    args = parser.parse_args(argv)
    if args.sessions < len(MIXED_PATHS) or args.rounds < 1 or args.single < 0 or args.mixed < 0:
        parser.error(
            f"--sessions must be at least {len(MIXED_PATHS)}, --rounds at least 1, --single and --mixed at least 0"
        )
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    command = " ".join(["python -m tests.bench.web", *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()
    model = build.model_path()
    if not model.exists():
        print(f"no trained model at {model}; run `make train` first", file=sys.stderr)
        return 2
    channel_token, rest_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    for log in (SERVER_LOG, GATEWAY_LOG):
        log.write_text("", encoding="utf-8")  # this run's output only
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp, processes.ProcessGroup() as group:
        os.environ["TRACKER_STORE_URL"] = f"sqlite:///{Path(tmp) / 'tracker.db'}"  # not var/tracker.db
        os.environ["BANK_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bank.db'}"  # not var/bank.db
        db.init_db(os.environ["BANK_DATABASE_URL"])  # seeded as setup seeds: the action server never seeds
        os.environ["RASA_REST_TOKEN"] = rest_token  # Rasa's REST webhook (TokenRestInput) takes it
        print(f"Starting Rasa and the action server (output: {processes.rel(SERVER_LOG)}) ...", flush=True)
        with output_to(SERVER_LOG):
            rasa = servers.start_rasa_with_actions(
                group, model, Path(tmp) / "endpoints.yml", channel="rest", channel_token=channel_token
            )
        gateway = start_gateway(group, rasa, channel_token)
        print(f"Rasa at {rasa}; web gateway at {gateway} (output: {processes.rel(GATEWAY_LOG)})", flush=True)
        action, rasa_proc, gateway_proc = group.procs
        meter = CpuMeter({"Rasa": rasa_proc.pid, "actions": action.pid, "gateway": gateway_proc.pid})
        try:
            results = asyncio.run(run_phases(Servers(gateway, rasa, rest_token, channel_token), args, meter))
        except RuntimeError as exc:
            print(f"bench-web: {exc}", file=sys.stderr)
            return 1
    clean = report(results, command, time.perf_counter() - started)
    if args.raw:
        args.raw.write_text(json.dumps(raw_times(results), ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"every turn's times: {args.raw}")
    return 0 if clean else 1


def raw_times(results: Results) -> List[dict]:
    """One record per conversation: where and when it ran, its start and its turns (ms)."""
    records = []
    for kind, phases in (("alone", results.phases), ("both at once", results.mixed), ("one at a time", results.single)):
        for phase in phases:
            for conversation in phase.conversations:
                records.append(
                    {
                        "phase": kind,
                        "round": phase.round,
                        "path": phase.path,
                        "conversation": conversation.name,
                        "start_ms": conversation.start_ms,
                        "turns": [
                            {
                                "text": TEXTS[t.text],
                                "first_bot_ms": t.first_bot_ms,
                                "done_ms": t.done_ms,
                                "ack_ms": t.ack_ms,
                            }
                            for t in conversation.turns
                        ],
                    }
                )
    return records


if __name__ == "__main__":
    sys.exit(main())
