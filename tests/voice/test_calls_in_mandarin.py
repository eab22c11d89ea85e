"""Calls in real Mandarin: what the caller says (the neural voice, the one the Chinese model
understands; espeak-ng's Mandarin it does not) is decoded inside the call by the Chinese Vosk model
`make setup` installs — the real endpointer, the digits grammar when the bot asks for a number, the
text cleanup — and understood by the real assistant (tests/voice/call_harness.py, virtual time).

The neural voice does not say a sentence the same way twice (its TensorFlow Lite run is not
deterministic), so the caller's sentences are ones it says clearly; what recognition makes of
less clear speech is measured by `make bench-speech` and `make asr-eval`, not gated here.
"""

import asyncio
import functools
from collections.abc import Iterator

import pytest

from actions.bank.db import session_scope
from nlu.value_wording import said_money
from tests.database_backends import seeded_template
from tests.voice import installed, virtual_time
from tests.voice.call_harness import (
    LI_NA,
    ZHANG_WEI,
    Bot,
    Caller,
    TimedOutput,
    code_sent,
    faq_entry,
    open_bill,
    place_call,
    rasa_heard,
    savings_of,
    serving,
    verify_by_keypad,
)
from tests.voice.doubles import CannedAssistant, barge_ins, read_out, tone_synthesizer
from tests.voice.speech_data import CLEAN_RECORDINGS, recording_or_fail
from voice import asr_eval
from voice.audio import FRAME_MS, TELEPHONY_RATE, WIDEBAND_RATE, read_wav
from voice.calls import CallServices
from voice.config import CallSettings
from voice.stt import Recognizer, load_model

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600, func_only=True)]


@pytest.fixture(scope="module")
def bot(trained_model, day, tmp_path_factory) -> Iterator[Bot]:
    """On SQLite only: what these calls test is recognition, not the bank's database."""
    template = seeded_template("sqlite", tmp_path_factory.mktemp("bank_template"), day)
    with serving("sqlite", template, tmp_path_factory.mktemp("calls_in_mandarin"), trained_model) as served:
        yield served


@pytest.fixture(scope="module")
def model():
    return load_model(installed.chinese_model())


@pytest.fixture(scope="module")
def caller_voice():
    """The caller's voice, each sentence synthesized once per module."""
    synthesizer = installed.neural_voice()
    return functools.cache(synthesizer.synthesize)


def heard_call(bot: Bot, model, caller_voice, script):
    return place_call(bot, script, recognizer=Recognizer(model, TELEPHONY_RATE), voice=caller_voice)


async def say_the_code(bot: Bot, caller: Caller) -> None:
    """Reads the one-time code out; a caller it did not verify (told it was wrong, or asked again for
    six digits) says it once more, then keys it in, as callers do (the recognizer mishears about
    one spoken code in seven: docs/benchmarks.md, "Calls")."""
    code = code_sent(bot, caller.session.conversation_id)
    for _attempt in range(2):
        said_before = len(call_entries(caller, "bot"))
        await caller.say_now(read_out(code))
        await caller.wait_for_turn()
        if any("身份验证成功" in e.text for e in call_entries(caller, "bot")[said_before:]):
            return
    await caller.press(code + "#")
    await caller.wait_for_turn()


def intent_of(event: dict) -> str:
    return event["parse_data"]["intent"]["name"]


def test_a_bill_asked_for_and_verified_by_voice_is_read_back(bot, model, caller_voice):
    async def script(caller: Caller) -> None:
        await caller.say("我想查一下信用卡账单")
        await caller.say(read_out(ZHANG_WEI))  # 幺三八零零幺三八零零零
        await caller.wait_for_turn()
        await say_the_code(bot, caller)
        caller.hang_up()

    call = heard_call(bot, model, caller_voice, script)
    conversation = call.session.conversation_id
    code = code_sent(bot, conversation)

    heard = rasa_heard(bot, conversation)
    assert intent_of(heard[1]) == "query_bill", heard[1]["text"]
    assert heard[2]["text"] == ZHANG_WEI, call.record.transcript()  # digits, recognized and cleaned up
    assert heard[-1]["text"] == code, call.record.transcript()
    assert [e["metadata"]["via"] for e in heard[1:4]] == ["speech"] * 3
    confidences = [e["metadata"]["asr_confidence"] for e in heard[1:4]]
    assert all(0.0 < c <= 1.0 for c in confidences), confidences  # the recognizer's own
    with session_scope(bot.bank_url) as db:
        card = open_bill(db, ZHANG_WEI, "credit_card")
        due = said_money(str(card.amount_due - card.paid_amount))
    assert f"信用卡本期应还{due}" in call.first("bot", "本期应还").text  # the call's wording: figures as words
    assert due in "".join(call.synthesizer.texts)
    caller_said = [e.text for e in call.entries("caller")]
    assert caller_said[1] == "138****8000" and all(set(text) == {"*"} for text in caller_said[2:])  # masked


