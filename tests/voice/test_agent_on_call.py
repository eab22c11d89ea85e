"""A person from the agent desk takes over a live call and hands it back (CallSession.join_agent,
agent_audio, agent_left): the real endpointer on espeak-ng speech, a scripted recognizer, canned
assistant replies and a tone TTS, on virtual time (tests/voice/virtual_time.py); times are call
time. The tests' strict mode (conftest.py) fails any move of the call's state the table does not list."""

import asyncio
import threading
from dataclasses import dataclass, field, replace
from functools import cache

import pytest

from tests.voice import virtual_time
from tests.voice.doubles import CallLog, CannedAssistant, ScriptedRecognizer, barge_ins, spoken
from voice import prompts
from voice.assistant import Reply
from voice.audio import FRAME_MS, TELEPHONY_RATE, WIDEBAND_RATE, frame_bytes, frames, resample, rms, silence
from voice.call_state import CallState
from voice.calls import CallServices
from voice.clock import Clock
from voice.config import CallSettings
from voice.session import CallSession
from voice.speech_out import sentences
from voice.transports import browser
from voice.tts import ToneSynthesizer

pytestmark = pytest.mark.timeout(120)

AGENT = "王敏"
HAND_BACK = "已为您转回智能助手。"
LONG_GREETING = [Reply("您好，欢迎致电智能客服。" * 5)]  # 3.6 s of tones
BILL = "好的，正在为您查询本月账单。"
LONG_REQUEST = "我想问一下这个月的账单怎么还"
VOICED = 300  # rms of a 20 ms frame with speech or tone in it


@cache
def speech(text: str, rate: int = TELEPHONY_RATE) -> bytes:
    """espeak-ng's Mandarin, synthesized once per text and rate."""
    return spoken(text, rate)


class SaidSynthesizer(ToneSynthesizer):
    """Tones, and every text it was asked to say."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def synthesize(self, text: str, sample_rate: int) -> bytes:
        self.texts.append(text)
        return super().synthesize(text, sample_rate)


class LineOut:
    """The call's way back to the caller: audio and clears, in the order sent, with their call time."""

    def __init__(self) -> None:
        self.clock: Clock | None = None
        self.sent: list[tuple[float, object]] = []  # (t, bytes) or (t, "clear")
        self.hung_up = False

    async def send_audio(self, pcm: bytes) -> None:
        self.sent.append((self.clock.now(), pcm))

    async def clear(self) -> None:
        self.sent.append((self.clock.now(), "clear"))

    async def hang_up(self) -> None:
        self.hung_up = True

    def audio(self, start: float = 0.0, end: float = float("inf")) -> list[bytes]:
        return [item for t, item in self.sent if isinstance(item, bytes) and start <= t < end]

    def clears(self) -> list[float]:
        return [t for t, item in self.sent if item == "clear"]


class DeskLog(CallLog):
    """What the desk would be told: the states, joins and leaves, hand-offs, what the call says."""

    def __init__(self) -> None:
        super().__init__()
        self.told: list[tuple] = []

    def agent_joined(self, name: str) -> None:
        self.told.append(("joined", name))

    def agent_left(self) -> None:
        self.told.append(("left",))

    def handoff_requested(self, handoff: dict) -> None:
        self.told.append(("handoff", handoff))

    def replied(self, text: str) -> None:
        self.told.append(("replied", text))


class Agent:
    def __init__(self) -> None:
        self.heard: list[bytes] = []

    def hear(self, pcm16k: bytes) -> None:
        self.heard.append(pcm16k)


