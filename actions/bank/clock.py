"""Bank time: naive datetimes in China Standard Time (UTC+8, no daylight saving)."""

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    return datetime.now(CHINA).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
