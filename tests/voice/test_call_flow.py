"""The Chinese call flow end to end: the real Rasa server and action server (demo bank DB),
reached over the ``voice`` channel; the caller speaks real espeak-ng Mandarin that the real
endpointer cuts into utterances, and a recognizer double returns the scripted text for each.

One server pair serves all calls of the module; every call is its own Rasa conversation.
Calls run on virtual time (tests/voice/virtual_time.py) and Rasa answers in no call time, so the
call-time figures checked here do not depend on how fast this machine runs Rasa or espeak-ng
(`make bench-voice` measures that: first-audio latency, frame lateness).
"""

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select, text

from actions.bank.db import session_scope
from actions.bank.models import Account, Bill, CreditLine, Customer, HandoffTicket, OtpMessage
from actions.bank.money import format_yuan
from bot import manage
from tests.database_backends import empty_database, fresh_copy
from tests.voice import virtual_time
from tests.voice.doubles import RecordingOutput, ScriptedRecognizer, spoken
from voice import prompts
from voice.assistant import RasaAssistant, Reply
from voice.audio import FRAME_MS, TELEPHONY_RATE, frame_bytes
from voice.call_record import CallRecord, CallRecordStore
from voice.calls import CallServices
from voice.config import CallSettings
from voice.session import CallSession
from voice.speakable import speakable
from voice.speech_out import sentences
from voice.stt import DIGITS_GRAMMAR
from voice.tts import EspeakSynthesizer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300, func_only=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]
CALL_TIMEOUT_S = 300.0  # call seconds: a stuck call fails here, not at max_call_s
PAUSE_BEFORE_ANSWER_S = 0.6  # the caller lets the bot finish, then answers after this pause
KEY_GAP_S = 0.3
ASR_CONFIDENCE = 0.83
SPOKEN_DIGITS = "零幺二三四五六七八九"

ZHANG_WEI, LI_NA, WANG_QIANG = "13800138000", "13900139000", "13700137000"  # actions/bank/seed.py


# ----------------------------------------------------------------------------- servers


@dataclass
class Bot:
    url: str
    bank_url: str
    tracker_url: str
    calls_url: str


