"""A whole call against the real Rasa server and action server (demo bank DB), reached over the
``voice`` channel, on virtual time (tests/voice/virtual_time.py): Rasa answers in no call time, so
the call-time figures tests check do not depend on how fast this machine runs Rasa or TTS
(`make bench-voice` measures that).

The caller speaks into the real endpointer; what the recognizer makes of it is either scripted
(``ScriptedRecognizer``: tests of call logic) or real (a Vosk recognizer: tests of recognition).
"""

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select, text

from actions.bank.db import session_scope
from actions.bank.models import Account, Bill, CreditLine, Customer
from actions.bank.sms import outbox
from bot import processes, servers
from tests.database_backends import empty_database, fresh_copy
from tests.stored_events import event_data
from tests.voice import virtual_time
from tests.voice.doubles import RecordingOutput, ScriptedRecognizer, read_out, spoken
from voice import prompts
from voice.assistant import RasaAssistant
from voice.audio import FRAME_MS, TELEPHONY_RATE, frame_bytes
from voice.call_record import CallRecord, CallRecordStore
from voice.calls import CallServices
from voice.config import CallSettings
from voice.session import CallSession
from voice.tts import EspeakSynthesizer

REPO_ROOT = Path(__file__).resolve().parents[2]
CALL_TIMEOUT_S = 300.0  # call seconds: a stuck call fails here, not at max_call_s
PAUSE_BEFORE_ANSWER_S = 0.6  # the caller lets the bot finish, then answers after this pause
KEY_GAP_S = 0.3
ASR_CONFIDENCE = 0.83

ZHANG_WEI, LI_NA, WANG_QIANG = "13800138000", "13900139000", "13700137000"  # actions/bank/seed.py


# ----------------------------------------------------------------------------- servers


@dataclass
class Bot:
    url: str
    bank_url: str
    tracker_url: str
    calls_url: str


