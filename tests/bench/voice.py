"""Voice benchmark for this machine: ``make bench-voice`` (``python -m tests.bench.voice [--quick]``).

1. Vosk real-time factor: decode time / audio duration, one stream, on the shared Mandarin
   recordings (../shared/data/speech_zh; espeak-ng speech when they are missing) at 8 and 16 kHz.
2. First-audio latency of a call (ask for the credit-card bill, verify identity by phone number
   and one-time code, hear the bill) against the real assistant: end of the caller's speech (the
   endpointer's ``at_ms``) → first frame of the answer sent to the transport (and for the
   greeting: start of the call → its first frame). Real endpointer, real recognition by the
   Chinese Vosk model (what the assistant gets, when the turn ends early and how long the partial
   text lags the speech all come from what the recognizer produced), real espeak-ng TTS (not cached).
   Peer in the same run, call for call: the same calls with the script double as recognizer (the
   caller's line as partial text from the first frame and as the final text, no decoding).
3. Parallel calls: N simultaneous real-time calls with real recognition, each with its own Vosk
   recognizer (one shared model), endpointer and the real assistant; TTS cached as a server would.

The caller is the opt-in neural voice (`make neural-voice`; the one the Chinese model understands,
espeak-ng's Mandarin it does not) saying its lines over the phone line's 8 kHz. Callers vary the
wording of the request and the customer. A caller whose line was not understood (the answer does
not move the call on) says it again, once. It listens to LISTEN_S of each answer (all of it if
shorter), then talks over the rest (a barge-in), which keeps a call near 30 s. It reads each
one-time code from the demo bank's SMS outbox, as the customer's phone would (`make outbox`).
Figures are in seconds of wall-clock time (calls run in real time). What is timed is measured
around the call's parts (wrappers of the recognizer, assistant, synthesizer and output) and
through the session's CallObserver hooks.
"""

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import re
import resource
import subprocess
import sys
import time
import uuid
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tests.voice.doubles import read_out
from voice import asr_eval, vosk_model
from voice.assistant import RasaAssistant
from voice.audio import FRAME_MS, TELEPHONY_RATE, WIDEBAND_RATE, duration_s, frame_bytes, read_wav
from voice.call_events import CallObserver
from voice.calls import WARM_UP_TEXT
from voice.clock import Clock
from voice.config import CallSettings, settings_from_env
from voice.neural_tts import NeuralSynthesizer
from voice.recognizers import PooledRecognizer, RecognizerPool
from voice.session import CallSession
from voice.stt import VOSK_MODEL_ENV, ModelMissing, Recognizer, Transcript, Word, load_model
from voice.tts import EspeakSynthesizer, TtsError

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_LOG = REPO_ROOT / "var" / "bench-voice-servers.log"
RATE = TELEPHONY_RATE
FRAME_S = FRAME_MS / 1000
POLL_S = 0.02

PHONE = "13800138000"  # a customer of the demo bank (var/bank.db)
ONE_TIME_CODE = "<code from the outbox>"
SCRIPT = ("我想查一下信用卡账单", PHONE, ONE_TIME_CODE)
# Callers differ as real ones do: wording and customer (both with a credit card). A recognizer
# decodes a call it has decoded before about twice as fast, so identical calls would flatter the ASR.
REQUESTS = (SCRIPT[0], "帮我查查信用卡这个月的账单", "我要查信用卡的账单")
PHONES = (PHONE, "13900139000")
VOICED_PEAK = 300  # a frame with a sample above this (of 32767) has the caller's voice in it
LISTEN_S = 2.5  # of each answer before the caller says the next line
REACTION_S = 0.3  # pause before talking when the bot finished first
CALL_TIMEOUT_S = 90.0
HANG_UP_TIMEOUT_S = 10.0
STAGGER_S = 4.0  # parallel calls start spread over this time, as lines fill up
ESPEAK_CLIPS = (
    "您好，我想查一下信用卡账单。",
    "我的手机号是幺三八零零幺三八零零零。",
    "验证码是五七六零四四。",
    "请帮我把信用卡的最低还款还了，谢谢。",
)


