"""One phone call: inbound audio and keys in, the assistant's spoken replies out.

Five tasks share the call: the *listener* runs endpointing on every inbound frame and does
barge-in; the *recognizer* streams speech to the ASR and turns each utterance into a caller turn;
the *dialogue* takes turns one by one, asks the assistant and speaks; the *watchdog* handles keypad
pauses, silence (reprompt twice, then offer a human) and the maximum call length; the *relay*
passes an agent's voice to the caller. Where the call is (greeting, listening, speaking, …) is
``states`` (voice/call_state.py lists the moves).
Transports only call ``feed_audio``, ``press`` and ``caller_hung_up``; the agent desk calls
``join_agent``, ``agent_audio`` and ``agent_left`` (a person takes the call over, then hands it back).
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import AsyncIterable, Callable, Coroutine, List, Optional, Sequence

from voice import prompts
from voice.asr_text import clean_transcript
from voice.assistant import AssistantUnavailable, Reply
from voice.audio import WIDEBAND_RATE, Framer, Resampler
from voice.call_events import CallObserver
from voice.call_recognizer import CallRecognizer
from voice.call_record import CallRecord, CallRecordStore
from voice.call_state import (
    BOT_HAS_FLOOR,
    COLLECTING_KEYS,
    ENDED,
    HANDING_OFF,
    LISTENING,
    RECOGNIZING,
    SPEAKING,
    THINKING,
    WITH_AGENT,
    CallState,
    CallStates,
    IllegalTransition,
)
from voice.clock import Clock
from voice.config import CallSettings
from voice.dtmf import DtmfCollector
from voice.endpointing import Endpointer, NoiseDiscarded, SpeechAudio, SpeechEnded, SpeechStarted
from voice.menu import choose
from voice.player import Player
from voice.slot_grammars import grammar_for
from voice.speech_out import SpeechOut, sentences
from voice.stages import Assistant, CallOutput, MarkingOutput, SpeechRecognizer, Synthesizer
from voice.turn_end import looks_complete
from voice.turns import Turn, TurnKind

log = logging.getLogger(__name__)
WATCH_INTERVAL_S = 0.05


@dataclass
class _UtteranceEnd:
    audio: bytes
    speech_end: float


@dataclass
class _UseGrammar:
    phrases: Optional[tuple]


class _Discard:
    """The endpointer dropped a noise burst: forget what the recognizer heard of it."""


class _Forget:
    """An agent took the call over: forget what the recognizer heard of the caller's utterance."""


@dataclass
class _HandBack:
    """The agent handed the call back: the bot says these, then the caller has the floor."""

    replies: Sequence[str]


class _Clear:
    """Drop what the far end still has queued of the bot's audio (an agent took over)."""


@dataclass
class _Agent:
    name: str
    hear: Callable[[bytes], None]
    from_caller: Resampler  # the call's rate → 16 kHz, for the agent
    to_caller: Resampler  # 16 kHz → the call's rate
    frames: Framer  # the agent's voice in whole 20 ms frames of the call
    hear_failed: bool = False


