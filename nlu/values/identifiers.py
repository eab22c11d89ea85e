"""Card tails, mobile numbers and one-time codes, spoken digit by digit or typed."""

from __future__ import annotations

import re
from typing import List

from nlu.values.numerals import digits_only
from nlu.values.span import Span

_D = r"[\d零〇一二两三四五六七八九幺]"
_SEP = r"[\s-]?"

_PHONE = re.compile(rf"(?<!{_D})(?:\+?86{_SEP})?(?P<digits>[1幺一]{_D}(?:{_SEP}{_D}){{9}})(?!{_D})")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_CARD_TAIL = re.compile(
    rf"(?:尾号|尾数|尾巴|卡号?的?(?:最)?后(?:四|4)位(?:数字)?|(?:最)?后(?:四|4)位(?:数字)?|末(?:四|4)位|尾(?:四|4)位)"
    rf"(?:号码)?(?:是|为|:)?\s?(?P<digits>{_D}{{4}})(?!{_D})"
)
_OTP_CUED = re.compile(rf"(?:验证码|校验码|动态码|短信码|动态密码|code)(?:是|为|:)?\s?(?P<digits>{_D}{{6}})(?!{_D})")
_OTP_STANDALONE = re.compile(rf"(?<!{_D})(?P<digits>{_D}{{6}})(?!{_D})")
# Six-digit fund codes (申购110011) look exactly like one-time codes.
_FUND_CONTEXT = re.compile(r"基金|申购|赎回|定投|买入|卖出")


def _digit_spans(pattern: re.Pattern, entity: str, text: str) -> List[Span]:
    spans = []
    for match in pattern.finditer(text):
        digits = digits_only(re.sub(r"[\s-]", "", match.group("digits")))
        if digits:
            spans.append(Span(entity, digits, match.start("digits"), match.end("digits")))
    return spans


def find_phone(text: str) -> List[Span]:
    """Mainland mobile numbers: 13812345678, 138 1234 5678, +86 138-1234-5678."""
    return [s for s in _digit_spans(_PHONE, "phone", text) if _MOBILE.fullmatch(s.value)]


def find_card_tail(text: str) -> List[Span]:
    """Last four card digits after a cue: 尾号1234, 卡号后四位是1234, 尾数幺二三四."""
    return _digit_spans(_CARD_TAIL, "card_tail", text)


def find_otp_cued(text: str) -> List[Span]:
    """验证码是123456."""
    return _digit_spans(_OTP_CUED, "otp_code", text)


def find_otp_standalone(text: str) -> List[Span]:
    """Any other run of exactly six digits is a one-time code, unless funds are the topic."""
    if _FUND_CONTEXT.search(text):
        return []
    return _digit_spans(_OTP_STANDALONE, "otp_code", text)