@contextlib.contextmanager
def serving(database_backend: str, bank_template, directory: Path, trained_model: Path) -> Iterator[Bot]:
    """Rasa + action server on a private copy of the demo bank, with their own tracker store."""
    with (
        fresh_copy(database_backend, bank_template, directory) as bank_url,
        empty_database(database_backend, directory, "tracker") as tracker_url,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("BANK_DATABASE_URL", bank_url)
        env.setenv("TRACKER_STORE_URL", tracker_url)
        with processes.ProcessGroup() as group:
            base = servers.start_rasa_with_actions(group, trained_model, directory / "endpoints.yml", channel="voice")
            asyncio.run(_warm_up(base))
            yield Bot(base, bank_url, tracker_url, f"sqlite:///{directory / 'calls.db'}")


async def _warm_up(url: str) -> None:
    """A fresh server takes ~1 s over its first message; a deployment would have had its first call."""
    assistant = RasaAssistant(url)
    try:
        await assistant.send("warm-up", prompts.GREETING_INTENT)
    finally:
        await assistant.close()


# ----------------------------------------------------------------------------- the caller


class RasaInNoCallTime:
    """The real assistant, while the call's clock stands still: its replies all arrive the
    instant they are asked for."""

    def __init__(self, rasa: RasaAssistant) -> None:
        self.rasa = rasa

    async def stream(self, conversation_id: str, text: str, metadata: dict | None = None):
        with virtual_time.time_stands_still():
            replies = [reply async for reply in self.rasa.stream(conversation_id, text, metadata)]
        for reply in replies:
            yield reply


class TimedOutput(RecordingOutput):
    """Also keeps the call time of every frame and every clear()."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = None
        self.sent_at: list[float] = []
        self.cleared_at: list[float] = []

    async def send_audio(self, pcm: bytes) -> None:
        self.sent_at.append(self.clock.now())
        await super().send_audio(pcm)

    async def clear(self) -> None:
        self.cleared_at.append(self.clock.now())
        await super().clear()

    def frames_between(self, start: float, end: float) -> int:
        return sum(start <= t < end for t in self.sent_at)


class HeardSynthesizer(EspeakSynthesizer):
    """Real TTS that keeps every text it was asked to speak."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def synthesize(self, text: str, sample_rate: int) -> bytes:
        self.texts.append(text)
        return super().synthesize(text, sample_rate)


class Caller:
    """The far end of the line: audio (speech or silence) every 20 ms of call time, keys,
    and a hang-up. With a scripted recognizer, what it will return for an utterance is scripted
    the moment the caller starts saying it, so it can depend on what the bot did before (the SMS code).
    ``voice`` turns the caller's words into PCM16 at the call's rate."""

    def __init__(self, session: CallSession, recognizer, voice: Callable[[str, int], bytes] = spoken) -> None:
        self.session, self.recognizer, self.voice = session, recognizer, voice
        self.rate = session.settings.sample_rate
        self._unsaid = bytearray()
        self._waiting_since: float | None = None
        self.started_speaking: list[float] = []  # call time of each utterance's first frame

    async def line(self) -> None:
        size, index = frame_bytes(self.rate), 0
        while not self.session.ended:
            await self.session.clock.sleep_until(index * FRAME_MS / 1000)
            frame = bytes(self._unsaid[:size]).ljust(size, b"\x00")
            del self._unsaid[:size]
            self.session.feed_audio(frame)
            index += 1
            await asyncio.sleep(0)  # the session takes the frame before it is asked whether it waits
            waiting = self.session.waiting_for_caller
            self._waiting_since = (self._waiting_since or self.session.clock.now()) if waiting else None

    async def wait_for_turn(self) -> None:
        """Until the bot has been waiting for the caller for PAUSE_BEFORE_ANSWER_S."""
        clock = self.session.clock
        while self._waiting_since is None or clock.now() - self._waiting_since < PAUSE_BEFORE_ANSWER_S:
            await clock.sleep(FRAME_MS / 1000)

    async def say(self, words: str, heard: str | None = None) -> None:
        await self.wait_for_turn()
        await self.say_now(words, heard)

    async def say_now(self, words: str, heard: str | None = None) -> None:
        """Speaks at once, even over the bot; the recognizer will return ``heard`` (default: ``words``)."""
        self.start_saying(words, heard)
        while self._unsaid and not self.session.ended:
            await self.session.clock.sleep(FRAME_MS / 1000)

    def start_saying(self, words: str, heard: str | None = None) -> None:
        if isinstance(self.recognizer, ScriptedRecognizer):
            self.recognizer.texts.append(heard if heard is not None else words)
        self.started_speaking.append(self.session.clock.now())
        self._unsaid += self.voice(words, self.rate)

    async def press(self, keys: str) -> None:
        await self.wait_for_turn()
        for key in keys:
            self.session.press(key)
            await self.session.clock.sleep(KEY_GAP_S)

    def hang_up(self) -> None:
        self._unsaid.clear()
        self.session.caller_hung_up()


# ----------------------------------------------------------------------------- one call


@dataclass
class Call:
    session: CallSession
    record: CallRecord
    stored: dict
    output: TimedOutput
    recognizer: ScriptedRecognizer
    synthesizer: HeardSynthesizer
    caller: Caller

    def bot_said(self) -> list[str]:
        return [e.text for e in self.record.entries if e.who == "bot"]

    def entries(self, who: str) -> list:
        return [e for e in self.record.entries if e.who == who]

    def first(self, who: str, containing: str):
        return next(e for e in self.record.entries if e.who == who and containing in e.text)


def place_call(
    bot: Bot,
    script: Callable,
    settings: CallSettings | None = None,
    recognizer=None,
    voice: Callable[[str, int], bytes] = spoken,
) -> Call:
    """A call the caller makes by ``script(caller)``; the recognizer is a ScriptedRecognizer unless given."""
    recognizer = recognizer or ScriptedRecognizer([], ASR_CONFIDENCE)
    return virtual_time.run(_place_call(bot, script, settings or CallSettings(), recognizer, voice))


async def _place_call(bot: Bot, script: Callable, settings: CallSettings, recognizer, voice) -> Call:
    synthesizer = HeardSynthesizer()
    assistant, store = RasaAssistant(bot.url), CallRecordStore(bot.calls_url)
    services = CallServices(RasaInNoCallTime(assistant), lambda rate: recognizer, synthesizer, settings, store)
    output = TimedOutput()
    session = services.session(output, TELEPHONY_RATE, "test")
    output.clock = session.clock
    caller = Caller(session, recognizer, voice)
    try:
        record = await asyncio.wait_for(_run(session, caller, script), CALL_TIMEOUT_S)
    finally:
        await assistant.close()
    return Call(session, record, store.load(session.call_id), output, recognizer, synthesizer, caller)


async def _run(session: CallSession, caller: Caller, script: Callable) -> CallRecord:
    call = asyncio.create_task(session.run())
    helpers = [asyncio.create_task(caller.line()), asyncio.create_task(script(caller))]
    try:
        record = await call
    finally:
        for task in helpers:
            task.cancel()
        results = await asyncio.gather(*helpers, return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError)]
    if failures:  # a failing script step must fail the test, not vanish
        raise CallerScriptFailed(f"the call so far:\n{record.transcript()}") from failures[0]
    return record


