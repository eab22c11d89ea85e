"""Offline Mandarin speech: Hanzi → tone-numbered pinyin (pypinyin) → espeak-ng → PCM (sox).

espeak-ng reads Hanzi poorly on its own, so the text is turned into pinyin first and read with
the ``cmn-latn-pinyin`` voice, which takes "wei3 hao4 yao1 er4" literally. pypinyin guesses
polyphones from a general dictionary; a bank says 还款 (huán, not hái) and 重置 (chóng) all day,
so the readings that matter here are fixed in ``POLYPHONE_FIXES``.

The input is expected to be speakable already (``voice.speakable``), but nothing is ever read
in English: leftover Arabic digits are read digit by digit (幺 for 1) and Latin letters are
spelled the way Chinese speakers name them (App → A P P).

Resampling from espeak's 22050 Hz is done by sox rather than ``audioop.ratecv`` (used by
``voice.audio.resample``): ratecv has no low-pass filter, so at 8000 Hz the 4–11 kHz energy of
sibilants folds back into the band (a 6 kHz tone comes out at 79 % of its level with ratecv,
at 0.3 % with sox).
"""

import math
import re
import shutil
import subprocess
import sys
import unicodedata
from array import array
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from pypinyin import Style, lazy_pinyin

from nlu.value_wording import digits_one_by_one

APT_PACKAGES = {"espeak-ng": "espeak-ng", "sox": "sox"}
DEFAULT_VOICE = "cmn-latn-pinyin"
# espeak's default rate; with this voice it measures ~3.3 syllables a second including the pauses
# at commas on the greeting, which is calm enough for a phone line.
DEFAULT_SPEED_WPM = 175
DEFAULT_TIMEOUT_S = 10.0
CACHE_SIZE = 256

HANZI = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKENS = re.compile(rf"[{HANZI}]+|[A-Za-z]+|\S")
# Chinese punctuation → what espeak takes as a pause (comma) or a sentence end.
PAUSES = {
    **{c: "," for c in "，、：；,:;（）()—–-…～~"},
    **{c: "." for c in "。."},
    "！": "!",
    "!": "!",
    "？": "?",
    "?": "?",
}
# Letter names as Chinese speakers say them, in pinyin espeak can read.
LETTER_NAMES = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [
            "ei1",
            "bi4",
            "xi1",
            "di4",
            "yi4",
            "ai2 fu5",
            "ji4",
            "ei2 qi1",
            "ai4",
            "zhei4",
            "kai4",
            "ai2 le5",
            "ai2 mu5",
            "en1",
            "ou1",
            "pi4",
            "kiu1",
            "a4 er5",
            "ai2 si5",
            "ti4",
            "you1",
            "wei1",
            "da2 bu5 liu5",
            "ai2 ke5 si5",
            "wai4",
            "zei4",
        ],
        strict=True,
    )
)
# (a pattern matching one character in its context, its reading); pypinyin gets these wrong.
POLYPHONE_FIXES = [
    (
        re.compile(
            r"还(?=款|清|钱|贷|完|掉|够|最低|不够最低|一部分|多少|上|了)"
            r"|(?:(?<=[待应已未要想先只归退偿])|(?<=按时|自行|提前|主动|单独|全额|按期|全部|帮我|分期|逐月|按月|每期|每月|已经))还"
        ),
        "huan2",
    ),
    (re.compile(r"重(?=置|试|新|复|启|办|设)"), "chong2"),
    (re.compile(r"发(?=卡)"), "fa1"),
    (re.compile(r"调(?=低|高|整|额)"), "tiao2"),
    (re.compile(r"(?<![行成增生家队组科部校班局省市县院所处事])长(?![大辈])"), "chang2"),
    (re.compile(r"(?<!因)为(?![了您你我他她它此何什])"), "wei2"),
    (re.compile(r"(?<=[跨支分总])行"), "hang2"),
    (re.compile(r"没(?=收到)"), "mei2"),
    (re.compile(r"(?<=月)供"), "gong4"),
    (re.compile(r"一(?=月)"), "yi1"),
]


class Synthesizer(Protocol):
    def synthesize(self, text: str, sample_rate: int) -> bytes:
        """16-bit mono little-endian PCM of ``text`` at ``sample_rate`` (b"" for nothing to say)."""


class TtsError(RuntimeError):
    """Synthesis failed (a program exited with an error or timed out)."""


class TtsUnavailable(TtsError):
    """The TTS cannot work on this machine; the message says which Debian packages to install."""

    def __init__(self, problem: str, packages: Sequence[str]) -> None:
        self.packages = list(packages)
        super().__init__(f"{problem}; install with: sudo apt-get install -y {' '.join(packages)}")

    @classmethod
    def missing(cls, programs: Sequence[str]) -> "TtsUnavailable":
        verb = "is" if len(programs) == 1 else "are"
        return cls(
            f"speech output needs {' and '.join(programs)}, which {verb} not installed",
            [APT_PACKAGES[p] for p in programs],
        )


