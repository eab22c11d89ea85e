"""Pure text normalization for Chinese user input (typed or from ASR).

No Rasa or spaCy imports here, so the FAQ checks (bot/faq) can use it without loading them.
"""

from __future__ import annotations

import unicodedata
from typing import List, Tuple

# Target punctuation set is ASCII; these are the marks NFKC leaves untouched.
_PUNCT_MAP = {
    "。": ".",
    "、": ",",
    "｡": ".",
    "､": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "《": '"',
    "》": '"',
    "〈": '"',
    "〉": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "【": "[",
    "】": "]",
    "〔": "[",
    "〕": "]",
    "〖": "[",
    "〗": "]",
    "—": "-",
    "–": "-",
    "―": "-",
    "−": "-",
    "〜": "~",
    "～": "~",
    "…": "...",
}


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _map_char(char: str) -> str:
    mapped = unicodedata.normalize("NFKC", char)
    mapped = "".join(_PUNCT_MAP.get(c, c) for c in mapped)
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in mapped)


def _mapped_chars(text: str) -> List[Tuple[str, int]]:
    """Each output character with the index of the input character it came from."""
    chars: List[Tuple[str, int]] = []
    for index, char in enumerate(text):
        chars.extend((c, index) for c in _map_char(char))
    return chars


def _protect_decimal_point(chars: List[Tuple[str, int]], text: str) -> None:
    """A Chinese full stop between digits is a sentence break, not a decimal point."""
    for pos in range(1, len(chars) - 1):
        char, origin = chars[pos]
        if char == "." and text[origin] == "。" and chars[pos - 1][0].isdigit() and chars[pos + 1][0].isdigit():
            chars[pos] = (";", origin)


def _squeeze_spaces(chars: List[Tuple[str, int]]) -> List[Tuple[str, int]]:
    """Drop whitespace except one space between two ASCII words or numbers.

    ASR output puts spaces between Chinese words ("我 想 查 余额"); those carry no
    meaning, while "138 1234 5678" or "apple pay" keep a single separator.
    """
    result: List[Tuple[str, int]] = []
    pending_space = None
    for char, origin in chars:
        if char.isspace():
            if pending_space is None:
                pending_space = origin
            continue
        if pending_space is not None and result and _is_ascii_alnum(result[-1][0]) and _is_ascii_alnum(char):
            result.append((" ", pending_space))
        pending_space = None
        result.append((char, origin))
    return result


def normalize_with_offsets(text: str) -> Tuple[str, List[int]]:
    """Normalize `text`; also return, per output character, its index in `text`."""
    chars = _mapped_chars(text)
    _protect_decimal_point(chars, text)
    chars = _squeeze_spaces(chars)
    return "".join(c for c, _ in chars), [origin for _, origin in chars]


def normalize_text(text: str) -> str:
    """Full-width → half-width, one punctuation set, ASR spaces removed, Latin lower-cased."""
    return normalize_with_offsets(text)[0]
