"""Bare answers to the bot's own questions: a number on its own (2000, 1234, 十二, 幺二三四)
and an option by its position (第二个, 第2张). Neither means anything by itself; the dialogue
maps it to the slot it asked for."""

from __future__ import annotations

import re
from typing import List

from nlu.values.numerals import CN_DIGITS, CN_UNITS, digits_only, to_decimal
from nlu.values.span import Span

_ORDINAL = re.compile(
    r"第\s?(?P<n>\d{1,2}|[一二两三四五六七八九十]{1,3})\s?(?:个|张|项|种|条|笔|位|选项)?(?![期季名次天年月])"
)
_NUMERAL = rf"[\d{CN_DIGITS}{CN_UNITS}]"
# 一次性 / 一下 / 一半 are not numbers
_NUMBER = re.compile(
    rf"(?<!{_NUMERAL})(?<![.+后前尾第])(?P<n>{_NUMERAL}+(?:\.\d+)?)(?!{_NUMERAL})(?![.次下些点样起般直共定半位])"
)
_DIGIT_RUN = re.compile(rf"[\d{CN_DIGITS}]+")
# Words around a bare answer: 是1234吧 / 就两千 / 嗯 十二 / 1234那张
_FILLER = re.compile(
    r"[\x00\s,，。.!！?？~、]|是的?|就是|就|吧|啊|呀|嗯|呃|那个|这个|的|那张|这张|卡|块钱?|元|好|选|要"
)
MAX_OTHER_CHARS = 4
_FUNDS = re.compile(r"基金|申购|赎回|定投|份")


def is_bare(text: str, spans: List[Span]) -> bool:
    """True when the numbers are (nearly) all the message says."""
    rest = list(text)
    for span in spans:
        rest[span.start : span.end] = " " * (span.end - span.start)
    rest_text = _FILLER.sub("", "".join(rest))
    return len(rest_text) <= MAX_OTHER_CHARS and not _FUNDS.search(text)


def find_ordinal(text: str) -> List[Span]:
    spans = []
    for match in _ORDINAL.finditer(text):
        value = to_decimal(match.group("n"))
        if value is not None and 0 < value <= 20 and value == value.to_integral_value():
            spans.append(Span("ordinal", int(value), match.start(), match.end()))
    return spans if is_bare(text, spans) else []


# a single Chinese numeral inside words is part of them (张三, 李四, 三星): only these may touch it
_CN_BEFORE_OK = set("是就选要转还借分第")
_CN_AFTER_OK = set("吧个期块元的啊呀呢张笔")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _inside_words(text: str, start: int, end: int, said: str) -> bool:
    if len(said) > 1:
        return False  # 幺二三四, 十二, 2000: no name is made of these
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return bool(
        (before and _CJK.match(before) and before not in _CN_BEFORE_OK)
        or (after and _CJK.match(after) and after not in _CN_AFTER_OK)
    )


def find_number(text: str) -> List[Span]:
    """A number that no other finder claimed, as a string: digit by digit as said
    (幺二三四 → "1234", 0123 stays "0123"), otherwise its value (十二 → "12", 两千 → "2000")."""
    spans = []
    for match in _NUMBER.finditer(text):
        said = match.group("n")
        if _inside_words(text, match.start(), match.end(), said):
            continue
        value = digits_only(said) if _DIGIT_RUN.fullmatch(said) and len(said) > 1 else None
        if value is None:
            number = to_decimal(said)
            if number is None or number <= 0:
                continue
            value = str(number.normalize()) if number != number.to_integral_value() else str(int(number))
        spans.append(Span("number", value, match.start(), match.end()))
    return spans if is_bare(text, spans) else []