def to_pinyin(text: str) -> str:
    """The text espeak reads: "尾号1234。" → "wei3 hao4 yao1 er4 san1 si4."."""
    words: list[str] = []
    for token in TOKENS.findall(digits_one_by_one(unicodedata.normalize("NFKC", text))):
        if re.match(rf"[{HANZI}]", token):
            words.extend(_hanzi_pinyin(token))
        elif token.isascii() and token.isalpha():
            words.extend(LETTER_NAMES[c] for c in token.upper())
        elif token in PAUSES:
            words.append(PAUSES[token])
    spoken = re.sub(r" ([,.!?])", r"\1", " ".join(words))
    spoken = re.sub(r"([,.!?])[,.!?]+", r"\1", spoken)
    return spoken.lstrip(",.!? ")


def _no_pinyin(chars: str) -> list[str]:
    """One empty syllable per character without a reading, so syllables stay aligned with the run."""
    return ["" for _ in chars]


def _hanzi_pinyin(run: str) -> list[str]:
    # pypinyin's stubs say `errors` returns a str; its code and docs take a list as well.
    syllables = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True, errors=_no_pinyin)  # type: ignore[arg-type]
    if len(syllables) == len(run):
        for pattern, reading in POLYPHONE_FIXES:
            for match in pattern.finditer(run):
                syllables[match.start()] = reading
    return [s for s in syllables if s]


class EspeakSynthesizer:
    """Mandarin TTS with espeak-ng, cached per (text, rate): prompts repeat a lot on calls."""

    def __init__(
        self,
        speed_wpm: int = DEFAULT_SPEED_WPM,
        voice: str = DEFAULT_VOICE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.speed_wpm, self.voice, self.timeout_s = speed_wpm, voice, timeout_s
        self._cached = lru_cache(maxsize=cache_size)(self._synthesize)

    def check(self) -> None:
        """Raise ``TtsUnavailable`` unless a short phrase can be synthesised (for a start-up check)."""
        missing = [program for program in APT_PACKAGES if shutil.which(program) is None]
        if missing:
            raise TtsUnavailable.missing(missing)
        try:
            spoken = self._synthesize("你好", 8000)
        except TtsError as exc:
            raise TtsUnavailable(
                f"espeak-ng cannot speak with the voice {self.voice}: {exc}", list(APT_PACKAGES.values())
            ) from exc
        if not spoken:
            raise TtsUnavailable(f"espeak-ng voice {self.voice} produced no audio", list(APT_PACKAGES.values()))

    def synthesize(self, text: str, sample_rate: int) -> bytes:
        return self._cached(text, sample_rate)

    def _synthesize(self, text: str, sample_rate: int) -> bytes:
        pinyin = to_pinyin(text)
        if not re.search(r"[a-z]", pinyin):
            return b""
        wav = self._run(["espeak-ng", "-v", self.voice, "-s", str(self.speed_wpm), "--stdout"], pinyin)
        return self._run(
            [
                "sox",
                "-q",
                "-t",
                "wav",
                "-",
                "-t",
                "raw",
                "-r",
                str(sample_rate),
                "-e",
                "signed-integer",
                "-b",
                "16",
                "-c",
                "1",
                "-L",
                "-",
            ],
            wav,
        )

    def _run(self, command: list[str], data) -> bytes:
        stdin = data.encode("utf-8") if isinstance(data, str) else data
        try:
            done = subprocess.run(command, input=stdin, capture_output=True, timeout=self.timeout_s, check=False)
        except FileNotFoundError as exc:
            raise TtsUnavailable.missing([command[0]]) from exc
        except subprocess.TimeoutExpired as exc:
            raise TtsError(f"{command[0]} took longer than {self.timeout_s:g} s") from exc
        if done.returncode != 0:
            error = done.stderr.decode("utf-8", "replace").strip()
            raise TtsError(f"{command[0]} failed (exit {done.returncode}): {error}")
        return done.stdout


class ToneSynthesizer:
    """Test double: a 440 Hz tone, 60 ms for each non-space character; no subprocess."""

    MS_PER_CHAR = 60

    def synthesize(self, text: str, sample_rate: int) -> bytes:
        return _tone(sample_rate, self.MS_PER_CHAR) * len("".join(text.split()))


@lru_cache(maxsize=8)
def _tone(rate: int, ms: int) -> bytes:
    samples = array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate * ms // 1000)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()
