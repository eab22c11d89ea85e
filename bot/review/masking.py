"""Personal numbers out of transcripts: card, phone and ID numbers, and one-time codes.

Like actions.bank.money.scrub_digits (not imported: see events.py), a run of 7 or more digits keeps
its last 4. A run of exactly 6 digits is taken for a one-time code and masked whole, unless it is part
of a reference (H000012) or reads as an amount (100000元, 100,000.00, ¥100000). Digits said on a call
and written in Chinese (幺三八…) count as digits.
"""

import re

_DIGIT = "0-9０-９零〇一二三四五六七八九幺两"
_LONG = re.compile(f"[{_DIGIT}]{{7,}}")
_AMOUNT_AFTER = r"(?:[.,．，][0-9]|\s*(?:元|块|圆|万|千|百|%|％|笔|期|个月|天))"
_CODE = re.compile(f"(?<![A-Za-z{_DIGIT}.,¥￥$])[{_DIGIT}]{{6}}(?![{_DIGIT}]|{_AMOUNT_AFTER})")


def mask(text: str) -> str:
    text = _LONG.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], text)
    return _CODE.sub("******", text)
