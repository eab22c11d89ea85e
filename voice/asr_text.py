"""Cleanup of recognizer output before it reaches the assistant.

Vosk separates words with spaces ("我 想 查 余额") and writes digits read out one by one as
separate words ("尾号 六 六 六 六"). Customers read card tails, phone numbers and codes that
way, so a run of such digits becomes Arabic digits; numerals inside words stay as they are.
"""

from __future__ import annotations

UNKNOWN = "[unk]"
_UNKNOWN_WORDS = {"[unk]", "<unk>"}

_DIGIT_VALUES = {char: str(value) for value, char in enumerate("零一二三四五六七八九")}
_DIGIT_VALUES.update({"〇": "0", "幺": "1"})
# 两 means 2 only between other read-out digits ("幺 三 八 两 零"): at the edge of a run it is
# usually a quantity ("三 四 两", "两 三 个").
_INNER_ONLY_DIGITS = {"两": "2"}
# Shorter runs are usually quantities ("一 下", "三 个 月"); 幺 is only said when reading digits.
_MIN_DIGITS_READ_OUT = 3
_READ_OUT_ONLY = "幺"


def _is_digit_word(word: str) -> bool:
    return all(char in _DIGIT_VALUES for char in word)


def _run_end(words: list[str], start: int) -> int:
    """End of the run of read-out digit words starting at ``start`` (``start`` if there is none)."""
    if not _is_digit_word(words[start]):
        return start
    end = start + 1
    while True:
        after_inner = end
        while after_inner < len(words) and words[after_inner] in _INNER_ONLY_DIGITS:
            after_inner += 1
        if after_inner == len(words) or not _is_digit_word(words[after_inner]):
            return end
        end = after_inner + 1


def _arabic(run: list[str]) -> str | None:
    """The digits of a run of spoken digit words, or None if it reads as ordinary words."""
    spoken = "".join(run)
    if len(spoken) < _MIN_DIGITS_READ_OUT and _READ_OUT_ONLY not in spoken:
        return None
    return "".join(_DIGIT_VALUES.get(char) or _INNER_ONLY_DIGITS[char] for char in spoken)


def _join_digit_runs(words: list[str]) -> list[str]:
    result: list[str] = []
    index = 0
    while index < len(words):
        end = _run_end(words, index)
        if end == index:
            result.append(words[index])
            index += 1
            continue
        run = words[index:end]
        arabic = _arabic(run)
        result.extend([arabic] if arabic else run)
        index = end
    return result


def _without_unknown(words: list[str]) -> list[str]:
    """Unknown-word markers carry no text; speech that was nothing but them stays one marker,
    so callers can tell "said something outside the grammar" from silence."""
    known = [word for word in words if word.lower() not in _UNKNOWN_WORDS]
    return known if known or not words else [UNKNOWN]


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _join(words: list[str]) -> str:
    """Concatenate words, keeping one space only between two Latin/number words ("iphone 12")."""
    text = ""
    for word in words:
        if text and _is_ascii_alnum(text[-1]) and _is_ascii_alnum(word[0]):
            text += " "
        text += word
    return text


def clean_transcript(text: str) -> str:
    """Recognizer text → text for the assistant: "尾号 六 六 六 六 的 卡" → "尾号6666的卡"."""
    return _join(_join_digit_runs(_without_unknown(text.split())))
