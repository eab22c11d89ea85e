"""Bank time: naive datetimes in China Standard Time (UTC+8, no daylight saving).

BANK_CLOCK_OFFSET_S shifts bank time by that many seconds while it keeps ticking. The test
suite sets it so that a run stays inside one bank day (bills fall due and go overdue at
midnight), and child processes such as the action server inherit it.
"""

import os
from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
OFFSET_VARIABLE = "BANK_CLOCK_OFFSET_S"


def now() -> datetime:
    return (datetime.now(CHINA) + _offset()).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()


def offset_to(moment: datetime) -> float:
    """The BANK_CLOCK_OFFSET_S value that makes bank time read `moment` now."""
    return (moment - datetime.now(CHINA).replace(tzinfo=None)).total_seconds()


def _offset() -> timedelta:
    raw = os.environ.get(OFFSET_VARIABLE, "").strip()
    if not raw:
        return timedelta(0)
    try:
        return timedelta(seconds=float(raw))
    except ValueError:
        raise ValueError(f"{OFFSET_VARIABLE} must be a number of seconds, not {raw!r}") from None
