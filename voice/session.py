"""One phone call: inbound audio and keys in, the assistant's spoken replies out.

Three tasks share the call: the *listener* runs endpointing on every inbound frame and
does barge-in; the *recognizer* streams speech to the ASR and turns each utterance into a
caller turn; the *dialogue* takes turns one by one, asks the assistant and speaks. A
*watchdog* handles keypad pauses, silence (reprompt twice, then offer a human) and the
maximum call length. Transports only call ``feed_audio``, ``press`` and ``caller_hung_up``.
"""

import asyncio
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import AsyncIterable, List, Optional

from voice import prompts
from voice.asr_text import UNKNOWN, clean_transcript
from voice.assistant import Assistant, AssistantUnavailable, Reply
from voice.call_record import CallRecord, CallRecordStore
from voice.clock import Clock
from voice.config import CallSettings
from voice.dtmf import DtmfCollector
from voice.endpointing import Endpointer, NoiseDiscarded, SpeechAudio, SpeechEnded, SpeechStarted
from voice.menu import choose
from voice.player import CallOutput, Player
from voice.speech_out import SpeechOut, sentences
from voice.stt import DIGITS_GRAMMAR, Transcript
from voice.turn_end import looks_complete

log = logging.getLogger(__name__)
ASKS_FOR_DIGITS = re.compile(r"验证码|手机号|尾号|后四位|卡号")
WATCH_INTERVAL_S = 0.05


@dataclass
class Turn:
    kind: str  # speech | dtmf | no_input
    text: str = ""
    confidence: Optional[float] = None
    speech_end: Optional[float] = None  # call time the caller stopped speaking


@dataclass
class _UtteranceEnd:
    audio: bytes
    speech_end: float


@dataclass
class _UseGrammar:
    phrases: Optional[tuple]


class _Discard:
    """The endpointer dropped a noise burst: forget what the recognizer heard of it."""