class CallSession:
    def __init__(
        self,
        call_id: str,
        output: CallOutput,
        assistant: Assistant,
        recognizer: SpeechRecognizer,
        synthesizer: Synthesizer,
        settings: CallSettings,
        clock: Clock,
        transport: str = "test",
        store: Optional[CallRecordStore] = None,
        conversation_id: Optional[str] = None,
        observer: Optional[CallObserver] = None,
    ) -> None:
        self.call_id, self.settings, self.clock, self.store = call_id, settings, clock, store
        self.output, self.assistant = output, assistant
        self.conversation_id = conversation_id or call_id
        self.observer = observer or CallObserver()
        self.record = CallRecord(call_id, self.conversation_id, transport)
        self.states = CallStates(clock.now, self._state_changed)
        self.player = Player(output, clock, settings.sample_rate)
        self.speech_out = SpeechOut(synthesizer, settings.sample_rate)
        self.recognition = CallRecognizer(recognizer, call_id)
        self.endpointer = self._new_endpointer()
        self.dtmf = DtmfCollector(settings.dtmf_timeout_s)
        self.menu: List[dict] = []
        self._inbound: asyncio.Queue = asyncio.Queue()
        self._speech: asyncio.Queue = asyncio.Queue()
        self._turns: asyncio.Queue = asyncio.Queue()
        self._ended = asyncio.Event()
        self._end_reason = ""
        self._interrupted = False  # the caller cut off the latest answer
        self._unsaid: List[str] = []  # sentences of the latest answer not yet played to the end
        self._ends_queued = 0  # utterance ends the recognizer has not handled yet
        self._silent_turns = 0
        self._waiting_for_person = False  # handed to the agent desk, not taken yet: on hold, not silent
        self._marks = 0
        self._agent: Optional[_Agent] = None
        self._agent_joins = 0  # a caller turn recognized across a join belongs to before it: dropped
        self._to_caller: asyncio.Queue = asyncio.Queue()  # the agent's voice (and a clear) for the relay
        self._bot_turn: Optional[asyncio.Task] = None  # what the bot is doing: an agent joining cancels it
        self._closing = False  # the call will end after its last notice: no agent can take it any more

    # ------------------------------------------------------------------ transport side
    def feed_audio(self, pcm: bytes) -> None:
        if not self._ended.is_set():
            self._inbound.put_nowait(pcm)

    def press(self, key: str) -> None:
        if self._ended.is_set():
            return
        masked = "•" if key.isdigit() else key  # the whole entry is kept masked
        if self.with_agent:  # kept, but the bot takes no entry while a person holds the call
            self.record.add(self.clock.now(), "key", masked)
            return
        entry = self.dtmf.press(key, self.clock.now(), menu_size=len(self.menu))
        self.record.add(self.clock.now(), "key", masked)
        self._barge_in("keypad")
        if entry:
            self._turns.put_nowait(Turn(TurnKind.KEYS, entry))
        elif self.dtmf.digits and self.states.state is LISTENING:
            self.states.go(COLLECTING_KEYS)
        elif not self.dtmf.digits and self.states.state is COLLECTING_KEYS:  # * erased the entry
            self.states.go(LISTENING)

    def caller_hung_up(self) -> None:
        if self.endpointer.in_speech:
            self.record.add(self.clock.now(), "event", "caller hung up while speaking; utterance dropped")
        self._end("caller_hung_up")

    def hang_up(self, reason: str) -> None:
        """The bank's side ends the call (an agent closed the conversation): the line is hung up."""
        self._end(reason)

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    @property
    def state(self) -> CallState:
        return self.states.state

    @property
    def waiting_for_caller(self) -> bool:
        """The bot has said everything and nothing the caller did is still being processed."""
        return (
            self.states.state in (LISTENING, COLLECTING_KEYS)
            and not self.endpointer.in_speech
            and self._turns.empty()
            and self._speech.empty()
        )

    # ------------------------------------------------------------------ agent desk side
    @property
    def with_agent(self) -> bool:
        """A person holds the call (``WITH_AGENT``)."""
        return self.states.state is WITH_AGENT

    def join_agent(self, name: str, hear: Callable[[bytes], None]) -> None:
        """The agent ``name`` takes the call over: the bot stops at once (what it had not said yet
        is dropped, not resumed later), the turn it was taking is abandoned (an answer still on its
        way is never spoken), and a half-heard utterance, pending turns and keys are forgotten.
        From now on every frame from the caller goes to ``hear`` as 16 kHz 16-bit mono PCM instead
        of to the recognizer. Joining again (the agent reconnected, or a colleague took over)
        replaces the listener. No effect once the call is over or closing (its maximum length was
        reached, or the assistant is down): ``with_agent`` tells whether the agent holds the call."""
        if self._ended.is_set() or self._closing:
            return
        rate = self.settings.sample_rate
        self._agent = _Agent(name, hear, Resampler(rate, WIDEBAND_RATE), Resampler(WIDEBAND_RATE, rate), Framer(rate))
        if self.with_agent:
            self.record.add(self.clock.now(), "event", f"agent joined: {name}")
            self.observer.agent_joined(name)
            return
        self.player.stop()
        if self._bot_turn is not None:
            self._bot_turn.cancel()
        self._interrupted, self._unsaid, self._silent_turns = False, [], 0
        self._waiting_for_person = False
        self._forget_the_caller()
        self.states.go(WITH_AGENT)
        self._to_caller.put_nowait(_Clear())
        self.record.add(self.clock.now(), "event", f"agent joined: {name}")
        self.observer.agent_joined(name)

    def agent_audio(self, pcm16k: bytes) -> None:
        """The agent's voice, 16 kHz 16-bit mono PCM as it arrives from their microphone: to the
        caller at the call's rate, in order, unpaced. Ignored unless an agent holds the call;
        ValueError if it is not 16-bit PCM."""
        if len(pcm16k) % 2:
            raise ValueError(f"agent audio of {len(pcm16k)} bytes is not 16-bit PCM")
        if not self.with_agent or self._agent is None:
            return
        for frame in self._agent.frames.push(self._agent.to_caller.convert(pcm16k)):
            self._to_caller.put_nowait(frame)

    def agent_left(self, replies: Sequence[str] = ()) -> None:
        """The agent hands the call back: the bot says ``replies`` (its hand-back notice, already
        worded), then listens with a fresh endpointer; the caller's next utterance goes to the
        assistant. Ignored unless an agent holds the call."""
        if not self.with_agent or self._agent is None:
            return
        name, self._agent = self._agent.name, None
        self.endpointer = self._new_endpointer()
        self._silent_turns = 0
        self.record.add(self.clock.now(), "event", f"agent left: {name}")
        if replies:
            self.states.go(SPEAKING)
            self._turns.put_nowait(_HandBack(tuple(replies)))
        else:
            self.states.go(LISTENING)
        self.observer.agent_left()

    def _forget_the_caller(self) -> None:
        """What the caller had begun is not a turn for the bot any more: the utterance being heard,
        the turns and keys not yet taken, the options and the grammar of the bot's last question."""
        heard_some = self.endpointer.in_speech
        self._agent_joins += 1
        self.endpointer = self._new_endpointer()
        self.dtmf = DtmfCollector(self.settings.dtmf_timeout_s)
        self.menu = []
        while not self._turns.empty():
            self._turns.get_nowait()
        while not self._speech.empty():
            item = self._speech.get_nowait()
            heard_some = heard_some or not isinstance(item, _UseGrammar)
            if isinstance(item, (_UtteranceEnd, _Discard)):
                self._ends_queued -= 1
        if heard_some:
            self._speech.put_nowait(_Forget())
        self._speech.put_nowait(_UseGrammar(None))

    def _new_endpointer(self) -> Endpointer:
        return Endpointer(self.settings.sample_rate, self.settings.endpoint, turn_is_complete=self._words_are_a_turn)

    # ------------------------------------------------------------------ the call
    async def run(self) -> CallRecord:
        """Until the call ends. A task that fails ends the call; an illegal move of the call's state
        (raised only in strict mode, as in the tests) is raised again once the call is closed."""
        self.record.add(0.0, "event", "call started")
        jobs = (self._listen, self._recognize, self._watch, self._converse, self._relay)
        tasks = {asyncio.create_task(job(), name=f"call {self.call_id}: {job.__name__.lstrip('_')}") for job in jobs}
        ended = asyncio.create_task(self._ended.wait())
        failure: Optional[BaseException] = None
        try:
            pending = {ended, *tasks}
            while not self._ended.is_set():
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done - {ended}:
                    if not task.cancelled() and task.exception() is not None:
                        failure = task.exception()
                        log.error("call %s: %s failed", self.call_id, task.get_name(), exc_info=failure)
                        self._end("error")
        finally:
            tasks |= {self._bot_turn} if self._bot_turn is not None else set()
            for task in (ended, *tasks):
                task.cancel()
            await asyncio.gather(ended, *tasks, return_exceptions=True)
            await self._close()
        if isinstance(failure, IllegalTransition):
            raise failure
        return self.record

    async def _close(self) -> None:
        self.record.finish(self.clock.now(), self._end_reason or "ended")
        await self.recognition.close()
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
            self._agent = None
            self.player.stop()
            self.states.go(ENDED)
            self._ended.set()

    def _state_changed(self, old: CallState, new: CallState) -> None:
        log.debug("call %s: %s → %s", self.call_id, old.value, new.value)
        self.observer.state_changed(old, new, self.clock.now())

    # ------------------------------------------------------------------ listener
    async def _listen(self) -> None:
        while True:
            pcm = await self._inbound.get()
            if self._agent is not None and self.with_agent:
                self._to_agent(self._agent, pcm)
                continue
            for event in self.endpointer.feed_audio(pcm):
                self._on_speech_event(event)

    def _to_agent(self, agent: _Agent, pcm: bytes) -> None:
        try:
            agent.hear(agent.from_caller.convert(pcm))
        except Exception:  # the desk's trouble must not cut the caller off
            if not agent.hear_failed:
                log.exception("call %s: the agent's listener failed", self.call_id)
            agent.hear_failed = True

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
            speech_end = self.clock.now() - trailing_s
            self.observer.utterance_ended(speech_end, trailing_s)
            if self.states.state is LISTENING:
                self.states.go(RECOGNIZING)
            self._speech.put_nowait(_UtteranceEnd(event.audio, speech_end))

    def _barge_in(self, cause: str) -> None:
        if self.states.state in BOT_HAS_FLOOR and not self._interrupted:
            self._interrupted = True
            self.player.stop()
            self.record.add(self.clock.now(), "event", f"barge-in ({cause}): playback stopped")
            asyncio.get_running_loop().create_task(_quietly(self.output.clear()))

    # ------------------------------------------------------------------ relay
    async def _relay(self) -> None:
        """The agent's voice to the caller as it comes, after a clear of what the bot had queued."""
        while True:
            item = await self._to_caller.get()
            if isinstance(item, _Clear):
                await _quietly(self.output.clear())
            else:
                await self.output.send_audio(item)

    # ------------------------------------------------------------------ recognizer
    async def _recognize(self) -> None:
        while True:
            item = await self._speech.get()
            if isinstance(item, bytes):
                item = await self._accept_audio(item)
            if isinstance(item, _UtteranceEnd):
                joins = self._agent_joins
                try:
                    result = await self.recognition.finish(item.audio)
                    turn = Turn(TurnKind.SPEECH, clean_transcript(result.text), result.confidence, item.speech_end)
                    if joins == self._agent_joins:
                        self._turns.put_nowait(turn)
                finally:
                    self._ends_queued -= 1
            elif isinstance(item, _UseGrammar):
                await self.recognition.use_grammar(item.phrases)
            elif isinstance(item, _Forget):
                await self.recognition.discard()
            elif isinstance(item, _Discard):
                await self.recognition.discard()
                self._ends_queued -= 1
                if self._interrupted and (self._unsaid or self.states.state in BOT_HAS_FLOOR):  # more may come
                    self.record.add(self.clock.now(), "event", "only noise: the answer resumes")
                    self._turns.put_nowait(Turn(TurnKind.RESUME))
                elif self.states.state is RECOGNIZING and not self._ends_queued:
                    self.states.go(LISTENING)

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
        before = self.recognition.words_so_far()
        await self.recognition.accept(b"".join(batch))
        if (words := self.recognition.words_so_far()) != before and words.strip():
            self.observer.heard(words, final=False)
        return item

    def _words_are_a_turn(self) -> bool:
        """Asked by the endpointer during a short pause: do the words heard so far make a whole
        turn? The partial text may lag the audio a little; a lagging prefix only means waiting. While
        an earlier utterance is still being finished, the partial text is that one's: wait."""
        if self._ends_queued:
            return False
        return looks_complete(self.recognition.words_so_far())

    # ------------------------------------------------------------------ watchdog
    async def _watch(self) -> None:
        while True:
            await self.clock.sleep(WATCH_INTERVAL_S)
            now = self.clock.now()
            if now >= self.settings.max_call_s:
                self._closing = self._interrupted = True
                self.player.stop()
                self._turns.put_nowait(Turn(TurnKind.TOO_LONG))
                return
            entry = self.dtmf.due(now)
            if entry:
                self._turns.put_nowait(Turn(TurnKind.KEYS, entry))
            elif self._caller_silent_for(now) >= self.settings.no_input_s:
                self._turns.put_nowait(Turn(TurnKind.NO_INPUT))
            elif self._waiting_for_person and self._quiet_for(now) >= self.settings.hold_reminder_s:
                self._turns.put_nowait(Turn(TurnKind.ON_HOLD))

    def _caller_silent_for(self, now: float) -> float:
        """How long the caller has said nothing with the floor; a caller waiting for an agent to
        take the call is not silent, they are on hold (the maximum call length still applies)."""
        return 0.0 if self._waiting_for_person else self._quiet_for(now)

    def _quiet_for(self, now: float) -> float:
        if self.states.state is not LISTENING or self.endpointer.in_speech or not self._turns.empty():
            return 0.0
        return now - self.states.since

    # ------------------------------------------------------------------ dialogue
    async def _converse(self) -> None:
        try:
            await self._bots_turn(self._ask(prompts.GREETING_INTENT, via="system"))
            # Not `while True`: on Python 3.10 a hang-up during playback can lose this task's
            # cancellation (asyncio.wait_for in Player returns when stop() and cancel() coincide).
            while not self._ended.is_set():
                if not self.with_agent:
                    self._hand_floor_to_caller()
                turn = await self._turns.get()
                if self._ended.is_set():
                    break
                if self.with_agent and not (isinstance(turn, Turn) and turn.kind is TurnKind.TOO_LONG):
                    continue  # the person holding the call answers; only the call's length still counts
                await self._bots_turn(self._take(turn))
        except AssistantUnavailable as exc:
            log.error("call %s: assistant unavailable: %s", self.call_id, exc)
            self._closing = True
            self.record.add(self.clock.now(), "event", "assistant unavailable")
            await self._say_text(prompts.ASSISTANT_DOWN)
            self._end("assistant_unavailable")

    async def _bots_turn(self, work: Coroutine) -> None:
        """Runs one turn of the bot as a task of its own, which an agent joining cancels
        (``join_agent``); errors of the turn are raised here."""
        self._bot_turn = turn = asyncio.create_task(work, name=f"call {self.call_id}: bot's turn")
        try:
            await asyncio.wait({turn})
        finally:
            turn.cancel()
        if not turn.cancelled():
            turn.result()

    def _hand_floor_to_caller(self) -> None:
        if self._ends_queued:
            self.states.go(RECOGNIZING)
        elif self.dtmf.digits:
            self.states.go(COLLECTING_KEYS)
        else:
            self.states.go(LISTENING)

    async def _take(self, turn: Turn | _HandBack) -> None:
        if isinstance(turn, _HandBack):
            await self._say_text(*turn.replies)
        elif turn.kind is TurnKind.TOO_LONG:
            await self._say_text(prompts.CALL_TOO_LONG)
            self._end("max_call_length")
        elif turn.kind is TurnKind.NO_INPUT:
            await self._no_input()
        elif turn.kind is TurnKind.ON_HOLD:
            if self._waiting_for_person:  # an agent may have joined since
                await self._say_text(prompts.ON_HOLD)
        elif turn.kind is TurnKind.RESUME:  # a cough cut the bot off: go on from the cut sentence
            self.states.go(SPEAKING)
            await self._speak_sentences(_queued(self._unsaid), None)
        elif turn.kind is TurnKind.SPEECH and not turn.text:
            self.record.add(self.clock.now(), "caller", "(未识别)", turn.confidence)
            await self._say_text(prompts.NOT_HEARD)
        else:
            self._silent_turns = 0
            who = "caller" if turn.kind is TurnKind.SPEECH else "dtmf"
            self.record.add(self.clock.now(), who, turn.text, turn.confidence)
            if turn.kind is TurnKind.SPEECH:
                self.observer.heard(turn.text, final=True)
            self.states.go(THINKING)
            await self._ask(self._message_for(turn), via=turn.kind.value, turn=turn)

    async def _no_input(self) -> None:
        self._silent_turns += 1
        self.record.add(self.clock.now(), "event", f"no input ({self._silent_turns})")
        if self._silent_turns <= self.settings.max_reprompts:
            await self._say_text(prompts.REPROMPT)
            return
        self.states.go(HANDING_OFF)
        await self._ask(prompts.OFFER_HUMAN_INTENT, via="system")
        if self._waiting_for_person or self.with_agent:
            return  # handed to the agent desk: on hold until an agent takes the call
        if not self._ended.is_set():
            await self._say_text(prompts.NO_ANSWER_GOODBYE)
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
        handed_off = any(reply.handoff is not None for reply in replies)  # the caller waits for a person
        if any(reply.ends_call for reply in replies) and not self._interrupted and not handed_off:
            self._end("goodbye")

    async def _fetch(self, text: str, metadata: dict, due: asyncio.Queue) -> List[Reply]:
        """The assistant's replies, each recorded and queued for speech as it arrives (a hand-off
        to a person is told to the observer, not spoken); once all are in, the menu and the
        recognizer's grammar for the caller's answer."""
        replies: List[Reply] = []
        try:
            async for reply in self.assistant.stream(self.conversation_id, text, metadata):
                replies.append(reply)
                if reply.handoff is not None:
                    ticket = reply.handoff.get("ticket") or "?"
                    self.record.add(
                        self.clock.now(), "event", f"handed off (ticket {ticket}): the caller waits for a person"
                    )
                    self.observer.handoff_requested(reply.handoff)
                    self._waiting_for_person = True
                    continue
                self.record.add(self.clock.now(), "bot", reply.text + _buttons_note(reply))
                self.observer.replied(reply.text)
                for sentence in sentences([reply]):
                    due.put_nowait(sentence)
        finally:
            due.put_nowait(None)
        self.menu = next((r.buttons for r in reversed(replies) if r.buttons), [])
        slot = next((r.requested_slot for r in reversed(replies) if r.requested_slot), "")
        self._speech.put_nowait(_UseGrammar(grammar_for(slot)))
        return replies

    async def _say_text(self, *texts: str) -> None:
        for text in texts:
            self.record.add(self.clock.now(), "bot", text)
            self.observer.replied(text)
        self.states.go(SPEAKING)
        await self._speak_sentences(_queued(sentences([Reply(text) for text in texts])), None)

    async def _speak_sentences(self, due: asyncio.Queue, speech_end: Optional[float]) -> None:
        """Speaks the queued sentences until a None; ``_unsaid`` keeps those not yet spoken."""
        self._interrupted = False
        self._unsaid, pulled = [], 0

        async def texts():
            nonlocal pulled
            while (text := await due.get()) is not None:
                self._unsaid.append(text)
                pulled += 1
                yield text

        await self._play_sentences(texts(), speech_end)
        if self._interrupted:
            self._unsaid += _drained(due)
        elif pulled and isinstance(self.output, MarkingOutput):
            self._marks += 1
            await _quietly(self.output.mark(f"answer-{self._marks}"))

    async def _play_sentences(self, texts: AsyncIterable[str], speech_end: Optional[float]) -> None:
        async for pcm in self.speech_out.audio(texts):
            if self._interrupted or self._ended.is_set():
                return
            if pcm and self.states.state is THINKING:
                self.states.go(SPEAKING)
            completed = await self.player.play(pcm) if pcm else True
            if speech_end is not None and pcm and self.player.first_frame_at is not None:
                self.observer.answer_started(speech_end, self.player.first_frame_at)
                speech_end = None
            if not completed:
                return
            self._unsaid.pop(0)


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