class Line:
    """The caller: a 20 ms frame every 20 ms of call time, silence unless they are saying something.
    What the scripted recognizer returns is scripted when the caller starts speaking to the bot."""

    def __init__(self, session: CallSession, recognizer: ScriptedRecognizer) -> None:
        self.session, self.recognizer = session, recognizer
        self.rate = session.settings.sample_rate
        self.unsaid = bytearray()
        self.fed_with_agent: list[bytes] = []  # frames fed while an agent held the call

    async def run(self) -> None:
        size, index = frame_bytes(self.rate), 0
        while not self.session.ended:
            await self.session.clock.sleep_until(index * FRAME_MS / 1000)
            frame = bytes(self.unsaid[:size]).ljust(size, b"\x00")
            del self.unsaid[:size]
            self.session.feed_audio(frame)
            if self.session.with_agent:
                self.fed_with_agent.append(frame)
            index += 1

    def say(self, words: str, to_bot: bool = True) -> None:
        """Starts saying ``words``; said to the bot, the scripted recognizer will hear them."""
        if to_bot:
            self.recognizer.texts.append(words)
        self.unsaid += speech(words, self.rate)


@dataclass
class Call:
    session: CallSession
    output: LineOut
    assistant: CannedAssistant
    recognizer: ScriptedRecognizer
    synthesizer: SaidSynthesizer
    line: Line
    agent: Agent = field(default_factory=Agent)

    @property
    def desk(self) -> DeskLog:
        assert isinstance(self.session.observer, DeskLog)
        return self.session.observer

    def sent_to_assistant(self) -> list[str]:
        return [text for _, text, _ in self.assistant.received]

    def said(self) -> list[str]:
        return [e.text for e in self.session.record.entries if e.who == "bot"]

    def events(self) -> list[str]:
        return [e.text for e in self.session.record.entries if e.who == "event"]


def place_call(
    script, replies=None, settings=None, rate=TELEPHONY_RATE, assistant=None, until_s=30.0, recognizer=None
) -> Call:
    """Runs ``script(call)`` against a call that greets with LONG_GREETING; the caller hangs up when
    the script is done, or at ``until_s``, unless the call ended before. A failing step of the
    script fails the test."""

    async def calling() -> Call:
        output, synthesizer = LineOut(), SaidSynthesizer()
        canned = assistant or CannedAssistant({"/greet": LONG_GREETING, "查账单": [Reply(BILL)], **(replies or {})})
        heard = recognizer or ScriptedRecognizer([])
        session = CallSession(
            "c1", output, canned, heard, synthesizer, (settings or CallSettings()).with_rate(rate), Clock(),
            observer=DeskLog(),
        )  # fmt: skip
        output.clock = session.clock
        call = Call(session, output, canned, session.recognition.recognizer, synthesizer, Line(session, heard))
        running = asyncio.create_task(session.run())
        feeding = asyncio.create_task(call.line.run())
        scripted = asyncio.create_task(script(call))
        try:
            await asyncio.wait({scripted, running}, timeout=until_s, return_when=asyncio.FIRST_COMPLETED)
            session.caller_hung_up()
            await running
        finally:
            feeding.cancel()
            scripted.cancel()
        if scripted.done() and not scripted.cancelled():
            scripted.result()
        return call

    return virtual_time.run(calling())


def voiced_frames(pcm: bytes, rate: int) -> list[bool]:
    return [rms(frame) > VOICED for frame in frames(pcm, rate, pad=False)]


