"""The stages a call session is made of, as typed interfaces (``typing.Protocol``): the concrete
classes satisfy them by their methods alone, and mypy checks that they do (``_conformance``).

transport in → endpointer → recognizer → assistant → synthesizer → player → transport out
"""

from typing import TYPE_CHECKING, Optional, Protocol, Sequence, runtime_checkable

from voice.assistant import Assistant
from voice.player import CallOutput
from voice.stt import Transcript
from voice.tts import Synthesizer

__all__ = [
    "Assistant",
    "CallOutput",
    "GrammarRecognizer",
    "MarkingOutput",
    "PooledStage",
    "SpeechRecognizer",
    "Synthesizer",
]


class SpeechRecognizer(Protocol):
    """Streaming recognition of one call's audio, utterance after utterance."""

    def accept(self, pcm: bytes) -> Optional[Transcript]:
        """Audio in; a final transcript when the recognizer ended a phrase itself, a partial one
        when its running text changed, else None."""

    def finish(self) -> Transcript:
        """The final transcript of the utterance so far; the next ``accept`` starts a new one."""


@runtime_checkable
class GrammarRecognizer(SpeechRecognizer, Protocol):
    def set_grammar(self, phrases: Optional[Sequence[str]]) -> None:
        """Only ``phrases`` from the next utterance on (None: anything). Raises RuntimeError
        mid-utterance, ValueError when the model knows none of the words."""


@runtime_checkable
class PooledStage(Protocol):
    def close(self) -> None:
        """The call is over: back to the pool it came from, for the next call."""


@runtime_checkable
class MarkingOutput(CallOutput, Protocol):
    async def mark(self, name: str) -> None:
        """Asks the far end to tell when it has played everything sent so far."""


if TYPE_CHECKING:
    from voice.assistant import RasaAssistant
    from voice.neural_tts import NeuralSynthesizer
    from voice.recognizers import PooledRecognizer
    from voice.stt import Recognizer
    from voice.transports.audiosocket import AudioSocketOutput
    from voice.transports.microphone import SpeakerOutput
    from voice.transports.twilio import TwilioOutput
    from voice.transports.wavfile import TimelineOutput
    from voice.tts import EspeakSynthesizer, ToneSynthesizer

    def _conformance(
        rasa: RasaAssistant,
        vosk: Recognizer,
        pooled: PooledRecognizer,
        espeak: EspeakSynthesizer,
        neural: NeuralSynthesizer,
        tone: ToneSynthesizer,
        audiosocket: AudioSocketOutput,
        speaker: SpeakerOutput,
        twilio: TwilioOutput,
        timeline: TimelineOutput,
    ) -> None:
        assistants: list[Assistant] = [rasa]
        recognizers: list[GrammarRecognizer] = [vosk, pooled]
        pools: list[PooledStage] = [pooled]
        synthesizers: list[Synthesizer] = [espeak, neural, tone]
        outputs: list[CallOutput] = [audiosocket, speaker, twilio, timeline]
        marking: list[MarkingOutput] = [twilio]
        del assistants, recognizers, pools, synthesizers, outputs, marking
