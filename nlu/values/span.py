"""The result type shared by all value finders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Span:
    entity: str
    value: Any
    start: int
    end: int
    role: Optional[str] = None  # "negated": a value the customer takes back

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end
