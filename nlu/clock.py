"""The assistant's one clock: naive datetimes in China Standard Time (UTC+8, no daylight saving).

Both NLU (今天, 明天, 下个月5号) and the bank (due dates, overdue days, audit times) read it,
so a date the customer says and a date the bank reckons start from the same today.

BANK_CLOCK_OFFSET_S shifts this clock by that many seconds while it keeps ticking. The test
suite sets it so that a run stays inside one bank day (bills fall due and go overdue at
midnight), and child processes such as the Rasa and action servers inherit it.
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
    """The BANK_CLOCK_OFFSET_S value that makes the clock read `moment` now."""
    return (moment - datetime.now(CHINA).replace(tzinfo=None)).total_seconds()


def _offset() -> timedelta:
    raw = os.environ.get(OFFSET_VARIABLE, "").strip()
    if not raw:
        return timedelta(0)
    try:
        return timedelta(seconds=float(raw))
    except ValueError:
        raise ValueError(f"{OFFSET_VARIABLE} must be a number of seconds, not {raw!r}") from None