@pytest.fixture(scope="module")
def bot(trained_model, database_backend, bank_template, tmp_path_factory) -> Iterator[Bot]:
    """Rasa + action server on a private copy of the demo bank, with their own tracker store."""
    directory = tmp_path_factory.mktemp("call_flow")
    with (
        fresh_copy(database_backend, bank_template, directory) as bank_url,
        empty_database(database_backend, directory, "tracker") as tracker_url,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("BANK_DATABASE_URL", bank_url)
        env.setenv("TRACKER_STORE_URL", tracker_url)
        action_port, rasa_port = manage.free_port(), manage.free_port()
        endpoints = manage.write_endpoints(directory / "endpoints.yml", manage.action_url_for(action_port))
        with manage.ProcessGroup() as group:
            manage.start_action_server(group, action_port)
            rasa = group.start(manage.rasa_run_cmd(trained_model, endpoints, rasa_port, None))
            base = f"http://{manage.HOST}:{rasa_port}"
            manage.wait_until_up(f"{base}/webhooks/voice/", rasa, "Rasa server (voice channel)")
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
    and a hang-up. What the recognizer will return for an utterance is scripted the moment
    the caller starts saying it, so it can depend on what the bot did before (the SMS code)."""

    def __init__(self, session: CallSession, recognizer: ScriptedRecognizer) -> None:
        self.session, self.recognizer = session, recognizer
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
        self.recognizer.texts.append(heard if heard is not None else words)
        self.started_speaking.append(self.session.clock.now())
        self._unsaid += spoken(words, self.rate)

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


def place_call(bot: Bot, script: Callable, settings: CallSettings | None = None) -> Call:
    return virtual_time.run(_place_call(bot, script, settings or CallSettings()))


async def _place_call(bot: Bot, script: Callable, settings: CallSettings) -> Call:
    recognizer, synthesizer = ScriptedRecognizer([], ASR_CONFIDENCE), HeardSynthesizer()
    assistant, store = RasaAssistant(bot.url), CallRecordStore(bot.calls_url)
    services = CallServices(RasaInNoCallTime(assistant), lambda rate: recognizer, synthesizer, settings, store)
    output = TimedOutput()
    session = services.session(output, TELEPHONY_RATE, "test")
    output.clock = session.clock
    caller = Caller(session, recognizer)
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
    return [json.loads(row) for row in rows]


def rasa_heard(bot: Bot, conversation_id: str) -> list[dict]:
    return tracker_events(bot, conversation_id, "user")


def texts_rasa_heard(bot: Bot, conversation_id: str) -> list[str]:
    return [event["text"] for event in rasa_heard(bot, conversation_id)]


def code_sent(bot: Bot, conversation_id: str) -> str:
    """The one-time code the demo SMS outbox holds for this call."""
    with session_scope(bot.bank_url) as db:
        return db.scalars(
            select(OtpMessage.code).where(OtpMessage.sender_id == conversation_id).order_by(OtpMessage.id.desc())
        ).first()


def read_out(digits: str) -> str:
    """How a caller reads digits: 138 → 幺三八."""
    return "".join(SPOKEN_DIGITS[int(d)] for d in digits)


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


# ----------------------------------------------------------------------------- the scenarios


def test_greeting_voice_verification_and_bill_with_a_masked_record(bot):
    async def script(caller: Caller) -> None:
        await caller.say("我想查一下信用卡账单")
        await verify_by_voice(bot, caller, ZHANG_WEI)
        await caller.wait_for_turn()
        caller.hang_up()

    call = place_call(bot, script)
    code = code_sent(bot, call.session.conversation_id)

    # the greeting is the first thing on the line
    assert call.bot_said()[0] == utter_greet()
    assert call.output.sent_at[0] == 0.0  # at once (Rasa's and TTS's own time: make bench-voice)
    # Rasa got the cleaned-up digits, in this call's own conversation, over the voice channel
    heard = rasa_heard(bot, call.session.conversation_id)
    assert [e["text"] for e in heard] == ["/greet", "我想查一下信用卡账单", ZHANG_WEI, code]
    assert {e["input_channel"] for e in heard} == {"voice"}
    assert {e["metadata"]["call_id"] for e in heard} == {call.session.call_id}
    assert [e["metadata"]["via"] for e in heard] == ["system", "speech", "speech", "speech"]
    assert [e["metadata"].get("asr_confidence") for e in heard[1:]] == [ASR_CONFIDENCE] * 3
    assert any(g == list(DIGITS_GRAMMAR) for g in call.recognizer.grammars)  # digits expected when asked
    # the bill with the figures in the bank's books
    with session_scope(bot.bank_url) as db:
        card = open_bill(db, ZHANG_WEI, "credit_card")
        expected = [
            f"信用卡本期应还{format_yuan(card.amount_due - card.paid_amount)}",
            f"最低还款{format_yuan(card.minimum_due - card.paid_amount)}",
        ]
    answer = call.first("bot", "本期应还").text
    assert all(figure in answer for figure in expected), answer
    assert "白条" not in answer  # the credit card's bill was asked for, not every bill
    spoken_text = "".join(call.synthesizer.texts)  # and said as words: ¥8,650.00 → 八千六百五十元
    assert all(speakable(figure) in spoken_text for figure in expected), spoken_text
    assert "身份验证成功，张伟您好" in " ".join(call.bot_said())
    # the record: caller turns with ASR confidences, numbers masked, kept in the store
    caller_turns = call.entries("caller")
    assert [e.text for e in caller_turns] == ["我想查一下信用卡账单", "138****8000", "******"]
    assert {e.confidence for e in caller_turns} == {ASR_CONFIDENCE}
    assert call.stored["conversation_id"] == call.session.conversation_id
    assert call.stored["end_reason"] == "caller_hung_up"
    assert [e["text"] for e in call.stored["entries"]] == [e.text for e in call.record.entries]
    times = [e["t"] for e in call.stored["entries"]]
    assert times == sorted(times) and times[-1] > 0
    assert ZHANG_WEI not in call.stored["summary"] and code not in call.stored["summary"]


def test_verification_by_keypad_then_balance(bot):
    async def script(caller: Caller) -> None:
        await caller.say("查一下余额")
        await verify_by_keypad(bot, caller, LI_NA)
        await caller.wait_for_turn()
        caller.hang_up()

    call = place_call(bot, script)
    code = code_sent(bot, call.session.conversation_id)

    heard = rasa_heard(bot, call.session.conversation_id)
    assert [e["text"] for e in heard] == ["/greet", "查一下余额", LI_NA, code]
    assert [e["metadata"]["via"] for e in heard] == ["system", "speech", "dtmf", "dtmf"]
    answer = call.first("bot", "可用余额").text
    for account in savings_of(bot, LI_NA):
        assert f"尾号{account.card_number[-4:]}：可用余额{format_yuan(account.balance)}" in answer
    # keypad entries are kept masked, whole and key by key
    assert [e.text for e in call.entries("dtmf")] == ["139****9000", "******"]
    all_text = "".join(e["text"] for e in call.stored["entries"])
    assert LI_NA not in all_text and code not in all_text


def test_spoken_faq_question_gets_the_spoken_answer(bot):
    faq = faq_entry("baitiao_billing_cycle")

    async def script(caller: Caller) -> None:
        await caller.say("账单日跟还款日有啥区别")
        await caller.wait_for_turn()
        caller.hang_up()

    call = place_call(bot, script)

    assert texts_rasa_heard(bot, call.session.conversation_id) == ["/greet", "账单日跟还款日有啥区别"]
    assert call.bot_said()[1:] == [faq["answer_voice"]]
    assert faq["answer"] not in call.bot_said()
    assert call.session.barge_ins == 0


def test_buttons_are_read_as_numbered_options_and_chosen_by_key_and_by_voice(bot):
    async def script(caller: Caller) -> None:
        await caller.say("我的银行卡丢了")
        await verify_by_keypad(bot, caller, WANG_QIANG)
        await caller.press("1")  # 尾号3344, the only card
        await caller.say("第一个")  # 确认 (2 is 取消)
        await caller.wait_for_turn()
        caller.hang_up()

    (card,) = savings_of(bot, WANG_QIANG)
    assert card.status == "active"
    call = place_call(bot, script)

    spoken_text = "".join(call.synthesizer.texts)
    assert "尾号三三四四，请按一" in spoken_text
    assert "确认，请按一；取消，请按二" in spoken_text
    heard = texts_rasa_heard(bot, call.session.conversation_id)
    assert heard[-2:] == ['/inform{"card_tail": "3344"}', "/affirm"]
    assert "已为您冻结尾号3344的储蓄卡" in call.bot_said()[-1]
    (card,) = savings_of(bot, WANG_QIANG)
    assert card.status == "frozen"
    assert "第一个" in [e.text for e in call.entries("caller")]  # the record keeps what was said


def test_barge_in_stops_a_long_answer(bot):
    long_answer = faq_entry("baitiao_billing_cycle")["answer_voice"]
    next_answer = faq_entry("baitiao_interest_free")["answer_voice"]
    talk_over_s = 3.0

    async def script(caller: Caller) -> None:
        await caller.say("账单日跟还款日有啥区别")
        while not (caller.session.player.playing and long_answer in [e.text for e in caller.session.record.entries]):
            await caller.session.clock.sleep(FRAME_MS / 1000)
        await caller.session.clock.sleep(talk_over_s)
        await caller.say_now("白条的免息期怎么算")
        await caller.wait_for_turn()
        caller.hang_up()

    call = place_call(bot, script)

    answer = call.first("bot", long_answer)
    answer_at = answer.t
    barge_in = call.first("event", "barge-in")
    spoke_up_at = call.caller.started_speaking[-1]
    assert call.session.barge_ins == 1 and barge_in.text == "barge-in (speech): playback stopped"
    assert spoke_up_at < barge_in.t < spoke_up_at + 0.5  # espeak's lead-in + the endpointer's ≤140 ms
    # (record times are rounded to the millisecond; the clear goes out in the same instant)
    assert len(call.output.cleared_at) == 1 and barge_in.t - 0.001 <= call.output.cleared_at[0] < barge_in.t + 0.5
    # the bot went quiet: nothing played from the barge-in until the answer to the new question
    # (whose first frame goes out the instant it is recorded, at a time rounded to the millisecond)
    next_at = call.first("bot", next_answer).t
    assert call.output.frames_between(barge_in.t + 0.1, next_at - 0.001) == 0
    full_answer_s = sum(
        len(call.synthesizer.synthesize(s, TELEPHONY_RATE)) for s in sentences([Reply(long_answer)])
    ) / frame_bytes(TELEPHONY_RATE, 1000)
    played_s = call.output.frames_between(answer_at, barge_in.t + 0.1) * FRAME_MS / 1000
    assert played_s < min(full_answer_s - 3.0, talk_over_s + 1.5)
    assert texts_rasa_heard(bot, call.session.conversation_id) == [
        "/greet",
        "账单日跟还款日有啥区别",
        "白条的免息期怎么算",
    ]
    after_answer = call.record.entries[call.record.entries.index(answer) :]
    assert [e.who for e in after_answer][:3] == ["bot", "event", "caller"]


def test_silence_gets_two_reprompts_then_a_human(bot):
    async def script(caller: Caller) -> None:
        await asyncio.Event().wait()  # says nothing, never hangs up

    settings = CallSettings()
    call = place_call(bot, script, settings)

    said = call.bot_said()
    assert said[:3] == [utter_greet(), prompts.REPROMPT, prompts.REPROMPT]
    assert [e.text for e in call.entries("event") if e.text.startswith("no input")] == [
        "no input (1)",
        "no input (2)",
        "no input (3)",
    ]
    # each reprompt comes no_input_s after the bot fell silent (after the greeting's last frame)
    greeting_end = next(frame for frame, after in pairwise(call.output.sent_at) if after - frame > 1.0)
    first_reprompt = call.first("event", "no input (1)")
    assert settings.no_input_s <= first_reprompt.t - greeting_end < settings.no_input_s + 1.0
    # the offer of a human is the real handoff with a ticket for this conversation
    assert texts_rasa_heard(bot, call.session.conversation_id) == ["/greet", prompts.OFFER_HUMAN_INTENT]
    with session_scope(bot.bank_url) as db:
        ticket = db.scalars(select(HandoffTicket).where(HandoffTicket.sender_id == call.session.conversation_id)).one()
    handoff = tracker_events(bot, call.session.conversation_id, "bot")[-1]["text"]
    assert f"工单号{ticket.number}" in handoff
    assert said[-1].startswith("已为您转接人工客服") and len(said) == 4
    assert call.record.end_reason == "no_input" and call.stored["end_reason"] == "no_input"
    assert call.output.hung_up


def test_caller_hangs_up_mid_sentence(bot):
    cut_off = "我想查一下信用卡账单"

    async def script(caller: Caller) -> None:
        await caller.wait_for_turn()
        caller.start_saying(cut_off)
        await caller.session.clock.sleep(1.5)
        caller.hang_up()

    call = place_call(bot, script)

    assert call.session.endpointer.in_speech  # really cut off mid-utterance
    assert texts_rasa_heard(bot, call.session.conversation_id) == ["/greet"]
    assert call.recognizer.texts == [cut_off]  # the recognizer was never asked for its text
    assert not call.entries("caller")
    assert call.entries("event")[-2].text == "caller hung up while speaking; utterance dropped"
    assert call.stored["end_reason"] == "caller_hung_up"
    assert not call.output.hung_up  # the line is already gone
