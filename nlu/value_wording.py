"""Values in the bot's replies, written for a screen and said for a call.

An action hands a response typed values instead of finished text, e.g.
``{"money": "8650.00"}``, and each channel words them its own way:

============  ======================  ==========================
type          written                 said
============  ======================  ==========================
money         ¥8,650.00               八千六百五十元
digits        1234                    幺二三四 (card tails, codes)
phone         138****5678             尾号五六七八的手机
day           12月5日                 十二月五日
date          2026年12月5日           二零二六年十二月五日
============  ======================  ==========================

Anything else (text, whole numbers) is used as it is.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

import cn2an

DIGITS = "零一二三四五六七八九"


def digits_one_by_one(s: str, one: str = "幺") -> str:
    """ "1234" → "幺二三四"; anything but ASCII digits is kept. ``one="一"`` for years."""
    return "".join((one if c == "1" else DIGITS[int(c)]) if "0" <= c <= "9" else c for c in s)


def cardinal(number: str, liang: bool = False) -> str:
    """ "12" → "十二", "0.60" → "零点六", "2000" → "两千"; ``liang``: a lone 2 → "两"."""
    number = number.replace(",", "")
    if "." in number:
        number = number.rstrip("0").rstrip(".") or "0"
    if liang and number == "2":
        return "两"
    try:
        return _liang_before_big_units(cn2an.an2cn(number, "low"))
    except ValueError:  # beyond cn2an's 16 digits: no one says such a number as a quantity
        return digits_one_by_one(number, one="一").replace(".", "点")


def _liang_before_big_units(spoken: str) -> str:
    return "两" + spoken[1:] if spoken[:2] in ("二千", "二万", "二亿") else spoken


def said_money(amount: str, negative: bool = False) -> str:
    """ "1,200.05" → "一千二百元零五分"; jiao and fen are read, a zero amount is 零元."""
    fen_total = int(Decimal(amount.replace(",", "")).quantize(Decimal("0.01"), ROUND_HALF_UP) * 100)
    if fen_total < 0:
        fen_total, negative = -fen_total, True
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    text = f"{cardinal(str(yuan), liang=True)}元" if yuan or not (jiao or fen) else ""
    if jiao:
        text += f"{DIGITS[jiao]}角"
    elif fen and yuan:
        text += "零"
    if fen:
        text += f"{DIGITS[fen]}分"
    return ("负" if negative else "") + text


def written_money(amount: str) -> str:
    """ "8650" → "¥8,650.00"; negative amounts get a leading minus."""
    value = Decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{'-' if value < 0 else ''}¥{abs(value):,.2f}"


def said_phone(masked: str) -> str:
    """ "138****5678" → "尾号五六七八的手机": the hidden middle is not worth reading."""
    return f"尾号{digits_one_by_one(masked[-4:])}的手机"


def said_day(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{cardinal(str(day.month))}月{cardinal(str(day.day))}日"


def said_date(iso: str) -> str:
    return f"{digits_one_by_one(str(date.fromisoformat(iso).year), one='一')}年{said_day(iso)}"


def written_day(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.month}月{day.day}日"


def written_date(iso: str) -> str:
    return f"{date.fromisoformat(iso).year}年{written_day(iso)}"


WRITTEN: dict[str, Callable[[str], str]] = {
    "money": written_money,
    "digits": str,
    "phone": str,
    "day": written_day,
    "date": written_date,
}
SAID: dict[str, Callable[[str], str]] = {
    "money": said_money,
    "digits": digits_one_by_one,
    "phone": said_phone,
    "day": said_day,
    "date": said_date,
}


def value_type(value: Any) -> str | None:
    """The type of a typed value ({"money": "12.00"} → "money"), None for a plain one."""
    if isinstance(value, dict) and len(value) == 1:
        (kind,) = value
        return kind if kind in WRITTEN else None
    return None


def worded(value: Any, said: bool) -> Any:
    """A typed value as a channel shows it; plain values unchanged."""
    kind = value_type(value)
    if kind is None:
        return value
    return (SAID if said else WRITTEN)[kind](str(value[kind]))
