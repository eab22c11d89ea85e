"""The Chinese call flow end to end (tests/voice/call_harness.py): the real Rasa server and
action server, the caller speaking real espeak-ng Mandarin that the real endpointer cuts into
utterances, and a recognizer double that returns the scripted text for each: the call's logic,
apart from what recognition makes of speech (tests/voice/test_calls_in_mandarin.py has that).

One server pair serves all calls of the module; every call is its own Rasa conversation.
"""

import asyncio
from collections.abc import Iterator
from itertools import pairwise

import pytest
from sqlalchemy import select

from actions.bank.db import session_scope
from actions.bank.models import HandoffTicket
from nlu.value_wording import digits_one_by_one, said_money
from tests.voice.call_harness import (
    ASR_CONFIDENCE,
    LI_NA,
    WANG_QIANG,
    ZHANG_WEI,
    Bot,
    Caller,
    code_sent,
    faq_entry,
    open_bill,
    place_call,
    rasa_heard,
    savings_of,
    serving,
    texts_rasa_heard,
    tracker_events,
    utter_greet,
    verify_by_keypad,
    verify_by_voice,
)
from tests.voice.doubles import barge_ins
from voice import prompts
from voice.assistant import Reply
from voice.audio import FRAME_MS, TELEPHONY_RATE, frame_bytes
from voice.config import CallSettings
from voice.speech_out import sentences
from voice.stt import DIGITS_GRAMMAR

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300, func_only=True)]


@pytest.fixture(scope="module")
def bot(trained_model, database_backend, bank_template, tmp_path_factory) -> Iterator[Bot]:
    with serving(database_backend, bank_template, tmp_path_factory.mktemp("call_flow"), trained_model) as served:
        yield served


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
    # the bill with the figures in the bank's books, worded for a call: ¥8,650.00 → 八千六百五十元
    with session_scope(bot.bank_url) as db:
        card = open_bill(db, ZHANG_WEI, "credit_card")
        expected = [
            f"信用卡本期应还{said_money(str(card.amount_due - card.paid_amount))}",
            f"最低还款{said_money(str(card.minimum_due - card.paid_amount))}",
        ]
    answer = call.first("bot", "本期应还").text
    assert all(figure in answer for figure in expected), answer
    assert "白条" not in answer  # the credit card's bill was asked for, not every bill
    spoken_text = "".join(call.synthesizer.texts)
    assert all(figure in spoken_text for figure in expected), spoken_text
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
    answer = call.first("bot", "可用余额").text  # the voice channel's wording: figures as words
    for account in savings_of(bot, LI_NA):
        tail, balance = digits_one_by_one(account.card_number[-4:]), said_money(str(account.balance))
        assert f"尾号{tail}" in answer and f"余额{balance}" in answer, answer
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
    assert barge_ins(call.record) == 0


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
    assert "已为您冻结尾号三三四四的储蓄卡" in call.bot_said()[-1]
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
    assert barge_ins(call.record) == 1 and barge_in.text == "barge-in (speech): playback stopped"
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
    # the offer of a human is the real hand-off: with no agent desk on this line, the bot says so
    # and offers a call-back; nobody answers, so no ticket promises one, and the call says goodbye
    assert texts_rasa_heard(bot, call.session.conversation_id) == ["/greet", prompts.OFFER_HUMAN_INTENT]
    with session_scope(bot.bank_url) as db:
        tickets = db.scalars(select(HandoffTicket).where(HandoffTicket.sender_id == call.session.conversation_id))
        assert list(tickets) == []
    offer = tracker_events(bot, call.session.conversation_id, "bot")[-1]["text"]
    assert "无法直接接通人工客服" in offer and "登记回电" in offer
    assert said[-2].startswith(offer) and said[-1] == prompts.NO_ANSWER_GOODBYE and len(said) == 5
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
