"""Installment counts (分12期) and loan terms in months (借12个月, 一年, 半年)."""

from __future__ import annotations

import re
from typing import List, Optional, TypeGuard

from nlu.values.numerals import to_int
from nlu.values.span import Span

_N = r"(?:\d{1,3}|[一二两三四五六七八九十]{1,3})"
_NOT_AFTER_DIGIT = r"(?<![\d一二两三四五六七八九十零])"
_NOT_AFTER_PRONOUN = r"(?<![哪这那每同上下前后])"  # 哪一年, 每个月: not a term

_INSTALLMENT = re.compile(
    rf"分(?:成|为)?\s?(?P<n>{_N})\s?(?:期|个月)|{_NOT_AFTER_DIGIT}(?<![第本上下这前后])(?P<m>{_N})\s?期(?![限间])"
)
_MONTHS = re.compile(rf"{_NOT_AFTER_DIGIT}{_NOT_AFTER_PRONOUN}(?P<n>{_N})\s?个(?:多)?月")
_YEARS = re.compile(rf"{_NOT_AFTER_DIGIT}{_NOT_AFTER_PRONOUN}(?P<n>{_N})\s?年(?P<half>半)?(?![\d化级底初月])")
_HALF_YEAR = re.compile(r"(?<![一二两三四五六七八九十\d年])半年")

MAX_INSTALLMENTS = 60
MAX_TERM_MONTHS = 360


def _valid(value: Optional[int], maximum: int) -> TypeGuard[int]:
    return value is not None and 0 < value <= maximum


def find_installment_count(text: str) -> List[Span]:
    spans = []
    for match in _INSTALLMENT.finditer(text):
        group = "n" if match.group("n") else "m"
        value = to_int(match.group(group))
        if _valid(value, MAX_INSTALLMENTS):
            spans.append(Span("installment_count", value, match.start(), match.end()))
    return spans


def find_term_months(text: str) -> List[Span]:
    spans = []
    for match in _MONTHS.finditer(text):
        value = to_int(match.group("n"))
        if _valid(value, MAX_TERM_MONTHS):
            spans.append(Span("term_months", value, match.start(), match.end()))
    for match in _YEARS.finditer(text):
        years = to_int(match.group("n"))
        if _valid(years, 30):
            months = years * 12 + (6 if match.group("half") else 0)
            spans.append(Span("term_months", months, match.start(), match.end()))
    for match in _HALF_YEAR.finditer(text):
        spans.append(Span("term_months", 6, match.start(), match.end()))
    return spans
