"""When people staff the desk: one daily window in one time zone (DESK_HOURS, DESK_TIMEZONE)."""

import os
from dataclasses import dataclass
from datetime import datetime, time
from typing import Mapping
from zoneinfo import ZoneInfo

DEFAULT_HOURS = "09:00-21:00"
DEFAULT_TIMEZONE = "Asia/Shanghai"


def _clock_time(text: str) -> time:
    hour, _, minute = text.strip().partition(":")
    if not (hour.isdigit() and minute.isdigit()) or not (0 <= int(hour) <= 24 and 0 <= int(minute) < 60):
        raise ValueError(f"{text.strip()!r} is not a time of day like 09:00")
    return time.max if int(hour) == 24 else time(int(hour), int(minute))


@dataclass(frozen=True)
class ServiceHours:
    start: time
    end: time
    zone: ZoneInfo
    text: str

    @classmethod
    def parse(cls, hours: str = DEFAULT_HOURS, zone: str = DEFAULT_TIMEZONE) -> "ServiceHours":
        """``"09:00-21:00"``; ``"00:00-24:00"`` is always open. ValueError names what is wrong."""
        start, dash, end = hours.partition("-")
        if not dash:
            raise ValueError(f"service hours {hours!r} must look like 09:00-21:00")
        opens, closes = _clock_time(start), _clock_time(end)
        if closes <= opens:
            raise ValueError(f"service hours {hours!r} must close after they open")
        return cls(opens, closes, ZoneInfo(zone), f"{start.strip()}-{end.strip()}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ServiceHours":
        return cls.parse(env.get("DESK_HOURS", DEFAULT_HOURS), env.get("DESK_TIMEZONE", DEFAULT_TIMEZONE))

    def open_at(self, epoch_s: float) -> bool:
        now = datetime.fromtimestamp(epoch_s, self.zone).time()
        return self.start <= now < self.end or (self.end == time.max and now >= self.start)

    def __str__(self) -> str:
        return self.text