class CallerScriptFailed(AssertionError):
    pass


# ----------------------------------------------------------------------------- what the bank and Rasa hold


def tracker_events(bot: Bot, conversation_id: str, kind: str) -> list[dict]:
    """Events of one kind (user, bot, ...) of a conversation, from Rasa's tracker store."""
    engine = create_engine(bot.tracker_url, future=True)
    try:
        with engine.connect() as connection:
            rows = (
                connection.execute(
                    text("SELECT data FROM events WHERE sender_id = :sender AND type_name = :kind ORDER BY id"),
                    {"sender": conversation_id, "kind": kind},
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    return [event_data(row) for row in rows]


def rasa_heard(bot: Bot, conversation_id: str) -> list[dict]:
    return tracker_events(bot, conversation_id, "user")


def texts_rasa_heard(bot: Bot, conversation_id: str) -> list[str]:
    return [event["text"] for event in rasa_heard(bot, conversation_id)]


def code_sent(bot: Bot, conversation_id: str) -> str:
    """The one-time code the demo SMS outbox holds for this call."""
    with session_scope(bot.bank_url) as db:
        return outbox.latest_code(db, conversation=conversation_id)


def as_vosk_writes(digits: str) -> str:
    """What a recognizer returns for digits read out: 138 → "幺 三 八"."""
    return " ".join(read_out(digits))


def open_bill(db, phone: str, product: str) -> Bill:
    line = db.scalars(
        select(CreditLine).join(Customer).where(Customer.phone == phone).where(CreditLine.product == product)
    ).one()
    return db.scalars(select(Bill).where(Bill.credit_line_id == line.id).order_by(Bill.statement_date.desc())).first()


def savings_of(bot: Bot, phone: str) -> list[Account]:
    with session_scope(bot.bank_url) as db:
        accounts = db.scalars(select(Account).join(Customer).where(Customer.phone == phone).order_by(Account.id)).all()
        db.expunge_all()
        return accounts


def faq_entry(faq_id: str) -> dict:
    entries = yaml.safe_load((REPO_ROOT / "bot" / "faq" / "faqs.yml").read_text(encoding="utf-8"))
    return next(e for e in entries if e["id"] == faq_id)


def utter_greet() -> str:
    responses = yaml.safe_load((REPO_ROOT / "bot" / "domain" / "responses.yml").read_text(encoding="utf-8"))
    return responses["responses"]["utter_greet"][0]["text"]


# ----------------------------------------------------------------------------- the caller's steps


async def verify_by_voice(bot: Bot, caller: Caller, phone: str) -> None:
    """Says the phone number, then the code the bot has just sent (read from the outbox)."""
    await caller.say(read_out(phone), heard=as_vosk_writes(phone))
    await caller.wait_for_turn()
    code = code_sent(bot, caller.session.conversation_id)
    await caller.say_now(read_out(code), heard=as_vosk_writes(code))


async def verify_by_keypad(bot: Bot, caller: Caller, phone: str) -> None:
    await caller.press(phone + "#")
    await caller.wait_for_turn()
    await caller.press(code_sent(bot, caller.session.conversation_id) + "#")