# ------------------------------------------------------------------ statistics (pure)
@dataclass(frozen=True)
class Summary:
    median: float
    p95: float
    n: int


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default); NaN for no values."""
    return float(np.percentile(values, q)) if len(values) else math.nan


def summarize(values: Sequence[float]) -> Summary:
    return Summary(percentile(values, 50), percentile(values, 95), len(values))


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class TurnTimes:
    """One caller turn on the monotonic clock."""

    speech_end: float  # the caller stopped speaking (endpointer's at_ms)
    end_silence: float  # how long the endpointer waited in silence before it ended the turn
    asr_finish: Span  # the recognizer's final result for the utterance
    assistant: Span  # the request to the assistant, until its first reply
    tts: Span  # synthesis of the answer's first sentence
    first_frame: float  # the answer's first frame went to the transport

    @property
    def latency(self) -> float:
        return self.first_frame - self.speech_end


def turn_times(
    latencies: Sequence[float],
    silences: Sequence[float],
    finishes: Sequence[Span],
    requests: Sequence[Span],
    syntheses: Sequence[Span],
    frames_sent: Sequence[float],
) -> list[TurnTimes]:
    """Lines up one call's logs turn by turn: the k-th latency, end-of-turn silence, ASR finish and
    assistant request (greeting excluded), then the first synthesis and the first frame after that request."""
    turns = []
    for latency, silence, finish, request in zip(latencies, silences, finishes, requests, strict=False):
        frame_at = bisect_left(frames_sent, request.end)
        tts = next((s for s in syntheses if s.start >= request.end), None)
        if frame_at == len(frames_sent) or tts is None:
            break
        first_frame = frames_sent[frame_at]
        turns.append(TurnTimes(first_frame - latency, silence, finish, request, tts, first_frame))
    return turns


BREAKDOWN = (
    "end-of-turn silence",
    "wait for ASR (backlog)",
    "ASR finish",
    "assistant, to its first reply",
    "TTS first sentence",
    "other (queues, threads, playback start)",
)


def breakdown(turn: TurnTimes) -> dict[str, float]:
    """The turn's latency in parts that add up to it (keys: BREAKDOWN)."""
    parts = {
        BREAKDOWN[0]: turn.end_silence,
        BREAKDOWN[1]: turn.asr_finish.start - turn.speech_end - turn.end_silence,
        BREAKDOWN[2]: turn.asr_finish.duration,
        BREAKDOWN[3]: turn.assistant.duration,
        BREAKDOWN[4]: turn.tts.duration,
    }
    parts[BREAKDOWN[5]] = turn.latency - sum(parts.values())
    return parts


def asr_lag(turn: TurnTimes) -> float:
    """How long after the endpointer called the end of the utterance its final text was ready."""
    return turn.asr_finish.end - turn.speech_end - turn.end_silence


@dataclass(frozen=True)
class RealTimeLimits:
    asr_lag_s: float = 0.5
    frame_lateness_s: float = 0.040
    latency_factor: float = 2.0  # of the single-call median


@dataclass(frozen=True)
class LevelResult:
    calls: int
    unfinished: int  # calls that got stuck (not: calls whose caller was not understood)
    latency: Summary
    asr_lag: Summary
    lateness: Summary  # of the bot's frames against the Player's schedule
    completed: int = 0  # calls that got the bill read out


def real_time_problems(level: LevelResult, single_call_median: float, limits: RealTimeLimits) -> list[str]:
    """Why ``level`` does not run in real time (empty: it does). Missing figures count as failures."""
    problems = []
    if level.unfinished:
        problems.append(f"{level.unfinished} of {level.calls} calls did not finish")
    if not level.asr_lag.p95 < limits.asr_lag_s:
        problems.append(f"ASR lag p95 {level.asr_lag.p95:.3f} s ≥ {limits.asr_lag_s} s")
    if not level.lateness.p95 < limits.frame_lateness_s:
        problems.append(
            f"frame lateness p95 {level.lateness.p95 * 1000:.0f} ms ≥ {limits.frame_lateness_s * 1000:.0f} ms"
        )
    if not level.latency.median <= limits.latency_factor * single_call_median:
        problems.append(f"median latency {level.latency.median:.3f} s > {limits.latency_factor:g}× single call")
    return problems


def largest_real_time(verdicts: Sequence[tuple]) -> int:
    """(calls, real time?) in increasing order → calls of the last level before the first failure."""
    largest = 0
    for calls, ok in verdicts:
        if not ok:
            break
        largest = calls
    return largest


def parallel_levels(maximum: int) -> list[int]:
    """1, 2, 4, 8, then steps of 4 up to ``maximum``."""
    levels = [n for n in (1, 2, 4, 8) if n <= maximum]
    levels += list(range(12, maximum + 1, 4))
    return levels


# ------------------------------------------------------------------ instrumented parts of a call
class ScriptedTextRecognizer:
    """The peer's recognizer double: the text returned (partial and final) is the line the caller
    said, from the script, with no decoding. No ``set_grammar``: the session keeps free recognition."""

    def __init__(self) -> None:
        self.finishes: list[Span] = []
        self.partials: list[tuple] = []  # (when, text): the double's text is there from the first frame
        self._lines: deque = deque()

    def expect(self, text: str) -> None:
        """The caller starts saying ``text``: the next final result."""
        self._lines.append(text)

    def accept(self, pcm: bytes) -> Transcript:
        """The line being said as partial text, as an ideal recognizer would have it at once
        (it lets the endpointer end a plainly finished turn early)."""
        return Transcript(self._lines[0] if self._lines else "", [], final=False)

    def finish(self) -> Transcript:
        start = time.monotonic()
        self.finishes.append(Span(start, time.monotonic()))
        text = self._lines.popleft() if self._lines else ""
        self.partials.append((start, text))
        return Transcript(text, [Word(text, 0.0, 1.0, 0.9)] if text else [], final=True)