def test_digits_keyed_and_spoken_in_one_call(bot, model, caller_voice):
    async def script(caller: Caller) -> None:
        await caller.say("我想查一下账户余额")
        await caller.press(LI_NA + "#")
        await caller.wait_for_turn()
        await say_the_code(bot, caller)
        caller.hang_up()

    call = heard_call(bot, model, caller_voice, script)
    conversation = call.session.conversation_id

    heard = rasa_heard(bot, conversation)
    assert intent_of(heard[1]) == "check_balance", heard[1]["text"]
    assert heard[2]["text"] == LI_NA and heard[-1]["text"] == code_sent(bot, conversation)
    assert [e["metadata"]["via"] for e in heard[1:4]] == ["speech", "dtmf", "speech"]
    answer = call.first("bot", "可用余额").text
    assert all(said_money(str(a.balance)) in answer for a in savings_of(bot, LI_NA))


def test_keypad_verification_after_a_spoken_request(bot, model, caller_voice):
    async def script(caller: Caller) -> None:
        await caller.say("我想查一下信用卡账单")
        await verify_by_keypad(bot, caller, ZHANG_WEI)
        await caller.wait_for_turn()
        caller.hang_up()

    call = heard_call(bot, model, caller_voice, script)

    heard = rasa_heard(bot, call.session.conversation_id)
    assert [e["metadata"]["via"] for e in heard[1:]] == ["speech", "dtmf", "dtmf"]
    assert "本期应还" in " ".join(call.bot_said())


def test_speaking_over_a_long_answer_stops_it_and_is_understood(bot, model, caller_voice):
    next_answer = faq_entry("baitiao_interest_free")["answer_voice"]

    async def script(caller: Caller) -> None:
        await caller.say("白条可以提前还款吗")
        while not (caller.session.player.playing and len(call_entries(caller, "bot")) == 2):
            await caller.session.clock.sleep(FRAME_MS / 1000)
        await caller.session.clock.sleep(3.0)
        await caller.say_now("白条免息期有多长")
        await caller.wait_for_turn()
        caller.hang_up()

    call = heard_call(bot, model, caller_voice, script)

    assert barge_ins(call.record) == 1, call.record.transcript()
    barge_in = call.first("event", "barge-in")
    spoke_up_at = call.caller.started_speaking[-1]
    assert spoke_up_at < barge_in.t < spoke_up_at + 0.5
    assert len(call.output.cleared_at) == 1  # the answer's audio was cut off on the line
    said = call.bot_said()
    assert len(said) == 3 and said[-1] == next_answer, call.record.transcript()  # the question asked over it


def call_entries(caller: Caller, who: str) -> list:
    return [e for e in caller.session.record.entries if e.who == who]


# ----------------------------------------------------------------------------- real recordings


def call_with_recording(model, recording, rate: int) -> list[str]:
    """One call whose caller plays ``recording``; the texts the assistant got."""
    assistant = CannedAssistant()
    services = CallServices(assistant, lambda r: Recognizer(model, r), tone_synthesizer(), CallSettings())

    async def run() -> None:
        output = TimedOutput()
        session = services.session(output, rate, "test")
        output.clock = session.clock
        caller = Caller(session, None, lambda _words, r: read_wav(recording.path, r)[0])
        call = asyncio.create_task(session.run())
        line = asyncio.create_task(caller.line())
        await caller.say(recording.transcript)  # the recording, whatever the words
        await caller.wait_for_turn()
        caller.hang_up()
        await call
        line.cancel()

    virtual_time.run(run())
    return [text for _, text, metadata in assistant.received if metadata.get("via") == "speech"]


@pytest.mark.quality
@pytest.mark.parametrize("rate", [TELEPHONY_RATE, WIDEBAND_RATE])
@pytest.mark.parametrize("recording", CLEAN_RECORDINGS)
def test_read_mandarin_recordings_through_a_call(model, recording, rate):
    recording = recording_or_fail(recording)
    texts = call_with_recording(model, recording, rate)
    assert asr_eval.cer(recording.transcript, "".join(texts)) <= 0.10, texts
