"""Values a customer takes back: 不是1234，是5678 / 把1234改成5678. The taken-back value keeps
its entity with the role "negated", so it fills no slot but tells the dialogue what is corrected."""

from __future__ import annotations

import dataclasses
import re
from typing import List

from nlu.values.span import Span

NEGATED = "negated"
# 不是X(，)是Y: X runs from 不是 to the next 是 or punctuation
_NOT_X = re.compile(r"(?:不是|并非|而不是)(?P<old>[^，,。；;！!？?是]+)")
# X改成Y / 把X换成Y: X runs back to the start, a punctuation mark or 把
_X_CHANGED = re.compile(r"(?:^|[，,。；;！!？?把从])(?P<old>[^，,。；;！!？?把从]+?)(?:改成|换成|改为|换为|变成)")


def negated_ranges(text: str) -> List[range]:
    found = [range(m.start("old"), m.end("old")) for m in _NOT_X.finditer(text)]
    return found + [range(m.start("old"), m.end("old")) for m in _X_CHANGED.finditer(text)]


def mark_negated(text: str, spans: List[Span]) -> List[Span]:
    ranges = negated_ranges(text)
    return [dataclasses.replace(span, role=NEGATED) if any(span.start in r for r in ranges) else span for span in spans]