class MeasuredRecognizer:
    """The real recognizer, timed: each utterance's final result, and when its running text changed."""

    def __init__(self, inner: Recognizer | PooledRecognizer) -> None:
        self.inner = inner
        self.finishes: list[Span] = []
        self.partials: list[tuple] = []  # (when, text) at each change of the running text

    def expect(self, text: str) -> None:
        pass  # it hears for itself

    def accept(self, pcm: bytes) -> Transcript | None:
        result = self.inner.accept(pcm)
        if result is not None:
            self._changed(result.text)
        return result

    def finish(self) -> Transcript:
        start = time.monotonic()
        result = self.inner.finish()
        self.finishes.append(Span(start, time.monotonic()))
        self._changed(result.text)
        return result

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        self.inner.set_grammar(phrases)

    def close(self) -> None:
        """The call is over: a pooled recognizer goes back to its pool, as in a server."""
        if isinstance(self.inner, PooledRecognizer):
            self.inner.close()

    def _changed(self, text: str) -> None:
        text = "".join(text.split())
        if text and (not self.partials or self.partials[-1][1] != text):
            self.partials.append((time.monotonic(), text))


def text_lag(partials: Sequence[tuple], speech_end: float, until: float) -> float:
    """How long after the caller stopped speaking the recognizer's running text last changed
    (before ``until``, the next line): the lag of what it had heard behind the audio. NaN: no text."""
    changes = [when for when, _ in partials if when < until]
    return changes[-1] - speech_end if changes else math.nan


class TimedAssistant:
    def __init__(self, inner) -> None:
        self.inner = inner
        self.requests: list[Span] = []
        self.messages: list[str] = []
        self.answers: list[str] = []

    async def stream(self, conversation_id: str, text: str, metadata: dict | None = None):
        """The request's span ends at the first reply (or at the end, if there is none)."""
        start, first, replies = time.monotonic(), None, []
        async for reply in self.inner.stream(conversation_id, text, metadata):
            first = first or time.monotonic()
            replies.append(reply)
            yield reply
        self.messages.append(text)
        self.answers.append(" ".join(reply.text for reply in replies))
        self.requests.append(Span(start, first or time.monotonic()))  # last: callers wait for it

    async def close(self) -> None:  # the shared assistant is closed by the bench
        pass


class TimedSynthesizer:
    def __init__(self, inner) -> None:
        self.inner = inner
        self.spans: list[Span] = []

    def synthesize(self, text: str, sample_rate: int) -> bytes:
        start = time.monotonic()
        pcm = self.inner.synthesize(text, sample_rate)
        self.spans.append(Span(start, time.monotonic()))
        return pcm


class CallTimings(CallObserver):
    """What the session tells of each caller turn: the silence the endpointer waited before it
    ended the turn, and the latency of the answer (end of speech → its first frame)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.turn_silences: list[float] = []

    def utterance_ended(self, speech_end: float, trailing_silence_s: float) -> None:
        self.turn_silences.append(trailing_silence_s)

    def answer_started(self, speech_end: float, first_frame_at: float) -> None:
        self.latencies.append(first_frame_at - speech_end)


class TimedOutput:
    """The transport's way back: when each frame went out, and how late against the Player's
    schedule (frame k of a play() is due k × 20 ms after its first frame)."""

    def __init__(self) -> None:
        self.session: CallSession  # set by bench_call once the session exists
        self.sent: list[float] = []
        self.lateness: list[float] = []
        self._play_start: float | None = None
        self._index = 0

    async def send_audio(self, pcm: bytes) -> None:
        self.sent.append(time.monotonic())
        started = self.session.player.first_frame_at
        assert started is not None  # the Player sets it before it sends a play's first frame
        if started != self._play_start:
            self._play_start, self._index = started, 0
        self.lateness.append(self.session.clock.now() - (started + self._index * FRAME_S))
        self._index += 1

    async def clear(self) -> None:
        pass

    async def hang_up(self) -> None:
        pass


class CallStuck(RuntimeError):
    pass


class NotUnderstood(CallStuck):
    pass


# A line of `python -m actions.bank outbox`: "… 138****8000  验证码 576044  (未使用，会话 bench-…)".
OUTBOX_LINE = re.compile(r"验证码 (?P<code>\d+)\s+\(.*，会话 (?P<conversation>.+)\)$")


def outbox_code(phone: str, conversation_id: str) -> str | None:
    """The one-time code the demo bank 'texted' to ``phone`` for this conversation, read from its
    SMS outbox with the command `make outbox` runs."""
    command = [sys.executable, "-m", "actions.bank", "outbox", phone, "--limit", "50"]
    shown = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=60)
    return code_in_outbox(shown.stdout, conversation_id)


def code_in_outbox(outbox: str, conversation_id: str) -> str | None:
    """The newest code of the conversation in the outbox's lines (they list the newest first)."""
    for line in outbox.splitlines():
        found = OUTBOX_LINE.search(line.strip())
        if found and found["conversation"] == conversation_id:
            return found["code"]
    return None


