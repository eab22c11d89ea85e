"""Who changed what in the console, and when: one JSON line per change in ``state/audit.jsonl``.

Appended under the workspace's lock and never rewritten; a reader skips a torn last line."""

from __future__ import annotations

import fcntl
import json
import time
from dataclasses import asdict, dataclass, field

from bot.editing.workspace import Workspace

AUDIT_FILE = "audit.jsonl"


@dataclass(frozen=True)
class AuditEntry:
    at: float  # epoch seconds
    staff: str  # username
    action: str  # e.g. faq.save, faq.disable, intent.add_example, wording.save, publish, rollback, triage.assign
    target: str  # what it acted on: an FAQ id, an intent, a response name, a version number
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def record(workspace: Workspace, staff: str, action: str, target: str, detail: dict | None = None) -> AuditEntry:
    entry = AuditEntry(time.time(), staff, action, target, dict(detail or {}))
    workspace.state.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry.as_dict(), ensure_ascii=False, sort_keys=True) + "\n"
    with open(workspace.state / AUDIT_FILE, "a", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)
        try:
            out.write(line)
            out.flush()
        finally:
            fcntl.flock(out, fcntl.LOCK_UN)
    return entry


def entries(workspace: Workspace, limit: int = 200, action_prefix: str = "") -> list[AuditEntry]:
    """The newest ``limit`` entries first, optionally only actions starting with ``action_prefix``."""
    path = workspace.state / AUDIT_FILE
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            raw = json.loads(line)
            entry = AuditEntry(float(raw["at"]), raw["staff"], raw["action"], raw["target"], raw.get("detail") or {})
        except (ValueError, KeyError, TypeError):
            continue
        if entry.action.startswith(action_prefix):
            found.append(entry)
    return found[::-1][:limit]
