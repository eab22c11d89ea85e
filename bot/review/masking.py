"""Personal numbers out of transcripts: card, phone and ID numbers, and one-time codes.

Like actions.bank.money.scrub_digits (not imported: see events.py), a number of 7 or more digits
keeps its last 4, also when written in groups (6222 0212 3456 7890, 138-1234-5678; not a date such
as 2026-03-02). A run of exactly 6 digits is taken for a one-time code and masked whole, unless it
is part of a reference (H000012) or reads as an amount (100000元, 100,000.00, ¥100000). Digits said
on a call and written in Chinese (幺三八…, also spaced out by the recognizer) count as digits.
"""

import re

_DIGIT = "0-9０-９零〇一二三四五六七八九幺两"
_NUMBER = re.compile(f"[{_DIGIT}]+(?:(?: |-(?=[{_DIGIT}]{{3}}))[{_DIGIT}]+)*")
_ONE_DIGIT = re.compile(f"[{_DIGIT}]")
_AMOUNT_AFTER = r"(?:[.,．，][0-9]|\s*(?:元|块|圆|万|千|百|%|％|笔|期|个月|天))"
_CODE = re.compile(f"(?<![A-Za-z{_DIGIT}.,¥￥$])[{_DIGIT}]{{6}}(?![{_DIGIT}]|{_AMOUNT_AFTER})")


def mask(text: str) -> str:
    text = _NUMBER.sub(_mask_long, text)
    return _CODE.sub("******", text)


def _mask_long(match: re.Match) -> str:
    number = match.group()
    digits = len(_ONE_DIGIT.findall(number))
    if digits < 7:
        return number
    hidden = iter(range(digits - 4))
    return _ONE_DIGIT.sub(lambda digit: "*" if next(hidden, None) is not None else digit.group(), number)
