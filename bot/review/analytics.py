"""How the bot does, per day or week and per channel, computed from conversation summaries."""

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.review.summary import CANCELLED, CHANNELS, CONTAINED, FORM_STATES, STARTED, SUBMITTED, ConversationSummary

PERIODS = ("day", "week")
TIMEZONE = "Asia/Shanghai"
TOP = 5


@dataclass(frozen=True)
class PeriodFigures:
    period: str  # the period's first day, ISO (a week starts on Monday)
    channel: str  # "chat" | "call"
    conversations: int
    contained: int
    containment: float  # 0..1, 4 places
    customer_messages: int
    fallbacks: int
    fallback_rate: float
    handed_off: int
    handoff_rate: float
    callbacks: int
    forms: dict[str, dict[str, int]] = field(default_factory=dict)  # form → {started, submitted, cancelled}
    top_intents: list[tuple[str, int]] = field(default_factory=list)  # most first, at most 5
    top_faqs: list[tuple[str, int]] = field(default_factory=list)
    median_turns: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["top_intents"] = [list(pair) for pair in self.top_intents]
        data["top_faqs"] = [list(pair) for pair in self.top_faqs]
        return data


def period_start(moment: float, period: str = "day", tz: str = TIMEZONE) -> date:
    """The first day of the day or week (Monday) that an epoch time falls in, in the time zone."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    day = datetime.fromtimestamp(moment, ZoneInfo(tz)).date()
    return day - timedelta(days=day.weekday()) if period == "week" else day


def figures(summaries: Iterable[ConversationSummary], period: str = "day", tz: str = TIMEZONE) -> list[PeriodFigures]:
    """One row per period and channel that had conversations (by when they started), oldest first,
    chat before call."""
    groups: dict[tuple[date, str], list[ConversationSummary]] = {}
    for summary in summaries:
        groups.setdefault((period_start(summary.started_at, period, tz), summary.channel), []).append(summary)
    order = {channel: index for index, channel in enumerate(CHANNELS)}
    keys = sorted(groups, key=lambda key: (key[0], order.get(key[1], len(order)), key[1]))
    return [_figures(start.isoformat(), channel, groups[(start, channel)]) for start, channel in keys]


def _figures(period: str, channel: str, group: Sequence[ConversationSummary]) -> PeriodFigures:
    conversations = len(group)
    contained = sum(summary.outcome == CONTAINED for summary in group)
    messages = sum(summary.customer_turns for summary in group)
    fallbacks = sum(summary.fallbacks for summary in group)
    handed_off = sum(summary.handed_off for summary in group)
    forms: dict[str, dict[str, int]] = {}
    for summary in group:
        for form, state in summary.forms.items():
            counts = forms.setdefault(form, dict.fromkeys(FORM_STATES, 0))
            counts[STARTED] += 1
            if state in (SUBMITTED, CANCELLED):
                counts[state] += 1
    return PeriodFigures(
        period=period,
        channel=channel,
        conversations=conversations,
        contained=contained,
        containment=rate(contained, conversations),
        customer_messages=messages,
        fallbacks=fallbacks,
        fallback_rate=rate(fallbacks, messages),
        handed_off=handed_off,
        handoff_rate=rate(handed_off, conversations),
        callbacks=sum(summary.callback for summary in group),
        forms=dict(sorted(forms.items())),
        top_intents=_top(name for summary in group for name in summary.intents),
        top_faqs=_top(name for summary in group for name in summary.faqs),
        median_turns=float(statistics.median(summary.customer_turns for summary in group)),
    )


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _top(names: Iterable[str]) -> list[tuple[str, int]]:
    """Most conversations first; ties by name."""
    return sorted(Counter(names).items(), key=lambda pair: (-pair[1], pair[0]))[:TOP]


SCALAR_COLUMNS = (
    "period", "channel", "conversations", "contained", "containment", "customer_messages", "fallbacks",
    "fallback_rate", "handed_off", "handoff_rate", "callbacks", "median_turns",
)  # fmt: skip


def to_csv(rows: Sequence[PeriodFigures]) -> str:
    """A header row, then one row per period and channel; each form gets three columns
    (``<form> started|submitted|cancelled``) and the top lists read ``name count; name count``."""
    forms = sorted({form for row in rows for form in row.forms})
    header = [
        *SCALAR_COLUMNS,
        *(f"{form} {state}" for form in forms for state in FORM_STATES),
        "top_intents",
        "top_faqs",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        values = asdict(row)
        writer.writerow(
            [
                *(values[column] for column in SCALAR_COLUMNS),
                *(row.forms.get(form, {}).get(state, 0) for form in forms for state in FORM_STATES),
                "; ".join(f"{name} {count}" for name, count in row.top_intents),
                "; ".join(f"{name} {count}" for name, count in row.top_faqs),
            ]
        )
    return out.getvalue()
