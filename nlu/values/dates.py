"""Dates and date ranges relative to an injectable `today`.

Rules worth knowing:
* A month named without a year (三月份, 11月3号) is this year's. For a whole month
  (三月份) that lies in the future, last year's month is meant (people ask about past
  bills and transactions), e.g. on 2026-11-26 "十二月份" → 2025-12.
* Calendar periods (上周, 这个月, 今年) cover the whole period, Monday–Sunday for
  weeks; "最近/近/过去 N 天|周|个月|年" ends today: 最近一周 → today-6 … today.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from itertools import pairwise
from typing import List, Optional, Tuple

from dateutil.relativedelta import relativedelta

from nlu.values.numerals import to_int
from nlu.values.span import Span

_CN = r"[一二两三四五六七八九十]"
_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?:3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_NOT_NUM_BEFORE = rf"(?<![\d{_CN[1:-1]}])"
_NOT_NUM_AFTER = rf"(?![\d{_CN[1:-1]}])"
_YEAR_WORD = r"(?P<year>今年|去年|前年|明年|\d{4}年)"

_RELATIVE_DAYS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
}
_DAY_WORD = re.compile("|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True)))
_MONTH_DAY = re.compile(
    rf"(?:{_YEAR_WORD})?{_NOT_NUM_BEFORE}(?P<month>{_MONTH})月(?P<day>{_DAY})(?:号|日)?{_NOT_NUM_AFTER}"
)
_ISO = re.compile(r"(?<!\d)(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})[日号]?(?!\d)")
_REL_MONTH = r"(?P<rel>上上个月|上个月|上月|这个月|本月|这月|当月|下个月|下月)"
_REL_MONTH_DAY = re.compile(rf"{_REL_MONTH}(?P<day>{_DAY})(?:号|日){_NOT_NUM_AFTER}")
_MONTH_EDGE = re.compile(rf"(?:{_REL_MONTH}|月)(?P<edge>底|末|初)")
_DAY_ONLY = re.compile(rf"(?<![\d{_CN[1:-1]}月])(?P<day>{_DAY})(?:号|日)(?![\d线楼门床位房厅馆口])")
_WEEK_REL = r"(?P<rel>上上个?|上个?|这个?|本|下下个?|下个?)"
_WEEKDAY = re.compile(rf"{_WEEK_REL}?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天1-7])")

_WEEK = re.compile(rf"{_WEEK_REL}(?:周|星期|礼拜)(?![一二三四五六日天1-7])")
_WHOLE_MONTH = re.compile(rf"{_REL_MONTH}(?![\d{_CN[1:-1]}号日底末初])")
_NAMED_MONTH = re.compile(rf"(?:{_YEAR_WORD})?{_NOT_NUM_BEFORE}(?P<month>{_MONTH})月份?(?![\d{_CN[1:-1]}号日底末初])")
_WHOLE_YEAR = re.compile(rf"(?:{_YEAR_WORD}|(?P<rel>本年))(?![\d{_CN[1:-1]}月底末初])")
_RECENT = re.compile(
    rf"(?:最近|近|过去|这)(?P<n>\d{{1,3}}|{_CN}{{1,3}}|半)(?P<unit>天|日|周|个星期|星期|个礼拜|个月|月|年)"
)
_RANGE_JOINER = re.compile(r"\s?(?:到|至|-|~|一直到)\s?")

_WEEK_SHIFT = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1, "下下": 2}
_MONTH_SHIFT = {
    "上上个月": -2,
    "上个月": -1,
    "上月": -1,
    "这个月": 0,
    "本月": 0,
    "这月": 0,
    "当月": 0,
    "下个月": 1,
    "下月": 1,
}
_WEEKDAYS = {c: i for i, c in enumerate("一二三四五六日")}
_WEEKDAYS.update({"天": 6, **{str(i + 1): i for i in range(7)}})


def _iso(day: date) -> str:
    return day.isoformat()


def _safe_date(year: Optional[int], month: Optional[int], day: Optional[int]) -> Optional[date]:
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(word: Optional[str], today: date) -> int:
    if not word:
        return today.year
    shifts = {"今年": 0, "本年": 0, "去年": -1, "前年": -2, "明年": 1}
    if word in shifts:
        return today.year + shifts[word]
    return int(word[:4])


def _month_start(today: date, shift: int) -> date:
    return today.replace(day=1) + relativedelta(months=shift)


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _week_start(today: date, rel: Optional[str]) -> date:
    shift = _WEEK_SHIFT[(rel or "这").rstrip("个")]
    return today - timedelta(days=today.weekday()) + timedelta(weeks=shift)


def _date_span(match: re.Match, day: Optional[date]) -> Optional[Span]:
    return Span("date", _iso(day), match.start(), match.end()) if day else None


def _range_span(match: re.Match, start: date, end: date) -> Span:
    return Span("date_range", {"start": _iso(start), "end": _iso(end)}, match.start(), match.end())


def _single_dates(text: str, today: date) -> List[Optional[Span]]:
    spans = [_date_span(m, today + timedelta(days=_RELATIVE_DAYS[m.group()])) for m in _DAY_WORD.finditer(text)]
    for m in _MONTH_DAY.finditer(text):
        day = _safe_date(_year(m.group("year"), today), to_int(m.group("month")), to_int(m.group("day")))
        spans.append(_date_span(m, day))
    for m in _ISO.finditer(text):
        spans.append(_date_span(m, _safe_date(*(int(m.group(g)) for g in ("year", "month", "day")))))
    for m in _REL_MONTH_DAY.finditer(text):
        first = _month_start(today, _MONTH_SHIFT[m.group("rel")])
        spans.append(_date_span(m, _safe_date(first.year, first.month, to_int(m.group("day")))))
    for m in _MONTH_EDGE.finditer(text):
        first = _month_start(today, _MONTH_SHIFT[m.group("rel")] if m.group("rel") else 0)
        spans.append(_date_span(m, first if m.group("edge") == "初" else _month_end(first)))
    for m in _DAY_ONLY.finditer(text):
        spans.append(_date_span(m, _safe_date(today.year, today.month, to_int(m.group("day")))))
    for m in _WEEKDAY.finditer(text):
        spans.append(_date_span(m, _week_start(today, m.group("rel")) + timedelta(days=_WEEKDAYS[m.group("weekday")])))
    return spans


def find_dates(text: str, today: date) -> List[Span]:
    """明天, 下个月15号, 11月3号, 2026-11-03, 下周三, 月底 → ISO date."""
    return [s for s in _single_dates(text, today) if s]


def _named_month(match: re.Match, today: date) -> Optional[Tuple[date, date]]:
    month = to_int(match.group("month"))
    year = _year(match.group("year"), today)
    first = _safe_date(year, month, 1)
    if first and not match.group("year") and first > today:
        first = first.replace(year=year - 1)
    return (first, _month_end(first)) if first else None


def _recent(match: re.Match, today: date) -> Optional[Tuple[date, date]]:
    count = 0.5 if match.group("n") == "半" else to_int(match.group("n"))
    unit = match.group("unit")
    if not count:
        return None
    if unit in ("天", "日"):
        start = today - timedelta(days=int(count) - 1)
    elif "周" in unit or "星期" in unit or "礼拜" in unit:
        start = today - timedelta(days=int(count * 7) - 1)
    else:
        months = int(count * 12) if unit == "年" else int(count) if count >= 1 else 0
        if not months:
            return None
        start = today - relativedelta(months=months) + timedelta(days=1)
    return start, today


def _calendar_ranges(text: str, today: date) -> List[Span]:
    spans = []
    for m in _WEEK.finditer(text):
        start = _week_start(today, m.group("rel"))
        spans.append(_range_span(m, start, start + timedelta(days=6)))
    for m in _WHOLE_MONTH.finditer(text):
        first = _month_start(today, _MONTH_SHIFT[m.group("rel")])
        spans.append(_range_span(m, first, _month_end(first)))
    for m in _WHOLE_YEAR.finditer(text):
        year = _year(m.group("year") or m.group("rel"), today)
        spans.append(_range_span(m, date(year, 1, 1), date(year, 12, 31)))
    return spans


def _computed_ranges(text: str, today: date) -> List[Span]:
    spans = []
    for finder, pattern in ((_named_month, _NAMED_MONTH), (_recent, _RECENT)):
        for m in pattern.finditer(text):
            bounds = finder(m, today)
            if bounds:
                spans.append(_range_span(m, *bounds))
    return spans


def _joined_ranges(text: str, today: date) -> List[Span]:
    """两个日期之间: 11月1号到11月10号 → one range."""
    dates = sorted(find_dates(text, today), key=lambda s: s.start)
    spans = []
    for first, second in pairwise(dates):
        if _RANGE_JOINER.fullmatch(text[first.end : second.start]) and first.value <= second.value:
            value = {"start": first.value, "end": second.value}
            spans.append(Span("date_range", value, first.start, second.end))
    return spans


def find_date_ranges(text: str, today: date) -> List[Span]:
    """上周, 这个月, 三月份, 最近一周, 今年, 11月1号到11月10号 → {"start", "end"}."""
    return _calendar_ranges(text, today) + _computed_ranges(text, today) + _joined_ranges(text, today)
