"""Test doubles for calls: a recognizer that returns scripted Chinese text for each speech
segment the real endpointer finds, an assistant with canned replies, caller audio from
espeak-ng, an output that records what the bot sent, and an observer that logs the call."""

import asyncio
from typing import Dict, List, Optional, Sequence, Tuple

from voice.assistant import Reply
from voice.audio import silence
from voice.call_events import CallObserver
from voice.call_record import CallRecord
from voice.call_state import GREETING, CallState
from voice.stt import Transcript, Word
from voice.tts import EspeakSynthesizer, ToneSynthesizer


class ScriptedRecognizer:
    """``finish()`` gives the next scripted text, one per utterance; audio is only counted."""

    def __init__(self, texts: Sequence[str], confidence: float = 0.9) -> None:
        self.texts = list(texts)
        self.confidence = confidence
        self.bytes_heard = 0
        self.utterances: List[int] = []  # bytes of audio per finished utterance
        self.grammars: List[Optional[list]] = []

    def accept(self, pcm: bytes):
        self.bytes_heard += len(pcm)
        return None

    def finish(self) -> Transcript:
        self.utterances.append(self.bytes_heard)
        self.bytes_heard = 0
        text = self.texts.pop(0) if self.texts else ""
        words = [Word(text, 0.0, 1.0, self.confidence)] if text else []
        return Transcript(text, words, final=True)

    def set_grammar(self, phrases) -> None:
        self.grammars.append(phrases)


class CannedAssistant:
    """Replies by the message received: ``{"/greet": [Reply("您好")], "查账单": [...]}``;
    anything else is echoed. Keeps every message with its metadata. Streams the replies
    ``delay_s`` after the message, then one every ``gap_s``."""

    def __init__(
        self, replies: Optional[Dict[str, List[Reply]]] = None, delay_s: float = 0.0, gap_s: float = 0.0
    ) -> None:
        self.replies = replies or {}
        self.delay_s, self.gap_s = delay_s, gap_s
        self.received: List[Tuple[str, str, dict]] = []

    async def send(self, conversation_id: str, text: str, metadata: Optional[dict] = None) -> List[Reply]:
        self.received.append((conversation_id, text, metadata or {}))
        await asyncio.sleep(self.delay_s)
        return self.replies.get(text, [Reply(f"您说的是：{text}")])

    async def stream(self, conversation_id: str, text: str, metadata: Optional[dict] = None):
        for index, reply in enumerate(await self.send(conversation_id, text, metadata)):
            if index:
                await asyncio.sleep(self.gap_s)
            yield reply

    async def close(self) -> None:
        pass


class RecordingOutput:
    """A transport's output side that keeps everything the session sent."""

    def __init__(self) -> None:
        self.frames: List[bytes] = []
        self.clears = 0
        self.marks: List[str] = []
        self.hung_up = False

    async def send_audio(self, pcm: bytes) -> None:
        self.frames.append(pcm)

    async def clear(self) -> None:
        self.clears += 1

    async def mark(self, name: str) -> None:
        self.marks.append(name)

    async def hang_up(self) -> None:
        self.hung_up = True


class CallLog(CallObserver):
    """The states a call went through, in order, and the latency of each answer (end of the
    caller's speech → the answer's first frame)."""

    def __init__(self) -> None:
        self.states: List[CallState] = [GREETING]
        self.latencies: List[float] = []

    def state_changed(self, old: CallState, new: CallState, at: float) -> None:
        self.states.append(new)

    def answer_started(self, speech_end: float, first_frame_at: float) -> None:
        self.latencies.append(first_frame_at - speech_end)


def barge_ins(record: CallRecord) -> int:
    return sum(entry.text.startswith("barge-in") for entry in record.entries if entry.who == "event")


SPOKEN_DIGITS = "零幺二三四五六七八九"


def read_out(digits: str) -> str:
    """Digits as a caller says them: 138 → 幺三八."""
    return "".join(SPOKEN_DIGITS[int(d)] for d in digits)


_espeak = EspeakSynthesizer()


def spoken(text: str, rate: int) -> bytes:
    """Real synthesized Mandarin speech for ``text``."""
    return _espeak.synthesize(text, rate)


def caller_audio(script: Sequence[Tuple[float, str]], rate: int, tail_s: float = 0.0) -> bytes:
    """``[(1.0, "查账单"), (3.0, "谢谢")]``: silence of the given seconds, then the phrase spoken."""
    audio = b""
    for pause_s, text in script:
        audio += silence(rate, int(pause_s * 1000)) + spoken(text, rate)
    return audio + silence(rate, int(tail_s * 1000))


def tone_synthesizer() -> ToneSynthesizer:
    return ToneSynthesizer()


def regraphed_decoders(monkeypatch) -> list:
    """The Vosk decoders that get ``SetGrammar`` from now on (it rebuilds the decoding graph)."""
    import vosk

    regraphed = []
    original = vosk.KaldiRecognizer.SetGrammar
    monkeypatch.setattr(
        vosk.KaldiRecognizer,
        "SetGrammar",
        lambda decoder, grammar: regraphed.append(decoder) or original(decoder, grammar),
    )
    return regraphed
