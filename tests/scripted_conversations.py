"""Scripted multi-turn conversations run over Rasa's REST webhook, checked turn by turn and
against the bank's database. Used by the end-to-end tests (tests/bot/conversations/) and by
`make bench-dialogue` (tests/bench/dialogues/).

A script file holds ``conversations:``, each with ``name``, optional ``patterns`` (the
conversation-repair patterns it exercises) and ``style`` (chat or asr), ``turns`` and
optional ``effects`` and ``desk`` (what the gateway says about the agent desk with every message,
as voice/desk/desk.py ``status`` does; without it the conversation is on a channel with no desk)::

    turns:
      - say: 李娜             # <otp> / <otp_spoken>: the one-time code just sent
        expect: [转多少钱]     # all must appear in the reply
        reject: [转给谁]       # none may appear
      - say: 对的
        asks_again: true       # not an answer: the bot is meant to ask its question again
    effects:
      savings: {"1234": "-2000.00"}   # balance change per savings card; others unchanged
      audit: [transfer]               # audit records written, in order

Without ``effects`` nothing may move: no balance changes and no audit record.
Each conversation starts on freshly seeded demo data, as a new sender.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import yaml
from sqlalchemy import select

from actions.bank import db
from actions.bank.models import Account, AuditLog
from actions.bank.sms import outbox
from bot import processes, servers

SPOKEN_DIGITS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
PATTERNS = (
    "digression",
    "interruption",
    "correction",
    "cancellation",
    "clarification",
    "chitchat",
    "completion",
    "cannot-handle",
    "internal-error",
)


@dataclass
class Turn:
    say: str
    expect: list[str] = field(default_factory=list)
    reject: list[str] = field(default_factory=list)
    asks_again: bool = False


@dataclass
class Script:
    name: str
    turns: list[Turn]
    patterns: list[str] = field(default_factory=list)
    style: str = "chat"
    effects: dict | None = None
    source: str = ""
    desk: dict | None = None


@dataclass
class TurnResult:
    said: str
    reply: str
    problems: list[str]
    asks_again: bool = False

    @property
    def empty(self) -> bool:
        return not self.reply.strip()


@dataclass
class Outcome:
    script: Script
    turns: list[TurnResult]
    effect_problems: list[str]

    @property
    def problems(self) -> list[str]:
        found = [f"turn {i + 1} ({t.said!r}): {p}" for i, t in enumerate(self.turns) for p in t.problems]
        return found + self.effect_problems

    @property
    def succeeded(self) -> bool:
        return not self.problems

    @property
    def stuck_turns(self) -> int:
        """Answers that got nowhere: the bot's whole reply was its previous question again
        (turns scripted with ``asks_again`` are not answers and don't count)."""
        stuck = 0
        for before, after in zip(self.turns, self.turns[1:], strict=False):
            question = before.reply.strip().split("\n")[-1]
            lines = [line for line in after.reply.strip().split("\n") if line]
            repeated = bool(lines) and "？" in question and all(line == question for line in lines)
            stuck += repeated and not after.asks_again
        return stuck

    def transcript(self) -> str:
        return "\n".join(f"  客户: {t.said}\n  客服: {t.reply.replace(chr(10), ' / ')}" for t in self.turns)


def load_scripts(folder: Path) -> list[Script]:
    scripts: list[Script] = []
    for path in sorted(folder.glob("*.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            turns = [
                Turn(str(t["say"]), list(t.get("expect", [])), list(t.get("reject", [])), bool(t.get("asks_again")))
                for t in entry["turns"]
            ]
            scripts.append(
                Script(
                    name=entry["name"],
                    turns=turns,
                    patterns=list(entry.get("patterns", [])),
                    style=entry.get("style", "chat"),
                    effects=entry.get("effects"),
                    source=path.name,
                    desk=entry.get("desk"),
                )
            )
    names = [s.name for s in scripts]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"conversation names must be unique in {folder}: {duplicated}")
    unknown = sorted({p for s in scripts for p in s.patterns} - set(PATTERNS))
    if unknown:
        raise ValueError(f"unknown conversation-repair patterns in {folder}: {unknown}")
    return scripts


@contextmanager
def running_assistant(model: Path, bank_url: str, directory: Path) -> Iterator[str]:
    """Rasa and the action server on ``bank_url`` with the conversation logs in ``directory``;
    yields the REST webhook."""
    action_port, rasa_port = processes.free_port(), processes.free_port()
    endpoints = servers.write_endpoints(directory / "endpoints.yml", servers.action_url_for(action_port))
    with processes.ProcessGroup() as group:
        group.start(
            servers.action_server_cmd(action_port),
            log=directory / "actions.log",
            SANIC_HOST=processes.HOST,
            BANK_DATABASE_URL=bank_url,
        )
        processes.wait_until_up(f"http://{processes.HOST}:{action_port}/health", group.procs[-1], "action server")
        rasa = group.start(
            servers.rasa_run_cmd(model, endpoints, rasa_port, None),
            log=directory / "rasa.log",
            BANK_DATABASE_URL=bank_url,
        )
        processes.wait_until_up(f"http://{processes.HOST}:{rasa_port}/webhooks/rest/", rasa, "Rasa server")
        yield f"http://{processes.HOST}:{rasa_port}/webhooks/rest/webhook"


def say(webhook: str, text: str, sender: str, desk: dict | None = None) -> str:
    """The bot's reply: its messages, one per line, each with its buttons as ［按钮：A｜B］."""
    body = json.dumps({"sender": sender, "message": text, **({"metadata": {"desk": desk}} if desk else {})}).encode()
    request = urllib.request.Request(webhook, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        messages = json.load(response)
    lines = []
    for message in messages:
        buttons = "｜".join(b.get("title", "") for b in message.get("buttons") or [])
        line = (message.get("text") or "") + (f"［按钮：{buttons}］" if buttons else "")
        if line:
            lines.append(line)
    return "\n".join(lines)


def snapshot(bank_url: str) -> tuple[dict[str, Decimal], list[str]]:
    """Savings balances by card tail, and the audit actions written so far."""
    with db.session_scope(bank_url) as session:
        balances = {a.card_number[-4:]: a.balance for a in session.scalars(select(Account))}
        audit = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    return balances, audit


def latest_code(bank_url: str) -> str:
    with db.session_scope(bank_url) as session:
        code = outbox.latest_code(session)
    return code or "000000"


def expand(text: str, bank_url: str) -> str:
    if "<otp_spoken>" in text:
        text = text.replace("<otp_spoken>", "".join(SPOKEN_DIGITS[d] for d in latest_code(bank_url)))
    if "<otp>" in text:
        text = text.replace("<otp>", latest_code(bank_url))
    return text


def check_reply(turn: Turn, reply: str) -> list[str]:
    problems = [] if reply.strip() else ["empty reply"]
    problems += [f"expected {e!r}" for e in turn.expect if e not in reply]
    problems += [f"did not expect {r!r}" for r in turn.reject if r in reply]
    return problems


def check_effects(effects: dict | None, before, after) -> list[str]:
    (balances_before, audit_before), (balances_after, audit_after) = before, after
    effects = effects or {}
    wanted = {tail: Decimal(str(delta)) for tail, delta in (effects.get("savings") or {}).items()}
    problems = []
    for tail, balance in balances_after.items():
        change = balance - balances_before.get(tail, Decimal("0"))
        if change != wanted.get(tail, Decimal("0")):
            problems.append(f"savings {tail} changed by {change}, expected {wanted.get(tail, Decimal('0'))}")
    written = audit_after[len(audit_before) :]
    if written != list(effects.get("audit") or []):
        problems.append(f"audit records {written}, expected {list(effects.get('audit') or [])}")
    return problems


def run_script(script: Script, webhook: str, bank_url: str, sender: str | None = None) -> Outcome:
    db.reseed(bank_url)
    sender = sender or f"script-{uuid.uuid4().hex[:12]}"
    before = snapshot(bank_url)
    results = []
    for turn in script.turns:
        text = expand(turn.say, bank_url)
        reply = say(webhook, text, sender, script.desk)
        results.append(TurnResult(text, reply, check_reply(turn, reply), turn.asks_again))
    return Outcome(script, results, check_effects(script.effects, before, snapshot(bank_url)))
