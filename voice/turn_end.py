"""Whether the caller's words so far already make a whole turn.

The endpointer waits `end_silence_ms` (700 ms) before it ends a turn, because people pause
inside a sentence. When the recognizer's text is plainly finished, a short pause is enough:
the answer to a yes/no question, a whole one-time code or mobile number, a question that
ends like a question. Anything else keeps the long wait, so a pause after "我想问一下" or
after the first digits of a number never cuts the caller off.
"""

import re

from voice.asr_text import clean_transcript
from voice.stt import YES_NO_GRAMMAR

# A one-time code (6 digits) and a mobile number (11): what the bot asks to be read out.
# Card and ID numbers are said in groups, and a group can be 4 or 6 digits long, so they wait.
WHOLE_NUMBER_LENGTHS = (6, 11)
LEAD_IN_MAX_CHARS = 8  # "我的手机号是" before the digits
QUESTION_ENDINGS = (
    "吗",
    "呢",
    "么",
    "嘛",
    "多少",
    "多少钱",
    "几号",
    "几天",
    "多久",
    "多长时间",
    "什么时候",
    "怎么办",
    "怎么弄",
    "为什么",
    "是什么",
    "在哪",
    "在哪里",
    "是不是",
    "能不能",
    "可不可以",
    "行不行",
)
_PUNCTUATION = re.compile(r"[\s，。！？、,.!?]+")
_TRAILING_DIGITS = re.compile(r"(\d+)$")


def looks_complete(recognized: str) -> bool:
    """True when ``recognized`` (recognizer words, partial or final) is a finished turn."""
    text = _PUNCTUATION.sub("", clean_transcript(recognized))
    if not text:
        return False
    digits = _TRAILING_DIGITS.search(text)
    if digits:
        lead_in = text[: digits.start()]
        return len(digits.group(1)) in WHOLE_NUMBER_LENGTHS and len(lead_in) <= LEAD_IN_MAX_CHARS
    return text in YES_NO_GRAMMAR or text.endswith(QUESTION_ENDINGS)
