"""Money amounts → string Decimal yuan with two decimals ("15000.00")."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import List, Optional

from nlu.values.numerals import CN_DIGITS, CN_UNITS, NUMBER, to_decimal
from nlu.values.span import Span

ENTITY = "amount"
_CURRENCY = r"(?:块钱|元钱|元|块|圆|人民币|rmb)"
_JIAO_DIGIT = r"[一二两三四五六七八九\d]"
# Words after a number that make it something other than money (分 only when no count follows: 两万分12期);
# a dot is a decimal point only before a digit (转500. ends a sentence: 。 is normalized to .).
_NOT_MONEY_AFTER = (
    rf"(?![\d%{CN_DIGITS}{CN_UNITS}]|\.\d|期|个|月|年|号|日|天|周|次|人|"
    rf"分(?![\d{CN_DIGITS}十成为])|份|积分|条|张|笔|位|岁|倍|秒|小时|点)"
)
_MONEY_VERBS = (
    r"(?:转账?|汇款?|打款?|还款?|借款?|借|贷款?|存款?|取款?|取|提现|买入?|申购|赎回|"
    r"付款?|支付|充值|消费|刷了?|额度|金额|提额)"
)

_WITH_CURRENCY = re.compile(
    rf"(?P<number>{NUMBER})\s?{_CURRENCY}"
    rf"(?:(?P<jiao>{_JIAO_DIGIT})(?:毛|角)?(?![\d期个月年号日天]))?"
)
_CURRENCY_FIRST = re.compile(rf"(?:¥|\$|人民币|rmb)\s?(?P<number>{NUMBER})")
_WITH_UNIT = re.compile(rf"(?<![\d.])(?P<number>{NUMBER}){_NOT_MONEY_AFTER}")
_AFTER_VERB = re.compile(
    rf"(?P<verb>{_MONEY_VERBS})(?:了|给我|我|一下|到|为|是)?\s?"
    rf"(?P<number>\d+(?:\.\d+)?|{NUMBER}){_NOT_MONEY_AFTER}"
)
# 沪深300, 中证500: index names inside fund names, not amounts.
_INDEX_NAME = re.compile(r"(?:沪深|中证|上证|深证|创业板|科创|恒生|标普|纳指|纳斯达克)$")
_FUND_VERB = re.compile(r"申购|赎回|买|定投")
_BARE_ARABIC = re.compile(rf"(?<![\d.])(?P<number>\d{{2,}}(?:\.\d{{1,2}})?){_NOT_MONEY_AFTER}")
# Only unambiguous money verbs: a bare 还 also means "still" (还有票吗).
_MONEY_CONTEXT = re.compile(r"转|汇|打款|打钱|付款|支付|借|贷|存|取|提现|申购|赎回|充值|还款")


def format_amount(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _span(match: re.Match, value: Optional[Decimal]) -> Optional[Span]:
    if value is None or value <= 0:
        return None
    return Span(ENTITY, format_amount(value), match.start(), match.end())


def _jiao(char: Optional[str]) -> Decimal:
    if not char:
        return Decimal(0)
    jiao = to_decimal(char)
    assert jiao is not None, char  # the pattern matched one digit
    return jiao / 10


def find_explicit(text: str) -> List[Span]:
    """Amounts with a currency word or sign: 五千块, 3,000元, 一百二十块五, ¥200."""
    spans = []
    for match in _WITH_CURRENCY.finditer(text):
        value = to_decimal(match.group("number"))
        if value is not None:
            spans.append(_span(match, value + _jiao(match.group("jiao"))))
    for match in _CURRENCY_FIRST.finditer(text):
        spans.append(_span(match, to_decimal(match.group("number"))))
    return [s for s in spans if s]


def _has_big_unit(number: str) -> bool:
    return any(unit in number for unit in CN_UNITS.replace("十", ""))


def find_implicit(text: str) -> List[Span]:
    """Amounts without currency: a number with 百/千/万 (一万五, 1.5万, 两千二) or
    right after a money verb (还三千, 借5000, 转500)."""
    spans = []
    for match in _WITH_UNIT.finditer(text):
        if _has_big_unit(match.group("number")):
            spans.append(_span_of_group(match))
    for match in _AFTER_VERB.finditer(text):
        if _plausible_after_verb(match):
            spans.append(_span_of_group(match))
    return [s for s in spans if s]


def _plausible_after_verb(match: re.Match) -> bool:
    """还一下 / 赎回一半 are not amounts; 申购110011 names a fund code."""
    number = match.group("number")
    if not number.isascii():
        return any(unit in number for unit in CN_UNITS)
    return not (len(number) == 6 and number.isdigit() and _FUND_VERB.search(match.group("verb")))


def find_in_money_context(text: str) -> List[Span]:
    """Last resort: a plain Arabic number (2+ digits) in a sentence about moving money
    (转给张三500)."""
    if not _MONEY_CONTEXT.search(text):
        return []
    fund_talk = bool(_FUND_VERB.search(text))
    matches = [
        m
        for m in _BARE_ARABIC.finditer(text)
        if not _INDEX_NAME.search(text[: m.start()]) and not (fund_talk and len(m.group()) == 6)
    ]
    return [s for s in (_span_of_group(m) for m in matches) if s]


def _span_of_group(match: re.Match) -> Optional[Span]:
    value = to_decimal(match.group("number"))
    if value is None or value <= 0:
        return None
    return Span(ENTITY, format_amount(value), match.start("number"), match.end("number"))
