"""Chinese, Arabic and mixed numerals → numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Optional

import cn2an

CN_DIGITS = "零〇一二两三四五六七八九幺"
CN_UNITS = "十百千万亿"
_DIGIT_VALUES = {c: str(i) for i, c in enumerate("零一二三四五六七八九")}
_DIGIT_VALUES.update({"〇": "0", "两": "2", "幺": "1"})

_THOUSANDS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_MIXED = rf"[\d{CN_DIGITS}{CN_UNITS}]+(?:[点.][\d{CN_DIGITS}]+)?[{CN_UNITS}]*"
# A number as people say or type it: 3,000 | 1.5万 | 一万五 | 两千二 | 1万2 | 一百二十点五
NUMBER = rf"(?:{_THOUSANDS}|{_MIXED})"

_ARABIC = re.compile(r"\d+(?:\.\d+)?")
_SCALED_ARABIC = re.compile(rf"(\d+(?:\.\d+)?)([{CN_UNITS}]+)")
_UNIT_VALUES = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}


def digits_only(text: str) -> Optional[str]:
    """Read a digit-by-digit string ("幺三八", "1234", "一二三四") as digits."""
    result = []
    for char in text:
        if char.isascii() and char.isdigit():
            result.append(char)
        elif char in _DIGIT_VALUES:
            result.append(_DIGIT_VALUES[char])
        else:
            return None
    return "".join(result)


def _scaled_arabic(number: str, units: str) -> Decimal:
    """1.5万 → 15000 without float rounding."""
    value = Decimal(number)
    for unit in units:
        value *= _UNIT_VALUES[unit]
    return value


def _spoken_number(text: str) -> Optional[Decimal]:
    if len(text) > 1 and all(c in _DIGIT_VALUES for c in text):
        return None  # read digit by digit (一二三四): an identifier, not a quantity
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def to_decimal(text: str) -> Optional[Decimal]:
    """Parse one NUMBER ("3,000", "1.5万", "一万五", "两千二", "1万2") into a Decimal."""
    text = text.strip()
    if re.fullmatch(_THOUSANDS, text):
        text = text.replace(",", "")
    if not text:
        return None
    if _ARABIC.fullmatch(text):
        return Decimal(text)
    scaled = _SCALED_ARABIC.fullmatch(text)
    if scaled:
        return _scaled_arabic(*scaled.groups())
    return _spoken_number(text)


def to_int(text: str) -> Optional[int]:
    value = to_decimal(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)