# What the answer to each line of the script says when the line was understood: it asks for the
# phone number (a bill needs verification), says the code was sent, reads out the bill.
UNDERSTOOD_WHEN = ("手机号", "验证码已发送", "应还")
ATTEMPTS = 2  # a caller not understood says the line once more
VERIFIED = "身份验证成功"  # then no bill: the request was taken for another, and saying the code again won't help


@dataclass(frozen=True)
class CallerTurn:
    line: int  # index in the script
    meant: str  # the request, or the digits
    heard: str  # what the assistant got
    understood: bool  # the answer moved the call on
    speech_end: float  # when the caller's voice stopped (the last frame with sound)
    text_lag: float


class SimulatedCaller:
    """The caller's side: a frame every 20 ms (silence unless talking, sent when the frame is
    complete, as a phone line delivers it); listens to the start of each answer, then talks."""

    def __init__(
        self, session, timings: CallTimings, assistant: TimedAssistant, recognizer, voice, lines: Sequence[str]
    ) -> None:
        self.session, self.timings, self.assistant = session, timings, assistant
        self.recognizer, self.voice = recognizer, voice
        self.lines = list(lines)
        self.output: TimedOutput = session.output
        self.turns: list[CallerTurn] = []
        self.misunderstood = False  # gave up: a line was not understood when said again
        self.speech_s = 0.0  # how long the caller talked
        self._pending = bytearray()
        self._voiced_until = 0.0

    async def run(self) -> str:
        """Says the script; returns "" or what went wrong. Hangs up in any case."""
        feeding = asyncio.create_task(self._feed())
        try:
            await asyncio.wait_for(self._talk(), CALL_TIMEOUT_S)
            return ""
        except NotUnderstood as exc:
            self.misunderstood = True
            return str(exc)
        except CallStuck as exc:
            return str(exc)
        except asyncio.TimeoutError:  # noqa: UP041 (not the builtin one on Python 3.10)
            return f"call not done after {CALL_TIMEOUT_S:.0f} s"
        finally:
            self.session.caller_hung_up()
            feeding.cancel()

    async def _feed(self) -> None:
        size = frame_bytes(RATE)
        start, index = time.monotonic(), 0
        while not self.session.ended:
            index += 1
            await asyncio.sleep(max(0.0, start + index * FRAME_S - time.monotonic()))
            frame = bytes(self._pending[:size]).ljust(size, b"\x00")
            del self._pending[:size]
            if np.abs(np.frombuffer(frame, dtype="<i2")).max() > VOICED_PEAK:
                self._voiced_until = time.monotonic()
            self.session.feed_audio(frame)

    async def _talk(self) -> None:
        await self._listen(0)  # the greeting
        for index, line in enumerate(self.lines):
            for attempt in range(1, ATTEMPTS + 1):
                asked = len(self.assistant.requests)
                meant = await self._meant(line)
                started = time.monotonic()
                await self._say(read_out(meant) if meant.isdigit() else meant, meant)
                await self._listen(asked)
                understood = UNDERSTOOD_WHEN[index] in " ".join(self.assistant.answers[asked:])
                heard = " ".join(self.assistant.messages[asked:])
                answered = self.assistant.requests[asked].start
                lag = text_lag([p for p in self.recognizer.partials if p[0] >= started], self._voiced_until, answered)
                self.turns.append(CallerTurn(index, meant, heard, understood, self._voiced_until, lag))
                if understood:
                    break
                if index == len(self.lines) - 1 and VERIFIED in " ".join(self.assistant.answers):
                    self.turns[0] = replace(self.turns[0], understood=False)
                    self.turns[-1] = replace(self.turns[-1], understood=True)  # the code was right
                    raise NotUnderstood(f"verified, but no bill: the request was heard as {self.turns[0].heard!r}")
                if attempt == ATTEMPTS:
                    raise NotUnderstood(f"line {index + 1} ({meant}) not understood: heard {heard!r}")
        while len(self.timings.latencies) < len(self.assistant.requests) - 1:  # the last answer's first sentence
            await asyncio.sleep(POLL_S)

    async def _say(self, words: str, meant: str) -> None:
        pcm = await asyncio.to_thread(self.voice.synthesize, words, RATE)
        self.recognizer.expect(meant)
        self.speech_s += duration_s(pcm, RATE)
        self._pending.extend(pcm)
        while self._pending:
            await asyncio.sleep(POLL_S)

    async def _listen(self, answer: int) -> None:
        """Answer 0 is the greeting, answer k the reply to the caller's k-th utterance."""
        started = await self._answer_start(answer)
        while time.monotonic() < started + LISTEN_S:
            if self.session.waiting_for_caller:
                await asyncio.sleep(REACTION_S)
                return
            await asyncio.sleep(POLL_S)

    async def _answer_start(self, answer: int) -> float:
        while True:
            if self.session.ended:
                raise CallStuck(f"the call ended before answer {answer}")
            if len(self.assistant.requests) > answer:
                after = bisect_left(self.output.sent, self.assistant.requests[answer].end)
                if after < len(self.output.sent):
                    return self.output.sent[after]
                if not self.assistant.answers[answer]:  # nothing to say: the caller goes on
                    return time.monotonic()
            await asyncio.sleep(POLL_S)

    async def _meant(self, line: str) -> str:
        if line != ONE_TIME_CODE:
            return line
        code = await asyncio.to_thread(outbox_code, self.lines[1], self.session.conversation_id)
        if not code:
            raise CallStuck("no one-time code in the outbox")
        return code


