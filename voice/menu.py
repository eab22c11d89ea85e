"""Buttons of a reply as a spoken menu: read out with key numbers, chosen by key, number or name.

Rasa buttons are ``{"title": ..., "payload": ...}``. On a call they are read as
"确认，请按一；取消，请按二", and the caller picks one by pressing a key, saying its number
("二", "第二个", "选二") or saying its title ("取消", "我要取消"). Only keys 1–9 exist, so only
the first nine buttons are read with a key; later ones can still be chosen by title.
"""

import re

import cn2an

from nlu.value_wording import digits_one_by_one
from voice.speakable import speakable

MAX_KEYS = 9
INTRO = "您可以直接说出选项，或者按键选择："
CHINESE_NUMERAL = "零一二两三四五六七八九十幺"
NUMBER_CHOICE = re.compile(
    rf"^(?:我)?(?:要|想)?(?P<verb>选择?|按)?(?P<ordinal>第)?(?P<number>\d+|[{CHINESE_NUMERAL}]+)"
    r"(?P<measure>个|项|号|条|种|张|笔|位)?(?:吧|啊|呀)?$"
)
NEGATION = re.compile(r"(?:不|别|不要|没有?)$")
IGNORED = re.compile(r"[\s，。！？、；：,.!?;:“”\"']")


def spoken_options(buttons: list[dict]) -> str:
    """ "您可以直接说出选项，或者按键选择：确认，请按一；取消，请按二。" ("" without buttons)."""
    options = [f"{_spoken_title(b)}，请按{speakable(str(key))}" for key, b in enumerate(buttons[:MAX_KEYS], start=1)]
    return f"{INTRO}{'；'.join(options)}。" if options else ""


def choose(buttons: list[dict], said: str) -> str | None:
    """The payload the caller picked with ``said`` (a key press or recognised speech), else None.

    A lone ASCII digit is a key press: it picks by position. Spoken numbers pick by position
    too, except when the titles are themselves numbers ("3期", "6个月"): then a bare number
    is a value, so "三" picks "3期" and a number naming no title is left to the assistant.
    """
    text = _key(said)
    if not buttons or not text:
        return None
    by_title = _by_title(buttons, text)
    if by_title is not None:
        return by_title
    if re.fullmatch(r"[1-9]", said.strip()):
        return _at(buttons, int(said.strip()))
    return _by_number(buttons, text)


def _spoken_title(button: dict) -> str:
    return speakable(str(button.get("title", ""))).rstrip("。！？；：，、")


def _key(text: str) -> str:
    """Comparable form: speakable, no punctuation or spaces, 幺 and 两 as 一 and 二.

    Typed digits are read one by one, so a card tail keyed in matches "尾号1234".
    """
    text = text.strip()
    spoken = digits_one_by_one(text) if text.isascii() and text.isdigit() else speakable(text)
    return IGNORED.sub("", spoken).replace("幺", "一").replace("两", "二")


def _occurrences(part: str, whole: str) -> list[re.Match]:
    """Where ``part`` occurs in ``whole`` as a whole number (二十 is not in 二十四期)."""
    return list(re.finditer(rf"(?<![{CHINESE_NUMERAL}]){re.escape(part)}(?![{CHINESE_NUMERAL}])", whole))


def _at(buttons: list[dict], position: int) -> str | None:
    return buttons[position - 1].get("payload") if 1 <= position <= len(buttons) else None


def _by_title(buttons: list[dict], text: str) -> str | None:
    titles = [_key(str(b.get("title", ""))) for b in buttons]
    exact = [i for i, title in enumerate(titles) if title and title == text]
    if exact:
        return buttons[exact[0]].get("payload")
    said_in_title = [i for i, title in enumerate(titles) if len(text) >= 2 and _occurrences(text, title)]
    title_in_said = [i for i, title in enumerate(titles) if title and _mentions(text, title)]
    matches = title_in_said or said_in_title
    return buttons[matches[0]].get("payload") if len(matches) == 1 else None


def _mentions(text: str, title: str) -> bool:
    """``title`` occurs in ``text`` not right after a negation ("不确认" does not mention 确认)."""
    return any(not NEGATION.search(text[: m.start()]) for m in _occurrences(title, text))


def _by_number(buttons: list[dict], text: str) -> str | None:
    match = NUMBER_CHOICE.match(text)
    if not match:
        return None
    number = _to_int(match.group("number"))
    if number is None:
        return None
    positional = any(match.group(g) for g in ("verb", "ordinal", "measure"))
    values = [_leading_number(str(b.get("title", ""))) for b in buttons]
    if positional or all(v is None for v in values):
        return _at(buttons, number)
    return next((b.get("payload") for b, v in zip(buttons, values, strict=True) if v == number), None)


def _to_int(numeral: str) -> int | None:
    try:
        return int(cn2an.cn2an(numeral.replace("幺", "一").replace("两", "二"), "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def _leading_number(title: str) -> int | None:
    match = re.match(r"\s*(\d+)", title)
    return int(match.group(1)) if match else None