def tone(amplitude: int, ms: int, rate: int = WIDEBAND_RATE) -> bytes:
    """A square wave: loud enough to tell from silence, its loudness telling chunks apart."""
    period = rate // 400
    samples = [amplitude if (i // (period // 2)) % 2 else -amplitude for i in range(rate * ms // 1000)]
    return b"".join(s.to_bytes(2, "little", signed=True) for s in samples)


# ----------------------------------------------------------------------------- taking over


def test_an_agent_joining_while_the_bot_speaks_stops_it_clears_the_line_and_holds_the_call():
    seen = {}

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(1.01)
        call.session.join_agent(AGENT, call.agent.hear)
        seen["state"], seen["with_agent"] = call.session.state, call.session.with_agent
        await call.session.clock.sleep_until(6.0)  # the greeting would have played until 3.6 s
        seen["still"] = call.session.state

    call = place_call(script, until_s=8.0)
    assert seen == {"state": CallState.WITH_AGENT, "with_agent": True, "still": CallState.WITH_AGENT}
    assert call.desk.states == [CallState.GREETING, CallState.WITH_AGENT, CallState.ENDED]
    assert ("joined", AGENT) in call.desk.told
    assert call.output.clears() == [pytest.approx(1.01)]
    assert not call.output.audio(1.02), "not a frame more of the greeting, and it is not resumed"
    assert len(call.output.audio(0, 1.02)) == 51  # 0.00 … 1.00 s: stopped within the frame it was in
    assert "agent joined: 王敏" in call.events()
    assert call.sent_to_assistant() == ["/greet"]
    assert call.session.record.end_reason == "caller_hung_up"


def test_the_callers_audio_goes_to_the_agent_at_16_khz_not_to_the_recognizer_or_the_assistant():
    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(1.01)
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(2.0)
        call.line.say(LONG_REQUEST, to_bot=False)
        await call.session.clock.sleep_until(9.0)

    call = place_call(script, until_s=10.0)
    fed, heard = b"".join(call.line.fed_with_agent), b"".join(call.agent.heard)
    assert fed.count(speech(LONG_REQUEST)[:4000]) == 1, "the caller spoke while the agent held the call"
    assert abs(len(heard) - 2 * len(fed)) <= 4, "8 kHz in, 16 kHz out: twice the bytes"
    back, original = (
        voiced_frames(resample(heard, WIDEBAND_RATE, TELEPHONY_RATE), TELEPHONY_RATE),
        voiced_frames(fed, TELEPHONY_RATE),
    )
    differing = sum(a != b for a, b in zip(back, original, strict=False))
    assert sum(original) > 50 and differing <= 4, "voiced where the caller spoke"
    assert 0.8 < rms(heard) / rms(fed) < 1.2, "the caller's voice, not silence"
    assert call.recognizer.bytes_heard == 0 and call.recognizer.utterances == [], "the recognizer heard nothing"
    assert call.sent_to_assistant() == ["/greet"]
    assert barge_ins(call.session.record) == 0 and call.output.clears() == [pytest.approx(1.01)]
    assert call.desk.states[-2:] == [CallState.WITH_AGENT, CallState.ENDED]


def test_keys_pressed_while_an_agent_holds_the_call_are_kept_masked_and_are_no_entry_for_the_bot():
    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(1.01)
        call.session.join_agent(AGENT, call.agent.hear)
        for key in "138":  # no # and no pause long enough before the hand-back: an entry, were it taken
            call.session.press(key)
            await call.session.clock.sleep(0.3)
        call.session.agent_left()
        await call.session.clock.sleep(2 * CallSettings().dtmf_timeout_s)
        call.session.press("#")
        await call.session.clock.sleep(1.0)

    call = place_call(script, until_s=15.0)
    assert [e.text for e in call.session.record.entries if e.who == "key"] == ["•", "•", "•", "#"]
    assert call.sent_to_assistant() == ["/greet"]
    assert not [e for e in call.session.record.entries if e.who == "dtmf"]
    assert CallState.COLLECTING_KEYS not in call.desk.states


def test_on_a_16_khz_call_the_agent_hears_the_callers_frames_as_they_are():

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(0.51)
        call.session.join_agent(AGENT, call.agent.hear)
        call.line.say(LONG_REQUEST, to_bot=False)
        await call.session.clock.sleep_until(0.6 + len(speech(LONG_REQUEST, WIDEBAND_RATE)) / (2 * WIDEBAND_RATE))

    call = place_call(script, rate=WIDEBAND_RATE, until_s=10.0)
    assert b"".join(call.agent.heard) == b"".join(call.line.fed_with_agent)
    assert speech(LONG_REQUEST, WIDEBAND_RATE) in b"".join(call.agent.heard)


def test_the_agents_voice_reaches_the_caller_at_the_calls_rate_in_order_and_at_once():
    chunks = [tone(1000 * (index + 1), 30) for index in range(8)]  # 30 ms each: not whole frames of the call
    at = {}

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(0.51)
        call.session.agent_audio(chunks[0])  # before the agent joined: ignored
        await call.session.clock.sleep_until(1.01)
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(2.01)
        at["start"] = call.session.clock.now()
        for chunk in chunks:
            call.session.agent_audio(chunk)
        await call.session.clock.sleep_until(3.01)
        call.session.agent_left()
        call.session.agent_audio(chunks[0])  # after the agent left: ignored
        await call.session.clock.sleep_until(4.0)

    call = place_call(script, until_s=5.0)
    sent = [(t, item) for t, item in call.output.sent if t > 1.0]
    assert sent[0] == (pytest.approx(1.01), "clear"), "the line is cleared before the agent is heard"
    agent_frames = [item for t, item in sent if isinstance(item, bytes)]
    assert {t for t, item in sent if isinstance(item, bytes)} == {at["start"]}, "sent as it came, not paced"
    assert not [t for t, _ in call.output.sent if t == pytest.approx(0.51)], "not before the agent joined"
    assert all(len(frame) == frame_bytes(TELEPHONY_RATE) for frame in agent_frames)
    assert len(agent_frames) == 8 * 30 // FRAME_MS, "240 ms at 16 kHz → twelve 20 ms frames at 8 kHz"
    loudness = [rms(frame) for frame in agent_frames]
    assert loudness == sorted(loudness) and loudness[0] > VOICED, "louder chunk after louder chunk: in order"
    assert not call.output.audio(3.0, 5.0), "nor after they left"


def test_on_a_16_khz_call_the_agents_voice_is_passed_on_as_it_is():
    voice = tone(3000, 200)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(0.51)
        call.session.join_agent(AGENT, call.agent.hear)
        call.session.agent_audio(voice)
        await call.session.clock.sleep_until(1.0)

    call = place_call(script, rate=WIDEBAND_RATE, until_s=2.0)
    assert b"".join(call.output.audio(0.505)) == voice


def test_agent_audio_that_is_not_16_bit_pcm_is_refused():
    async def script(call: Call) -> None:
        call.session.join_agent(AGENT, call.agent.hear)
        with pytest.raises(ValueError, match="not 16-bit PCM"):
            call.session.agent_audio(b"\x00\x01\x02")

    place_call(script, until_s=1.0)


# ----------------------------------------------------------------------------- the bot stays out of it


def test_long_silence_while_an_agent_holds_the_call_brings_no_reprompt_and_no_offer_of_a_human():
    settings = replace(CallSettings(), no_input_s=2.0)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(4.01)  # after the greeting: the caller has the floor
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(30.0)

    call = place_call(script, settings=settings, until_s=31.0)
    assert prompts.REPROMPT not in call.said()
    assert not [text for text in call.events() if text.startswith("no input")]
    assert call.sent_to_assistant() == ["/greet"]
    assert call.desk.states == [
        CallState.GREETING, CallState.LISTENING, CallState.WITH_AGENT, CallState.ENDED,
    ]  # fmt: skip
    assert call.session.record.end_reason == "caller_hung_up"


def test_an_answer_on_its_way_when_the_agent_joins_is_never_spoken():
    slow = CannedAssistant({"/greet": [Reply("您好。")], "查账单": [Reply(BILL)]}, delay_s=2.0)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(1.0)
        call.line.say("查账单")
        while call.session.state is not CallState.THINKING:
            await call.session.clock.sleep(FRAME_MS / 1000)
        call.session.join_agent(AGENT, call.agent.hear)  # the assistant answers 2 s after it was asked
        await call.session.clock.sleep_until(8.0)
        call.session.agent_left()
        await call.session.clock.sleep_until(12.0)

    call = place_call(script, assistant=slow, until_s=13.0)
    assert call.sent_to_assistant() == ["/greet", "查账单"]
    assert BILL not in call.said() and BILL not in call.synthesizer.texts
    assert ("replied", BILL) not in call.desk.told
    assert call.desk.states[-5:] == [
        CallState.RECOGNIZING, CallState.THINKING, CallState.WITH_AGENT, CallState.LISTENING, CallState.ENDED,
    ]  # fmt: skip


def test_what_the_caller_was_saying_when_the_agent_joined_is_forgotten():
    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(4.0)
        call.line.say(LONG_REQUEST)
        await call.session.clock.sleep_until(4.81)  # half way through it
        assert call.session.endpointer.in_speech
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(9.01)
        call.session.agent_left()
        await call.session.clock.sleep_until(10.0)
        call.line.say("查账单")
        await call.session.clock.sleep_until(14.0)

    call = place_call(script, until_s=15.0)
    assert call.sent_to_assistant() == ["/greet", "查账单"]
    assert call.recognizer.texts == []


class JoinedWhileDecoding(ScriptedRecognizer):
    """The agent joins while the recognizer, in its thread, is still finishing the caller's utterance."""

    def __init__(self) -> None:
        super().__init__([])
        self.loop: asyncio.AbstractEventLoop | None = None
        self.join = lambda: None

    def finish(self):
        if self.texts and self.loop is not None:
            joined = threading.Event()
            self.loop.call_soon_threadsafe(lambda: (self.join(), joined.set()))
            assert joined.wait(10)
        return super().finish()


@pytest.mark.parametrize("stays", [True, False], ids=["agent stays", "agent left before it was recognized"])
def test_an_utterance_still_being_recognized_when_the_agent_joined_is_not_a_turn_after_they_leave(stays):
    recognizer = JoinedWhileDecoding()

    def join_and_maybe_leave(session: CallSession, hear) -> None:
        session.join_agent(AGENT, hear)
        if not stays:
            session.agent_left()

    async def script(call: Call) -> None:
        recognizer.loop = asyncio.get_running_loop()
        recognizer.join = lambda: join_and_maybe_leave(call.session, call.agent.hear)
        await call.session.clock.sleep_until(4.0)
        call.line.say("查账单")
        while not call.recognizer.utterances:
            await call.session.clock.sleep(FRAME_MS / 1000)
        await call.session.clock.sleep(2.0)
        call.session.agent_left()
        await call.session.clock.sleep(4.0)

    call = place_call(script, recognizer=recognizer, until_s=15.0)
    assert call.recognizer.utterances, "the caller's words were being recognized when the agent joined"
    assert call.sent_to_assistant() == ["/greet"]
    assert call.desk.states[-5:] == [
        CallState.LISTENING, CallState.RECOGNIZING, CallState.WITH_AGENT, CallState.LISTENING, CallState.ENDED,
    ]  # fmt: skip


# ----------------------------------------------------------------------------- handing back


def test_handing_back_speaks_the_notice_then_the_next_utterance_goes_to_the_assistant():
    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(1.01)
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(3.0)
        call.line.say(LONG_REQUEST, to_bot=False)
        await call.session.clock.sleep_until(8.01)
        call.session.agent_left([HAND_BACK])
        assert not call.session.with_agent
        await call.session.clock.sleep_until(11.0)
        call.line.say("查账单")
        await call.session.clock.sleep_until(16.0)

    call = place_call(script, until_s=17.0)
    assert HAND_BACK in call.synthesizer.texts
    assert call.said()[1:] == [HAND_BACK, BILL]
    notice = next(e for e in call.session.record.entries if e.text == HAND_BACK)
    assert notice.who == "bot" and 8.01 <= notice.t < 8.1
    notice_frames = len(HAND_BACK) * ToneSynthesizer.MS_PER_CHAR // FRAME_MS
    assert len(call.output.audio(8.0, 11.0)) == notice_frames
    assert call.sent_to_assistant() == ["/greet", "查账单"]
    assert call.desk.told == [
        ("replied", LONG_GREETING[0].text), ("joined", AGENT), ("left",), ("replied", HAND_BACK), ("replied", BILL),
    ]  # fmt: skip
    assert call.desk.states == [
        CallState.GREETING, CallState.WITH_AGENT, CallState.SPEAKING, CallState.LISTENING, CallState.RECOGNIZING,
        CallState.THINKING, CallState.SPEAKING, CallState.LISTENING, CallState.ENDED,
    ]  # fmt: skip
    assert [t for t in call.events() if t.startswith("agent")] == ["agent joined: 王敏", "agent left: 王敏"]


def test_the_agent_hears_nothing_once_they_handed_the_call_back():
    async def script(call: Call) -> None:
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(2.01)
        call.session.agent_left()
        call.line.say("查账单")
        await call.session.clock.sleep_until(5.0)

    call = place_call(script, until_s=6.0)
    assert len(call.agent.heard) == 101  # the frames of 0.00 … 2.00 s
    assert call.sent_to_assistant() == ["/greet", "查账单"]


def test_silence_after_the_hand_back_counts_from_the_hand_back():
    settings = replace(CallSettings(), no_input_s=2.0)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(4.01)
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(20.01)
        call.session.agent_left()
        await call.session.clock.sleep_until(23.0)

    call = place_call(script, settings=settings, until_s=24.0)
    reprompts = [e.t for e in call.session.record.entries if e.text == prompts.REPROMPT]
    assert len(reprompts) == 1 and 22.0 <= reprompts[0] < 22.2


# ----------------------------------------------------------------------------- what still ends a call


def test_the_maximum_call_length_still_ends_a_call_an_agent_holds():
    settings = replace(CallSettings(), max_call_s=10.0)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(4.01)
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(40.0)

    call = place_call(script, settings=settings, until_s=60.0)
    assert call.session.record.end_reason == "max_call_length"
    assert call.said()[-1] == prompts.CALL_TOO_LONG and call.output.hung_up
    assert 10.0 <= call.session.record.duration_s < 20.0
    assert call.desk.states[-3:] == [CallState.WITH_AGENT, CallState.SPEAKING, CallState.ENDED]


def test_no_agent_can_join_a_call_saying_its_last_notice():
    settings = replace(CallSettings(), max_call_s=5.0, no_input_s=60.0)

    async def script(call: Call) -> None:
        while prompts.CALL_TOO_LONG not in call.said():
            await call.session.clock.sleep(FRAME_MS / 1000)
        call.session.join_agent(AGENT, call.agent.hear)
        assert not call.session.with_agent
        await call.session.clock.sleep(30.0)

    call = place_call(script, settings=settings, until_s=40.0)
    assert call.session.record.end_reason == "max_call_length"
    assert ("joined", AGENT) not in call.desk.told and CallState.WITH_AGENT not in call.desk.states
    notice_frames = sum(map(len, sentences([Reply(prompts.CALL_TOO_LONG)]))) * ToneSynthesizer.MS_PER_CHAR // FRAME_MS
    assert len(call.output.audio(5.0)) == notice_frames, "the notice was said to the end"


def test_no_agent_can_join_a_call_that_is_over():
    async def script(call: Call) -> None:
        call.session.caller_hung_up()

    call = place_call(script, until_s=1.0)
    call.session.join_agent(AGENT, call.agent.hear)
    assert not call.session.with_agent
    call.session.agent_audio(tone(1000, 20))
    call.session.agent_left([HAND_BACK])
    assert call.session.state is CallState.ENDED and ("joined", AGENT) not in call.desk.told
    assert HAND_BACK not in call.said()


HANDED_OFF = {"ticket": "H000012", "priority": "normal", "summary": {"reason": "客户要求人工服务"}}


@pytest.mark.parametrize("response", ["utter_handed_off", "utter_goodbye"])
def test_a_hand_off_reaches_the_desk_and_the_call_goes_on(response):
    transfer = [Reply("正在为您转接人工客服，请稍候。", response=response), Reply("", handoff=HANDED_OFF)]
    settings = replace(CallSettings(), no_input_s=30.0)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(4.0)
        call.line.say("转人工")
        await call.session.clock.sleep_until(12.0)
        assert not call.session.ended
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(14.0)

    call = place_call(script, replies={"转人工": transfer}, settings=settings, until_s=15.0)
    assert ("handoff", HANDED_OFF) in call.desk.told
    assert call.session.record.end_reason == "caller_hung_up" and not call.output.hung_up
    assert "" not in call.synthesizer.texts and call.said()[-1] == transfer[0].text
    assert "handed off (ticket H000012): the caller waits for a person" in call.events()
    assert CallState.WITH_AGENT in call.desk.states


def test_a_caller_waiting_for_an_agent_is_on_hold_not_reprompted_or_hung_up():
    transfer = [Reply("正在为您转接人工客服，请不要挂机。", response="utter_handed_off"), Reply("", handoff=HANDED_OFF)]
    settings = replace(CallSettings(), no_input_s=6.0)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(4.0)
        call.line.say("转人工")
        await call.session.clock.sleep_until(60.0)  # nobody has taken the call yet: ten silences long
        assert not call.session.ended
        call.session.join_agent(AGENT, call.agent.hear)
        await call.session.clock.sleep_until(62.0)

    call = place_call(script, replies={"转人工": transfer}, settings=settings, until_s=63.0)
    assert not any(event.startswith("no input") for event in call.events())
    after = call.said()[call.said().index(transfer[0].text) + 1 :]
    assert after == [prompts.ON_HOLD, prompts.ON_HOLD]  # every 20 s of quiet; no reprompt, no second offer
    assert CallState.WITH_AGENT in call.desk.states


def test_a_silent_caller_handed_to_the_desk_stays_on_hold_instead_of_being_hung_up():
    transfer = [Reply("正在为您转接人工客服，请不要挂机。", response="utter_handed_off"), Reply("", handoff=HANDED_OFF)]
    settings = replace(CallSettings(), no_input_s=3.0)

    async def script(call: Call) -> None:
        await call.session.clock.sleep_until(50.0)
        assert not call.session.ended

    call = place_call(script, replies={prompts.OFFER_HUMAN_INTENT: transfer}, settings=settings, until_s=51.0)
    assert ("handoff", HANDED_OFF) in call.desk.told
    assert call.session.record.end_reason == "caller_hung_up"  # at the script's end, not for silence
    assert prompts.NO_ANSWER_GOODBYE not in call.said()


# ----------------------------------------------------------------------------- the web page


def test_the_page_shows_the_agent_holding_the_call_and_gets_their_voice():
    async def page_call():
        assistant = CannedAssistant({"/greet": [Reply("您好。")]})
        services = CallServices(
            assistant, lambda rate: ScriptedRecognizer([]), ToneSynthesizer(), CallSettings(no_input_s=30)
        )
        sent, published, agent = [], [], Agent()
        call, task = browser.start(services, "web-s1", sent.append, published.append)
        await asyncio.sleep(1.0)
        call.session.join_agent(AGENT, agent.hear)
        call.feed(silence(WIDEBAND_RATE, FRAME_MS))
        call.session.agent_audio(tone(2000, 40))
        await asyncio.sleep(1.0)
        call.session.agent_left([HAND_BACK])
        await asyncio.sleep(2.0)
        await call.hang_up()
        await asyncio.wait_for(task, 10)
        return sent, published, agent

    sent, published, agent = virtual_time.run(page_call())
    states = [e["state"] for e in published if e.get("type") == "call"]
    assert states == ["started", "listening", "agent", "speaking", "listening", "ended"]
    assert agent.heard == [silence(WIDEBAND_RATE, FRAME_MS)]
    after_clear = sent[sent.index({"type": "clear"}) + 1 :]
    assert b"".join(after_clear[:2]) == tone(2000, 40), "the agent's voice first, then the hand-back notice"
    said = [e["text"] for e in published if e.get("type") == "message"]
    assert said == ["您好。", HAND_BACK]