@dataclass
class CallResult:
    turns: list[TurnTimes]
    caller_turns: list[CallerTurn]
    lateness: list[float]
    duration_s: float
    caller_speech_s: float
    last_answer: str
    problem: str = ""  # empty: every line was said and understood
    misunderstood: bool = False  # the problem is that a line was not understood twice
    greeting_s: float = math.nan  # start of the call → first frame of the greeting

    @property
    def completed(self) -> bool:
        return not self.problem


@dataclass
class CallKit:
    """What a bench call is made of."""

    assistant: object
    new_recognizer: Callable[[], MeasuredRecognizer | ScriptedTextRecognizer]
    new_synthesizer: Callable[[], object]
    voice: object  # the caller's
    settings: CallSettings = field(default_factory=settings_from_env)
    warm: Callable[[int], None] | None = None  # makes sure N recognizers are warmed up


def caller(number: int) -> tuple:
    """The lines of the bench's call ``number``: SCRIPT for call 0, then other variants."""
    request, phone = REQUESTS[number % len(REQUESTS)], PHONES[number // len(REQUESTS) % len(PHONES)]
    return request, phone, ONE_TIME_CODE


async def bench_call(kit: CallKit, name: str, number: int) -> CallResult:
    recognizer = kit.new_recognizer()
    assistant, synthesizer, output = (
        TimedAssistant(kit.assistant),
        TimedSynthesizer(kit.new_synthesizer()),
        TimedOutput(),
    )
    timings, call_id = CallTimings(), f"bench-{name}-{uuid.uuid4().hex[:8]}"
    session = CallSession(
        call_id, output, assistant, recognizer, synthesizer, kit.settings.with_rate(RATE), Clock(),
        transport="bench", conversation_id=f"call-{call_id}", observer=timings,
    )  # fmt: skip
    output.session = session
    started = time.monotonic()
    running = asyncio.create_task(session.run())
    caller_side = SimulatedCaller(session, timings, assistant, recognizer, kit.voice, caller(number))
    problem = await caller_side.run()
    try:
        await asyncio.wait_for(running, HANG_UP_TIMEOUT_S)
    except asyncio.TimeoutError:  # noqa: UP041 (not the builtin one on Python 3.10)
        problem = problem or "the session did not end after the caller hung up"
    turns = turn_times(
        timings.latencies,
        timings.turn_silences,
        recognizer.finishes,
        assistant.requests[1:],
        synthesizer.spans,
        output.sent,
    )
    return CallResult(
        turns,
        caller_side.turns,
        output.lateness,
        session.record.duration_s,
        caller_side.speech_s,
        assistant.answers[-1] if assistant.answers else "",
        problem,
        caller_side.misunderstood,
        output.sent[0] - started if output.sent else math.nan,
    )


# ------------------------------------------------------------------ 1. Vosk real-time factor
def rtf_clips(rate: int, limit: int | None = None) -> tuple:
    """(PCM clips at ``rate``, where they come from): the shared recordings, else espeak-ng."""
    try:
        utterances = asr_eval.find_utterances(asr_eval.DEFAULT_DATA_DIR)[:limit]
        return [read_wav(u.wav, rate)[0] for u in utterances], f"{len(utterances)} recordings in speech_zh"
    except asr_eval.DataError as exc:
        voice = EspeakSynthesizer()
        clips = [voice.synthesize(text, rate) for text in ESPEAK_CLIPS[:limit]]
        return clips, f"{len(clips)} espeak-ng sentences ({exc})"


def real_time_factor(model, clips: Sequence[bytes], rate: int, one_recognizer: bool = False) -> float:
    """A new recognizer per clip, as each call starts; or one for all, as later turns of a call
    (Vosk caches decoding-graph states per recognizer, so its first utterance costs the most)."""
    decoding = 0.0
    shared = Recognizer(model, rate) if one_recognizer else None
    for pcm in clips:
        started = time.perf_counter()
        asr_eval.decode(shared or Recognizer(model, rate), pcm)
        decoding += time.perf_counter() - started
    return decoding / sum(duration_s(pcm, rate) for pcm in clips)


def bench_rtf(model, quick: bool) -> dict[int, tuple]:
    """Sample rate → (RTF with a new recognizer per clip, RTF with one recognizer for all)."""
    print("\n== 1. Vosk real-time factor (decode time / audio duration, one stream) ==", flush=True)
    factors = {}
    for rate in (TELEPHONY_RATE, WIDEBAND_RATE):
        clips, source = rtf_clips(rate, 2 if quick else None)
        factors[rate] = (
            real_time_factor(model, clips, rate),
            real_time_factor(model, clips, rate, one_recognizer=True),
        )
        total = sum(duration_s(pcm, rate) for pcm in clips)
        print(
            f"{rate // 1000:>3} kHz: rtf {factors[rate][0]:.3f} with a new recognizer per clip, "
            f"{factors[rate][1]:.3f} with one for all; {total:.1f} s of audio ({source})",
            flush=True,
        )
    return factors


# ------------------------------------------------------------------ 2. first-audio latency
async def bench_latency(real: CallKit, peer: CallKit, calls: int, peer_calls: int) -> tuple:
    print("\n== 2. First-audio latency: end of caller speech → first frame of the answer ==", flush=True)
    print(f"script: {' / '.join(SCRIPT)}; the caller listens {LISTEN_S:g} s of each answer, then talks", flush=True)
    print(f"callers vary: {' | '.join(REQUESTS)}; mobile {' | '.join(PHONES)}; the neural voice at 8 kHz", flush=True)
    results: dict = {"real": [], "peer": []}
    for index in range(max(calls, peer_calls)):  # alternating, so that both see the same machine load
        for label, kit, wanted in (("real", real, calls), ("peer", peer, peer_calls)):
            if index < wanted:
                result = await bench_call(kit, f"{label}{index}", index)  # the peer's calls are the same
                results[label].append(result)
                latencies = " ".join(f"{t.latency:.3f}" for t in result.turns)
                print(f"  {label} call {index + 1}: {latencies}  {result.problem}", flush=True)
    real_turns = [t for r in results["real"] for t in r.turns]
    peer_turns = [t for r in results["peer"] for t in r.turns]
    print_breakdown(real_turns, peer_turns)
    print_greeting(results["real"], results["peer"])
    print_call_shape(results["real"])
    understanding = print_understanding(results["real"])
    return summarize([t.latency for t in real_turns]), summarize([t.latency for t in peer_turns]), understanding


@dataclass(frozen=True)
class Understanding:
    calls: int
    completed: int  # the bill was read out
    turns: int  # caller turns, repeats included
    first_time: int  # lines understood the first time they were said
    lines: int
    text_lag: Summary
    cer: float  # of what the assistant got against what the caller meant (digits as digits)


def first_tries(turns: Sequence[CallerTurn]) -> list[CallerTurn]:
    return [t for k, t in enumerate(turns) if k == 0 or turns[k - 1].line != t.line]


def understanding_of(results: Sequence[CallResult]) -> Understanding:
    turns = [t for r in results for t in r.caller_turns]
    firsts = [t for r in results for t in first_tries(r.caller_turns)]
    errors = sum(asr_eval.edit_distance(asr_eval.cer_chars(t.meant), asr_eval.cer_chars(t.heard)) for t in turns)
    chars = sum(len(asr_eval.cer_chars(t.meant)) for t in turns)
    return Understanding(
        len(results), sum(r.completed for r in results), len(turns),
        sum(t.understood for t in firsts), len(firsts),
        summarize([t.text_lag for t in turns if not math.isnan(t.text_lag)]),
        errors / chars if chars else math.nan,
    )  # fmt: skip


def print_understanding(results: Sequence[CallResult]) -> Understanding:
    u = understanding_of(results)
    print(
        f"understood (real recognition): {u.completed} of {u.calls} calls got their bill; "
        f"{u.first_time} of {u.lines} lines understood the first time ({u.turns} caller turns with repeats); "
        f"CER of what the assistant got {u.cer:.1%}",
        flush=True,
    )
    print(
        f"recognizer's text behind the caller's voice (last change of its running text − end of the voice): "
        f"median {u.text_lag.median:.3f} s, p95 {u.text_lag.p95:.3f} s ({u.text_lag.n} turns)",
        flush=True,
    )
    for r in results:
        for t in r.caller_turns:
            if not t.understood:
                print(f"  not understood: meant {t.meant!r}, heard {t.heard!r}", flush=True)
    return u


def print_call_shape(results: list[CallResult]) -> None:
    call_s = sum(r.duration_s for r in results)
    speech_s = sum(r.caller_speech_s for r in results)
    print(
        f"A call lasts {call_s / len(results):.1f} s; the caller talks {speech_s / call_s:.0%} of it "
        "(Vosk decodes that speech plus the endpointer's pre-roll and trailing silence)."
    )
    print(f"The assistant's last answer on a call: {results[-1].last_answer[:50]}…", flush=True)


def print_greeting(real: list[CallResult], peer: list[CallResult]) -> None:
    for label, results in (("real", real), ("peer", peer)):
        greeting = summarize([r.greeting_s for r in results])
        print(
            f"greeting, start of the call → its first frame ({label}): median {greeting.median:.3f} s, "
            f"p95 {greeting.p95:.3f} s ({greeting.n} calls)",
            flush=True,
        )


def print_breakdown(real_turns: list[TurnTimes], peer_turns: list[TurnTimes]) -> None:
    print(f"\n{'median per part (s)':<42}{'real':>8}{'peer':>8}")
    real_parts = [breakdown(t) for t in real_turns]
    peer_parts = [breakdown(t) for t in peer_turns]
    for part in BREAKDOWN:
        print(
            f"{part:<42}{percentile([p[part] for p in real_parts], 50):>8.3f}"
            f"{percentile([p[part] for p in peer_parts], 50):>8.3f}"
        )
    real, peer = summarize([t.latency for t in real_turns]), summarize([t.latency for t in peer_turns])
    print(f"{'total: median':<42}{real.median:>8.3f}{peer.median:>8.3f}")
    print(f"{'total: p95':<42}{real.p95:>8.3f}{peer.p95:>8.3f}")
    print(f"{'turns':<42}{real.n:>8}{peer.n:>8}")
    print("real: the Chinese Vosk model recognizes the caller; espeak-ng speaks (no cache).")
    print("peer: the same calls with the script double as recognizer (no decoding); espeak-ng speaks.")
    print("(medians of the parts do not add up to the median total)", flush=True)


# ------------------------------------------------------------------ 3. parallel calls
async def run_level(kit: CallKit, calls: int, numbers: Iterator[int]) -> LevelResult:
    """``calls`` calls at once, their starts spread over STAGGER_S; ``numbers`` picks their callers."""

    async def staggered(index: int, number: int) -> CallResult:
        await asyncio.sleep(index * STAGGER_S / calls)
        return await bench_call(kit, f"p{calls}-{index}", number)

    results = await asyncio.gather(*(staggered(i, next(numbers)) for i in range(calls)))
    for result in results:
        if result.problem:
            print(f"       a call: {result.problem}", flush=True)
    turns = [t for r in results for t in r.turns]
    return LevelResult(
        calls, sum(1 for r in results if r.problem and not r.misunderstood),
        summarize([t.latency for t in turns]),
        summarize([asr_lag(t) for t in turns]),
        summarize([late for r in results for late in r.lateness]),
        sum(r.completed for r in results),
    )  # fmt: skip


async def bench_parallel(kit: CallKit, levels: Sequence[int], limits: RealTimeLimits) -> int:
    print(
        "\n== 3. Parallel real-time calls: the calls of 2. (real assistant, real recognition with a Vosk "
        f"recognizer per call, cached espeak-ng), starts spread over {STAGGER_S:g} s ==",
        flush=True,
    )
    print(
        f"real time: ASR lag p95 < {limits.asr_lag_s} s, frame lateness p95 < {limits.frame_lateness_s * 1000:.0f} ms, "
        f"median latency ≤ {limits.latency_factor:g}× one call, every call finished",
        flush=True,
    )
    print(
        f"{'calls':>5}  {'latency median':>14}  {'p95':>6}  {'ASR lag p95':>11}  {'late p95':>8}  {'bill read':>9}  "
        "real time",
        flush=True,
    )
    verdicts, single_call_median = [], math.nan
    numbers = itertools.count()  # each call of every level has the next caller
    for calls in levels:
        if kit.warm is not None:  # as `make voice-serve` does at startup
            await asyncio.to_thread(kit.warm, calls)
        level = await run_level(kit, calls, numbers)
        if calls == 1:
            single_call_median = level.latency.median
        problems = real_time_problems(level, single_call_median, limits)
        verdicts.append((calls, not problems))
        print(
            f"{calls:>5}  {level.latency.median:>14.3f}  {level.latency.p95:>6.3f}  {level.asr_lag.p95:>11.3f}  "
            f"{level.lateness.p95 * 1000:>6.1f}ms  {level.completed:>4} of {calls:<2}  "
            f"{'yes' if not problems else 'no: ' + '; '.join(problems)}",
            flush=True,
        )
        if problems:
            break
    return largest_real_time(verdicts)


# ------------------------------------------------------------------ running it
@contextlib.contextmanager
def output_to(path: Path):
    """Points this process's stdout and stderr at ``path`` (so child processes started inside
    log there) and restores them afterwards."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


def model_directory() -> tuple:
    """(Vosk model directory, a short name for the report): $VOSK_MODEL, else the Chinese model of make setup."""
    directory = Path(os.environ.get(VOSK_MODEL_ENV) or vosk_model.default_model_dir())
    return str(directory), directory.name


async def warm_up(assistant: RasaAssistant) -> None:
    """The first requests to fresh Rasa and action servers take seconds."""
    conversation = f"bench-warm-up-{uuid.uuid4().hex[:8]}"
    for line in ("/greet",) + SCRIPT:
        text = line if line != ONE_TIME_CODE else await asyncio.to_thread(outbox_code, PHONE, conversation)
        await assistant.send(conversation, text or "000000")


async def bench_with_assistant(url: str, model, voice, args) -> tuple:
    assistant = RasaAssistant(url)
    try:
        await warm_up(assistant)
        recognizers = RecognizerPool(model)  # as services_from_env: reused across calls, warmed up
        warm_speech = EspeakSynthesizer().synthesize(WARM_UP_TEXT, RATE)  # as voice-serve does
        recognizers.warm(1, RATE, warm_speech)
        real = CallKit(assistant, lambda: MeasuredRecognizer(recognizers.take(RATE)), EspeakSynthesizer, voice)
        peer = CallKit(assistant, ScriptedTextRecognizer, EspeakSynthesizer, voice)
        latency = await bench_latency(real, peer, args.calls, args.peer_calls)
        shared_tts = EspeakSynthesizer()
        parallel = CallKit(
            assistant,
            lambda: MeasuredRecognizer(recognizers.take(RATE)),
            lambda: shared_tts,
            voice,
            warm=lambda calls: recognizers.warm(calls, RATE, warm_speech),
        )
        largest = await bench_parallel(parallel, parallel_levels(args.max_calls), RealTimeLimits())
        return latency, largest
    finally:
        await assistant.close()


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.voice", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run for development: fewer calls and levels")
    parser.add_argument("--calls", type=int, default=7, help="scripted calls for the latency (3 turns each; default 7)")
    parser.add_argument("--peer-calls", type=int, default=4, help="peer calls for the latency (default 4)")
    parser.add_argument("--max-calls", type=int, default=24, help="largest number of parallel calls tried (default 24)")
    args = parser.parse_args(argv)
    if min(args.calls, args.peer_calls, args.max_calls) < 1:
        parser.error("--calls, --peer-calls and --max-calls must be at least 1")
    if args.quick:
        args.calls, args.peer_calls, args.max_calls = 2, 1, min(args.max_calls, 4)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        model_dir, model_name = model_directory()
        model = load_model(model_dir)
        EspeakSynthesizer().check()
        voice = NeuralSynthesizer()  # the caller's (cached: callers repeat their lines)
        voice.check()
    except (ModelMissing, TtsError) as exc:
        print(f"bench-voice: {exc}", file=sys.stderr)
        return 2
    print(f"Vosk model: {model_name} ({model_dir}); {load_line()}", flush=True)
    factors = bench_rtf(model, args.quick)
    (latency, peer_latency, understood), largest = bench_calls(model, voice, args)
    print(
        f"\n== summary: python -m tests.bench.voice {' '.join(sys.argv[1:] if argv is None else argv)} "
        f"(took {time.monotonic() - started:.0f} s; {load_line()}) =="
    )
    print(
        f"peer (script double as recognizer) first-audio latency: median {peer_latency.median:.3f} s, "
        f"p95 {peer_latency.p95:.3f} s ({peer_latency.n} turns)"
    )
    print(f"first-audio latency: median {latency.median:.3f} s, p95 {latency.p95:.3f} s ({latency.n} turns)")
    print(
        f"calls understood: {understood.completed} of {understood.calls} got their bill; lines understood the first "
        f"time {understood.first_time}/{understood.lines}; CER {understood.cer:.1%}; recognizer text lag median "
        f"{understood.text_lag.median:.3f} s, p95 {understood.text_lag.p95:.3f} s"
    )
    for rate in (TELEPHONY_RATE, WIDEBAND_RATE):
        print(
            f"vosk rtf ({rate // 1000} kHz, {model_name}): {factors[rate][0]:.2f} new recognizer per clip, "
            f"{factors[rate][1]:.2f} warmed up"
        )
    print(f"parallel real-time calls: {largest} ({model_name}, {os.cpu_count()} CPUs)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (model, recognizers, calls; not Rasa): {peak_mb:.0f} MB")
    return 0


def bench_calls(model, voice, args) -> tuple:
    """Parts 2 and 3, against Rasa at $RASA_URL or servers started here."""
    from bot import build  # Rasa's tooling: imported only once it is needed
    from voice.backend import running_assistant

    if not os.environ.get("RASA_URL") and not build.model_path().exists():
        print("\nNo trained Rasa model for the current sources: training one first (this takes 15+ minutes).")
    print(f"\nStarting Rasa and the action server (their output: {SERVER_LOG.relative_to(REPO_ROOT)}) ...", flush=True)
    with contextlib.ExitStack() as servers:
        with output_to(SERVER_LOG):
            url = servers.enter_context(running_assistant())
        print(f"Rasa at {url}", flush=True)
        latency, largest = asyncio.run(bench_with_assistant(url, model, voice, args))
    return latency, largest


if __name__ == "__main__":
    sys.exit(main())
