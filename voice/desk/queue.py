"""Customers waiting for a person, in the order they are offered: urgent first, then oldest."""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

PRIORITY_ORDER = {"urgent": 0, "normal": 1}


@dataclass
class Waiting:
    key: str  # the desk's name for the conversation (never the customer's session)
    channel: str  # chat | call
    priority: str
    since: float
    ticket: str
    summary: dict = field(default_factory=dict)

    def shown(self) -> dict:
        return {
            "id": self.key, "channel": self.channel, "priority": self.priority, "since": self.since,
            "ticket": self.ticket, "summary": self.summary,
        }  # fmt: skip


class WaitingQueue:
    def __init__(self) -> None:
        self._waiting: Dict[str, Waiting] = {}

    def add(self, waiting: Waiting) -> None:
        """Queues the customer; asking again keeps their place (and takes the higher priority)."""
        earlier = self._waiting.get(waiting.key)
        if earlier is not None:
            waiting.since = earlier.since
            if PRIORITY_ORDER.get(earlier.priority, 1) < PRIORITY_ORDER.get(waiting.priority, 1):
                waiting.priority = earlier.priority
        self._waiting[waiting.key] = waiting

    def remove(self, key: str) -> Optional[Waiting]:
        return self._waiting.pop(key, None)

    def ordered(self) -> List[Waiting]:
        return sorted(self._waiting.values(), key=lambda w: (PRIORITY_ORDER.get(w.priority, 1), w.since))

    def __contains__(self, key: str) -> bool:
        return key in self._waiting

    def __len__(self) -> int:
        return len(self._waiting)
