"""What staff decided about each failed message: open (nothing yet), assigned to an FAQ as a phrasing
or to a task intent as an example, or dismissed. Kept in ``state/triage.json`` (one record per
message key, bot/review/failures.py ``message_key``), replaced atomically under ``state/triage.lock``.

Assigning adds the customer's own words to the sources through the editing functions
(bot/editing/faqs.py ``add_phrasing``, bot/editing/intents.py ``add_example``), which check them as
the FAQ and intent pages do; what they refuse comes back per message with their problems, and the
message stays open. A message whose text masking changed (it holds a card, phone or ID number or a
one-time code) is refused here: a customer's number must never become training data, and the masked
form (``************0123``) is not a way anyone asks. Staff can add a version without the number on
the FAQ or intent page. The same words in several messages are added once.

An assignment takes effect with the next publish: ``published`` tells, from the files of the version
the server runs (bot/editing/versions.py), whether its text is in that version yet. A dismissed
message can be reopened (open again, its decision gone). Every assignment, dismissal and reopening is
in the audit log (``triage.assign``, ``triage.dismiss``, ``triage.reopen``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.editing import audit, faqs, intents, versions
from bot.editing.files import locked, write_atomically
from bot.editing.problems import FieldProblem, Rejected
from bot.editing.targets import FAQ, Contents, current, parse, published
from bot.editing.workspace import EditConflict, Workspace
from bot.faq.checks import question_key
from bot.review.failures import FailedMessage

TRIAGE_FILE = "triage.json"
LOCK_FILE = "triage.lock"
OPEN, ASSIGNED, DISMISSED = "open", "assigned", "dismissed"
STATUSES = (OPEN, ASSIGNED, DISMISSED)
PERSONAL = (
    "这句话含有卡号、手机号、证件号或验证码（页面上已隐去），不能加入训练数据：客户的号码不能写进问法或例句。"
    "如需要，请在“常见问题”或“意图例句”页面手动添加一句不带号码的说法"
)
Adder = Callable[[Workspace, str, str, str], object]  # (workspace, FAQ id or intent, text, staff)


@dataclass(frozen=True)
class Decision:
    status: str  # "assigned" | "dismissed"
    staff: str
    at: float  # epoch seconds
    conversation_id: str
    text: str  # masked, as staff saw it
    target: str = ""  # "faq:<id>" | "intent:<name>" when assigned

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Outcome:
    """What an assign or dismiss did: the keys it decided, and the ones refused with why."""

    done: list[str] = field(default_factory=list)
    refused: dict[str, list[FieldProblem]] = field(default_factory=dict)
    version: int = 1  # the version an assignment will be in: the next publish

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "refused": [
                {"key": key, "problems": [problem.as_dict() for problem in problems]}
                for key, problems in self.refused.items()
            ],
            "version": self.version,
        }


def decisions(workspace: Workspace) -> dict[str, Decision]:
    """key → decision, for every message decided (an open message has none)."""
    found = {}
    for key, record in _records(workspace).items():
        try:
            found[key] = Decision(**record)
        except TypeError:
            continue
    return found


def status_of(key: str, decided: dict[str, Decision]) -> str:
    return decided[key].status if key in decided else OPEN


def next_version(workspace: Workspace) -> int:
    """The number the next publish will have."""
    now = versions.current_number(workspace)
    return (now or 0) + 1


def published_in(workspace: Workspace, decided: dict[str, Decision]) -> dict[str, int | None]:
    """For each assignment: the number of the version the server runs when its text is in it, else None
    (it waits for the next publish)."""
    running = versions.current_number(workspace)
    held = published(workspace) if running is not None else None
    found: dict[str, int | None] = {}
    for key, decision in decided.items():
        if decision.status == ASSIGNED:
            found[key] = running if held is not None and _holds(held, decision) else None
    return found


def in_sources(workspace: Workspace, decided: dict[str, Decision]) -> dict[str, bool]:
    """For each assignment: whether its words are still in the sources (a rollback or an edit on the FAQ
    or intent page may have taken them out since)."""
    held = current(workspace)
    return {key: _holds(held, decision) for key, decision in decided.items() if decision.status == ASSIGNED}


def assign(
    workspace: Workspace,
    messages: Sequence[FailedMessage],
    target: str,
    staff: str,
    add: Adder | None = None,
) -> Outcome:
    """Add each message's words to ``target`` (``faq:<id>`` | ``intent:<name>``) and mark it assigned.
    ValueError: a malformed target; KeyError: no such FAQ or intent (from the editing functions).
    PublishInProgress from the workspace passes through: nothing after it is tried."""
    kind, name = parse(target)
    add = add or _adder(kind)
    outcome = Outcome(version=next_version(workspace))
    there = current(workspace)
    added: dict[str, list[FieldProblem]] = {}  # question key → problems (none: added or already there)
    for message in messages:
        if message.personal:
            outcome.refused[message.key] = [FieldProblem("text", PERSONAL, message.text)]
            continue
        words = message.original.strip()
        same = question_key(words)
        if same not in added:
            added[same] = [] if there.holds(target, words) else _add(add, workspace, name, words, staff)
        if added[same]:
            outcome.refused[message.key] = added[same]
        else:
            outcome.done.append(message.key)
    if outcome.done:
        chosen = {m.key: m for m in messages if m.key in outcome.done}
        _decide(workspace, {key: _decision(ASSIGNED, m, staff, target) for key, m in chosen.items()})
    audit.record(
        workspace,
        staff,
        "triage.assign",
        target,
        {
            "assigned": [{"key": m.key, "text": m.text} for m in messages if m.key in outcome.done],
            "refused": [
                {"key": key, "problems": [p.message for p in problems]} for key, problems in outcome.refused.items()
            ],
        },
    )
    return outcome


def dismiss(workspace: Workspace, messages: Sequence[FailedMessage], staff: str) -> Outcome:
    """Mark the messages dismissed; an assigned one is refused (its words are already in the sources)."""
    outcome = Outcome(version=next_version(workspace))
    decided = decisions(workspace)
    chosen = {}
    for message in messages:
        before = decided.get(message.key)
        if before is not None and before.status == ASSIGNED:
            outcome.refused[message.key] = [
                FieldProblem("status", f"这条消息已归入 {before.target}，不能再忽略", message.text)
            ]
        else:
            chosen[message.key] = _decision(DISMISSED, message, staff)
            outcome.done.append(message.key)
    if chosen:
        _decide(workspace, chosen)
        audit.record(
            workspace,
            staff,
            "triage.dismiss",
            "",
            {"dismissed": [{"key": k, "text": d.text} for k, d in chosen.items()]},
        )
    return outcome


def reopen(workspace: Workspace, messages: Sequence[FailedMessage], staff: str) -> Outcome:
    """Open the dismissed messages again; one that isn't dismissed is refused (an assigned one's words
    are in the sources: they are taken out on the FAQ or intent page)."""
    outcome = Outcome(version=next_version(workspace))
    wanted = {message.key: message for message in messages}
    with _locked(workspace):
        records = _records(workspace)
        for key, message in wanted.items():
            status = records.get(key, {}).get("status", OPEN)
            if status == DISMISSED:
                outcome.done.append(key)
            elif status == ASSIGNED:
                target = records[key].get("target", "")
                outcome.refused[key] = [
                    FieldProblem(
                        "status", f"这条消息已归入 {target}，不能重新打开；如要撤回，请在该页面删除这句话", message.text
                    )
                ]
            else:
                outcome.refused[key] = [FieldProblem("status", "这条消息没有被忽略，无需重新打开", message.text)]
        reopened = {key: records.pop(key) for key in outcome.done}
        if reopened:
            _write_records(workspace, records)
    if reopened:
        audit.record(
            workspace,
            staff,
            "triage.reopen",
            "",
            {
                "reopened": [
                    {"key": key, "text": wanted[key].text, "dismissed_by": record.get("staff", "")}
                    for key, record in reopened.items()
                ]
            },
        )
    return outcome


def _adder(kind: str) -> Adder:
    if kind == FAQ:
        return faqs.add_phrasing
    return intents.add_example


def _add(add: Adder, workspace: Workspace, name: str, words: str, staff: str) -> list[FieldProblem]:
    for attempt in range(2):
        try:
            add(workspace, name, words, staff)
            return []
        except Rejected as rejected:
            return list(rejected.problems)
        except EditConflict:  # someone saved the file between its read and write: read it again, once
            if attempt:
                raise
    return []


def _decision(status: str, message: FailedMessage, staff: str, target: str = "") -> Decision:
    return Decision(status, staff, time.time(), message.conversation_id, message.text, target)


def _holds(held: Contents, decision: Decision) -> bool:
    """Whether the decision's words are in ``held``; the masked text equals the words added (a text
    masking changed is never assigned)."""
    return held.holds(decision.target, decision.text)


def _decide(workspace: Workspace, made: dict[str, Decision]) -> None:
    with _locked(workspace):
        records = _records(workspace)
        records.update({key: decision.as_dict() for key, decision in made.items()})
        _write_records(workspace, records)


def _records(workspace: Workspace) -> dict[str, dict[str, Any]]:
    """key → the stored decision; read under _locked when it is to be written back."""
    try:
        raw = json.loads((workspace.state / TRIAGE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return dict(raw.get("messages") or {})


def _write_records(workspace: Workspace, records: dict[str, dict[str, Any]]) -> None:
    text = json.dumps({"messages": records}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_atomically(workspace.state / TRIAGE_FILE, text)


def _locked(workspace: Workspace) -> AbstractContextManager[None]:
    return locked(workspace.state / LOCK_FILE)
