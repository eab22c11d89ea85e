"""Which conversations staff asked for: filters by date, channel, intent, FAQ, fallback, hand-off and outcome."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.review.analytics import TIMEZONE
from bot.review.summary import CHANNELS, OUTCOMES, ConversationSummary

NAMES = ("since", "until", "channel", "intent", "faq", "fallback", "handoff", "outcome")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class Filters:
    since: date | None = None  # started on or after this day (in tz)
    until: date | None = None  # started on or before this day
    channel: str | None = None  # "chat" | "call"
    intent: str | None = None
    faq: str | None = None
    fallback: bool | None = None  # True: had at least one fallback; False: none
    handoff: bool | None = None
    outcome: str | None = None  # "contained" | "handed_off" | "callback"
    tz: str = TIMEZONE

    def bounds(self) -> tuple[float | None, float | None]:
        """since/until as epoch seconds for ConversationStore.summaries: [start of since, end of until)."""
        zone = ZoneInfo(self.tz)
        start = datetime.combine(self.since, time(), zone).timestamp() if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time(), zone).timestamp() if self.until else None
        return start, end


def matches(summary: ConversationSummary, filters: Filters) -> bool:
    if filters.since or filters.until:
        day = datetime.fromtimestamp(summary.started_at, ZoneInfo(filters.tz)).date()
        if (filters.since and day < filters.since) or (filters.until and day > filters.until):
            return False
    return (
        (filters.channel is None or summary.channel == filters.channel)
        and (filters.intent is None or filters.intent in summary.intents)
        and (filters.faq is None or filters.faq in summary.faqs)
        and (filters.fallback is None or (summary.fallbacks > 0) == filters.fallback)
        and (filters.handoff is None or summary.handed_off == filters.handoff)
        and (filters.outcome is None or summary.outcome == filters.outcome)
    )


def parse_filters(params: Mapping[str, str], tz: str = TIMEZONE) -> Filters:
    """Filters from query parameters (absent or empty: no filter). Raises ValueError naming the
    parameter and what it must be: dates YYYY-MM-DD, fallback/handoff true|false, channel, outcome."""
    given = {name: str(params[name]).strip() for name in NAMES if params.get(name) not in (None, "")}
    since, until = _date(given, "since"), _date(given, "until")
    if since and until and since > until:
        raise ValueError("'since' must not be after 'until'")
    channel, outcome = given.get("channel"), given.get("outcome")
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"'channel' must be one of {', '.join(CHANNELS)}")
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"'outcome' must be one of {', '.join(OUTCOMES)}")
    return Filters(
        since=since,
        until=until,
        channel=channel,
        intent=given.get("intent"),
        faq=given.get("faq"),
        fallback=_flag(given, "fallback"),
        handoff=_flag(given, "handoff"),
        outcome=outcome,
        tz=tz,
    )


def _date(given: Mapping[str, str], name: str) -> date | None:
    if name not in given:
        return None
    try:
        return date.fromisoformat(given[name])
    except ValueError:
        raise ValueError(f"'{name}' must be a date YYYY-MM-DD") from None


def _flag(given: Mapping[str, str], name: str) -> bool | None:
    value = given.get(name)
    if value is None:
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ValueError(f"'{name}' must be true or false")
