"""bot.nlg: domain responses filled with typed values, written for chat and said for calls."""

import asyncio
from functools import cache
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import ChannelResponses, slot_asked_by

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"


@cache
def nlg() -> ChannelResponses:
    return ChannelResponses(domain=Domain.load(DOMAIN))


def say(response: str, channel: str = "rest", **values) -> dict:
    message = nlg().generate_from_slots(response, {}, channel, **values)
    assert message is not None
    return message


BILL = {
    "product": "信用卡",
    "amount": {"money": "8650.00"},
    "minimum": {"money": "865"},
    "due": {"day": "2026-12-05"},
}


def test_typed_values_are_written_for_a_screen():
    text = say("utter_bill_due", **BILL)["text"]
    assert text == "信用卡本期应还¥8,650.00，最低还款¥865.00，到期日12月5日。"


def test_the_same_values_are_said_on_a_call():
    text = say("utter_bill_due", "voice", **BILL)["text"]
    assert text == "信用卡本期应还八千六百五十元。最低还款八百六十五元。到期日是十二月五日。"


def test_a_call_gets_the_voice_variant_and_a_chat_the_other():
    assert "make outbox" in say("utter_code_sent_demo", phone={"phone": "138****8000"})["text"]
    spoken = say("utter_code_sent_demo", "voice", phone={"phone": "138****8000"})["text"]
    assert spoken.startswith("验证码已发送到尾号八零零零的手机") and "make" not in spoken
    assert "演示" not in say("utter_code_sent", phone={"phone": "138****8000"})["text"]  # a real SMS gateway


def test_the_values_travel_with_the_message_for_the_call():
    assert say("utter_bill_due", "voice", **BILL)["values"]["amount"] == {"money": "8650.00"}


def test_lines_are_responses_of_their_own_joined_into_one_message():
    item = {"response": "utter_credit_line", "product": "白条"}
    money = {"limit": {"money": "20000"}, "used": {"money": "0"}, "available": {"money": "20000"}}
    text = say("utter_credit_lines", credit_lines={"lines": [{**item, **money}, {**item, **money}]})["text"]
    assert text.splitlines() == ["白条：总额度¥20,000.00，已用¥0.00，可用¥20,000.00。"] * 2


def test_lines_can_make_one_sentence():
    details = [
        {"response": "utter_noted_amount", "amount": {"money": "500"}},
        {"response": "utter_noted_recipient", "value": "李娜"},
    ]
    text = say("utter_noted", details={"lines": details, "joined_by": "，"})["text"]
    assert text == "好的，金额是¥500.00，收款人是李娜。"


@pytest.mark.parametrize(
    "response, slot",
    [
        ("utter_ask_phone", "phone"),
        ("utter_ask_otp_code", "otp_code"),
        ("utter_ask_card_tail_to_pay_from", "card_tail"),
        ("utter_ask_repay_form_amount", "amount"),
        ("utter_ask_transfer_form_amount_for_recipient", "amount"),
        ("utter_ask_confirm_transfer", "confirm"),
        ("utter_ask_what_for", None),
        ("utter_greet", None),
    ],
)
def test_a_question_says_which_slot_it_asks_for(response, slot):
    domain = Domain.load(DOMAIN)
    assert slot_asked_by(response, [s.name for s in domain.slots], domain.form_names) == slot


def tracker(active_loop=None) -> DialogueStateTracker:
    domain = Domain.load(DOMAIN)
    found = DialogueStateTracker("caller", domain.slots)
    if active_loop:
        found.update(ActiveLoop(active_loop))
    return found


def test_the_slot_asked_for_is_sent_with_the_question():
    generator = ChannelResponses()  # as Rasa makes it: responses are set after the model loads
    generator.responses = Domain.load(DOMAIN).responses
    asked = asyncio.run(generator.generate("utter_ask_otp_code", tracker(), "voice"))
    assert asked["requested_slot"] == "otp_code"
    in_form = asyncio.run(generator.generate("utter_ask_transfer_form_amount", tracker("transfer_form"), "voice"))
    assert in_form["requested_slot"] == "amount"
    assert "requested_slot" not in asyncio.run(generator.generate("utter_greet", tracker(), "voice"))


def test_only_the_actions_values_travel_not_rasas_message_fields():
    message = say("utter_verified", "voice", name="张伟", text=None, buttons=[], template="utter_verified")
    assert message["values"] == {"name": "张伟"}