class CallSession:
    def __init__(
        self,
        call_id: str,
        output: CallOutput,
        assistant: Assistant,
        recognizer,
        synthesizer,
        settings: CallSettings,
        clock: Clock,
        transport: str = "test",
        store: Optional[CallRecordStore] = None,
        conversation_id: Optional[str] = None,
    ) -> None:
        self.call_id, self.settings, self.clock, self.store = call_id, settings, clock, store
        self.output, self.assistant, self.recognizer = output, assistant, recognizer
        self.conversation_id = conversation_id or call_id
        self.record = CallRecord(call_id, self.conversation_id, transport)
        self.player = Player(output, clock, settings.sample_rate)
        self.speech_out = SpeechOut(synthesizer, settings.sample_rate)
        # The call's own decoding thread: its speech never waits behind other calls' work (TTS,
        # records) in the shared pool, and the recognizer is fed from one thread only.
        self._asr_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"asr-{call_id}")
        self.endpointer = Endpointer(settings.sample_rate, settings.endpoint, turn_is_complete=self._words_are_a_turn)
        self.dtmf = DtmfCollector(settings.dtmf_timeout_s)
        self.latencies: List[float] = []  # end of caller speech → first frame of the answer
        self.turn_silences: List[float] = []  # silence waited before each spoken turn ended
        self.barge_ins = 0
        self.menu: List[dict] = []
        self._inbound: asyncio.Queue = asyncio.Queue()
        self._speech: asyncio.Queue = asyncio.Queue()
        self._turns: asyncio.Queue = asyncio.Queue()
        self._ended = asyncio.Event()
        self._end_reason = ""
        self._interrupted = False
        self._busy = True  # greeting first; no-input counts only while the caller has the floor
        self._floor_since = 0.0
        self._silent_turns = 0
        self._marks = 0
        self._heard: List[Transcript] = []  # phrases Vosk already ended within the current utterance
        self._partial = ""  # the recognizer's latest partial text after those phrases
        self._ends_queued = 0  # utterance ends the recognizer has not handled yet
        self._recognizing = False  # an utterance is being turned into a caller turn
        self._speaking = False  # an answer is being played (or synthesised between its sentences)
        self._grammar: Optional[tuple] = None  # phrases the recognizer is restricted to
        self._wanted_grammar: Optional[tuple] = None
        self._unsaid: List[str] = []  # sentences of the current answer not yet played to the end

    # ------------------------------------------------------------------ transport side
    def feed_audio(self, pcm: bytes) -> None:
        if not self._ended.is_set():
            self._inbound.put_nowait(pcm)

    def press(self, key: str) -> None:
        if self._ended.is_set():
            return
        entry = self.dtmf.press(key, self.clock.now(), menu_size=len(self.menu))
        self.record.add(self.clock.now(), "key", "•" if key.isdigit() else key)  # the whole entry is kept masked
        self._barge_in("keypad")
        self._floor_since = self.clock.now()
        if entry:
            self._turns.put_nowait(Turn("dtmf", entry))

    def caller_hung_up(self) -> None:
        if self.endpointer.in_speech:
            self.record.add(self.clock.now(), "event", "caller hung up while speaking; utterance dropped")
        self._end("caller_hung_up")

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    @property
    def waiting_for_caller(self) -> bool:
        """The bot has said everything and nothing the caller did is still being processed."""
        return (
            not self._busy
            and not self._speaking
            and not self._recognizing
            and not self.endpointer.in_speech
            and self._turns.empty()
            and self._speech.empty()
        )

    # ------------------------------------------------------------------ the call
    async def run(self) -> CallRecord:
        self.record.add(0.0, "event", "call started")
        tasks = [asyncio.create_task(job()) for job in (self._listen, self._recognize, self._watch, self._converse)]
        try:
            await self._ended.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._close()
        return self.record

    async def _close(self) -> None:
        self.record.finish(self.clock.now(), self._end_reason or "ended")
        if hasattr(self.recognizer, "close"):  # a pooled recognizer goes back for the next call
            await self._asr(self.recognizer.close)
        self._asr_thread.shutdown(wait=False)
        if self._end_reason != "caller_hung_up":
            await _quietly(self.output.hang_up())
        if self.store is not None:
            try:
                await asyncio.to_thread(self.store.save, self.record)
            except Exception:  # the call is over either way; keep serving others
                log.exception("call %s: could not store the call record", self.call_id)

    def _end(self, reason: str) -> None:
        if not self._ended.is_set():
            self._end_reason = reason
            self.player.stop()
            self._ended.set()

    # ------------------------------------------------------------------ listener
    async def _listen(self) -> None:
        while True:
            pcm = await self._inbound.get()
            for event in self.endpointer.feed_audio(pcm):
                self._on_speech_event(event)

    def _on_speech_event(self, event) -> None:
        if isinstance(event, SpeechStarted):
            self._barge_in("speech")
        elif isinstance(event, SpeechAudio):
            self._speech.put_nowait(event.pcm)
        elif isinstance(event, NoiseDiscarded):
            self._ends_queued += 1
            self._speech.put_nowait(_Discard())
        elif isinstance(event, SpeechEnded):
            self._ends_queued += 1
            trailing_s = (self.endpointer.elapsed_ms - event.at_ms) / 1000
            self.turn_silences.append(trailing_s)
            self._speech.put_nowait(_UtteranceEnd(event.audio, self.clock.now() - trailing_s))

    def _barge_in(self, cause: str) -> None:
        if self._speaking and not self._interrupted:
            self.barge_ins += 1
            self._interrupted = True
            self.player.stop()
            self.record.add(self.clock.now(), "event", f"barge-in ({cause}): playback stopped")
            asyncio.get_running_loop().create_task(_quietly(self.output.clear()))

    # ------------------------------------------------------------------ recognizer
    async def _recognize(self) -> None:
        while True:
            item = await self._speech.get()
            if isinstance(item, bytes):
                item = await self._accept_audio(item)
            if isinstance(item, _UtteranceEnd):
                self._recognizing = True
                try:
                    await self._finish_utterance(item)
                finally:
                    self._recognizing = False
                    self._ends_queued -= 1
            elif isinstance(item, _UseGrammar):
                self._wanted_grammar = item.phrases
                await self._asr(self._apply_grammar)
            elif isinstance(item, _Discard):
                await self._asr(self.recognizer.finish)
                self._heard, self._partial = [], ""
                self._ends_queued -= 1
                if self._interrupted and (self._unsaid or self._speaking):  # speaking: more may still come
                    self.record.add(self.clock.now(), "event", "only noise: the answer resumes")
                    self._turns.put_nowait(Turn("resume"))

    async def _asr(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._asr_thread, function, *args)

    async def _accept_audio(self, first: bytes):
        """Decodes all the speech queued so far in one go (one thread hop per batch, not per
        20 ms frame, so a busy event loop cannot make the recognizer fall behind); returns the
        first queued item that is not audio, if any."""
        batch, item = [first], None
        while not self._speech.empty():
            item = self._speech.get_nowait()
            if not isinstance(item, bytes):
                break
            batch.append(item)
            item = None
        result = await self._asr(self.recognizer.accept, b"".join(batch))
        if result is not None and result.final and result.text:  # Vosk ended a phrase on its own
            self._heard.append(result)
            self._partial = ""
        elif result is not None and not result.final:
            self._partial = result.text
        return item

    def _words_are_a_turn(self) -> bool:
        """Asked by the endpointer during a short pause: do the words heard so far make a whole
        turn? The partial text may lag the audio a little; a lagging prefix only means waiting. While
        an earlier utterance is still being finished, the partial text is that one's: wait."""
        if self._ends_queued:
            return False
        return looks_complete(" ".join([phrase.text for phrase in self._heard] + [self._partial]))

    async def _finish_utterance(self, end: _UtteranceEnd) -> None:
        result = joined(self._heard + [await self._asr(self.recognizer.finish)])
        self._heard, self._partial = [], ""
        if clean_transcript(result.text) in ("", UNKNOWN) and self._grammar is not None:  # 尾号幺二三四: [unk]
            result = await self._asr(self._decode_freely, end.audio)
        await self._asr(self._apply_grammar)
        self._floor_since = self.clock.now()
        self._turns.put_nowait(Turn("speech", clean_transcript(result.text), result.confidence, end.speech_end))

    def _decode_freely(self, audio: bytes):
        """A grammar found nothing: the caller said something else, so listen again without it."""
        self.recognizer.set_grammar(None)
        self._grammar = None
        first = self.recognizer.accept(audio)
        earlier = [first] if first is not None and first.final else []
        return joined(earlier + [self.recognizer.finish()])

    def _apply_grammar(self) -> None:
        """Runs between utterances, in the recognizer's thread."""
        wanted = self._wanted_grammar
        if wanted == self._grammar or not hasattr(self.recognizer, "set_grammar"):
            return
        try:
            self.recognizer.set_grammar(list(wanted) if wanted else None)
        except RuntimeError:  # the caller is already speaking again: apply after this utterance
            return
        except ValueError as exc:  # the model does not know these words
            log.warning("call %s: grammar not used: %s", self.call_id, exc)
            self._wanted_grammar = None
            return
        self._grammar = wanted

    # ------------------------------------------------------------------ watchdog
    async def _watch(self) -> None:
        while True:
            await self.clock.sleep(WATCH_INTERVAL_S)
            now = self.clock.now()
            if now >= self.settings.max_call_s:
                self._interrupted = True
                self.player.stop()
                self._turns.put_nowait(Turn("too_long"))
                return
            entry = self.dtmf.due(now)
            if entry:
                self._turns.put_nowait(Turn("dtmf", entry))
            elif self._caller_silent_since(now) >= self.settings.no_input_s:
                self._floor_since = now
                self._turns.put_nowait(Turn("no_input"))

    def _caller_silent_since(self, now: float) -> float:
        if self._busy or self.endpointer.in_speech or self.dtmf.digits:
            return 0.0
        return now - self._floor_since

    # ------------------------------------------------------------------ dialogue
    async def _converse(self) -> None:
        try:
            await self._ask(prompts.GREETING_INTENT, via="system")
            # Not `while True`: on Python 3.10 a hang-up during playback can lose this task's
            # cancellation (asyncio.wait_for in Player returns when stop() and cancel() coincide).
            while not self._ended.is_set():
                self._hand_floor_to_caller()
                turn = await self._turns.get()
                self._busy = True
                await self._take(turn)
        except AssistantUnavailable as exc:
            log.error("call %s: assistant unavailable: %s", self.call_id, exc)
            self.record.add(self.clock.now(), "event", "assistant unavailable")
            await self._say_text(prompts.ASSISTANT_DOWN)
            self._end("assistant_unavailable")

    def _hand_floor_to_caller(self) -> None:
        self._busy = False
        self._floor_since = self.clock.now()

    async def _take(self, turn: Turn) -> None:
        if turn.kind == "too_long":
            await self._say_text(prompts.CALL_TOO_LONG)
            self._end("max_call_length")
        elif turn.kind == "no_input":
            await self._no_input()
        elif turn.kind == "resume":  # a cough cut the bot off: go on from the cut sentence
            await self._speak_sentences(_queued(self._unsaid), None)
        elif turn.kind == "speech" and not turn.text:
            self.record.add(self.clock.now(), "caller", "(未识别)", turn.confidence)
            await self._say_text(prompts.NOT_HEARD)
        else:
            self._silent_turns = 0
            self.record.add(self.clock.now(), "caller" if turn.kind == "speech" else "dtmf", turn.text, turn.confidence)
            await self._ask(self._message_for(turn), via=turn.kind, turn=turn)

    async def _no_input(self) -> None:
        self._silent_turns += 1
        self.record.add(self.clock.now(), "event", f"no input ({self._silent_turns})")
        if self._silent_turns <= self.settings.max_reprompts:
            await self._say_text(prompts.REPROMPT)
            return
        await self._ask(prompts.OFFER_HUMAN_INTENT, via="system")
        self._end("no_input")

    def _message_for(self, turn: Turn) -> str:
        return (choose(self.menu, turn.text) if self.menu else None) or turn.text

    async def _ask(self, text: str, via: str, turn: Optional[Turn] = None) -> None:
        metadata: dict = {"call_id": self.call_id, "via": via}
        if turn is not None and turn.confidence is not None:
            metadata["asr_confidence"] = round(turn.confidence, 3)
        due: asyncio.Queue = asyncio.Queue()
        fetching = asyncio.create_task(self._fetch(text, metadata, due))
        try:
            await self._speak_sentences(due, turn.speech_end if turn else None)
            replies = await fetching  # raises AssistantUnavailable if the assistant failed
        finally:
            fetching.cancel()
        if self._interrupted:  # what arrived after the cut is unsaid too
            self._unsaid += _drained(due)
        if any(reply.ends_call for reply in replies) and not self._interrupted:
            self._end("goodbye")

    async def _fetch(self, text: str, metadata: dict, due: asyncio.Queue) -> List[Reply]:
        """The assistant's replies, each recorded and queued for speech as it arrives; once all
        are in, the menu and the recognizer's grammar for the caller's answer."""
        replies: List[Reply] = []
        try:
            async for reply in self.assistant.stream(self.conversation_id, text, metadata):
                replies.append(reply)
                self.record.add(self.clock.now(), "bot", reply.text + _buttons_note(reply))
                for sentence in sentences([reply]):
                    due.put_nowait(sentence)
        finally:
            due.put_nowait(None)
        self.menu = next((r.buttons for r in reversed(replies) if r.buttons), [])
        wants_digits = bool(replies) and bool(ASKS_FOR_DIGITS.search(replies[-1].text))
        self._speech.put_nowait(_UseGrammar(tuple(DIGITS_GRAMMAR) if wants_digits else None))
        return replies

    async def _say_text(self, text: str) -> None:
        self.record.add(self.clock.now(), "bot", text)
        await self._speak_sentences(_queued(sentences([Reply(text)])), None)

    async def _speak_sentences(self, due: asyncio.Queue, speech_end: Optional[float]) -> None:
        """Speaks the queued sentences until a None; ``_unsaid`` keeps those not yet spoken."""
        self._interrupted, self._speaking = False, True
        self._unsaid, pulled = [], 0

        async def texts():
            nonlocal pulled
            while (text := await due.get()) is not None:
                self._unsaid.append(text)
                pulled += 1
                yield text

        try:
            await self._play_sentences(texts(), speech_end)
        finally:
            self._speaking = False
        if self._interrupted:
            self._unsaid += _drained(due)
        elif pulled and hasattr(self.output, "mark"):
            self._marks += 1
            await _quietly(self.output.mark(f"answer-{self._marks}"))

    async def _play_sentences(self, texts: AsyncIterable[str], speech_end: Optional[float]) -> None:
        async for pcm in self.speech_out.audio(texts):
            if self._interrupted or self._ended.is_set():
                return
            completed = await self.player.play(pcm) if pcm else True
            if speech_end is not None and pcm and self.player.first_frame_at is not None:
                self.latencies.append(self.player.first_frame_at - speech_end)
                speech_end = None
            if not completed:
                return
            self._unsaid.pop(0)


def joined(parts: List[Transcript]) -> Transcript:
    """One utterance's transcript from the phrases the recognizer returned for it."""
    return Transcript(" ".join(p.text for p in parts if p.text), [w for p in parts for w in p.words], final=True)


def _queued(texts: List[str]) -> asyncio.Queue:
    queue: asyncio.Queue = asyncio.Queue()
    for text in [*texts, None]:
        queue.put_nowait(text)
    return queue


def _drained(queue: asyncio.Queue) -> List[str]:
    """The texts still in ``queue``, without its closing None."""
    texts = []
    while not queue.empty():
        text = queue.get_nowait()
        if text is not None:
            texts.append(text)
    return texts


def _buttons_note(reply: Reply) -> str:
    titles = [str(b.get("title", "")) for b in reply.buttons]
    return f" [选项: {' / '.join(titles)}]" if titles else ""


async def _quietly(awaitable) -> None:
    try:
        await awaitable
    except Exception:  # a vanished peer must not break the rest of the call's cleanup
        log.debug("ignored error on a closing call", exc_info=True)
