import asyncio

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.bank.db import session_scope
from actions.bank.models import OtpMessage
from actions.queries import ValidateBalanceForm
from actions.verification import require_customer
from tests.actions.conftest import ZHANG_WEI_PHONE, make_tracker, texts_of


def validate(method, value, tracker):
    dispatcher = CollectingDispatcher()
    result = method(value, dispatcher, tracker, {})
    return result, texts_of(dispatcher)


def test_known_phone_gets_a_code_in_the_outbox_and_a_masked_reply(bank):
    result, texts = validate(ValidateBalanceForm().validate_phone, ZHANG_WEI_PHONE, make_tracker())
    assert result == {"phone": ZHANG_WEI_PHONE}
    assert "138****8000" in texts[0] and ZHANG_WEI_PHONE not in texts[0]
    with session_scope(bank) as session:
        sent = session.scalars(select(OtpMessage)).all()
    assert [m.phone for m in sent] == [ZHANG_WEI_PHONE]


def test_unknown_phone_is_asked_again(bank):
    result, texts = validate(ValidateBalanceForm().validate_phone, "13512345678", make_tracker())
    assert result == {"phone": None}
    assert "没有找到" in texts[0]


def test_right_code_verifies_the_session(bank, issued_code):
    tracker = make_tracker({"phone": ZHANG_WEI_PHONE})
    result, texts = validate(ValidateBalanceForm().validate_otp_code, issued_code, tracker)
    assert result["verified"] is True and result["customer_id"]
    assert "验证成功" in texts[0]


def test_three_wrong_codes_lock_the_session(bank, issued_code):
    wrong = "000000" if issued_code != "000000" else "111111"
    failures = 0
    for _attempt in range(3):
        tracker = make_tracker({"phone": ZHANG_WEI_PHONE, "otp_failures": failures})
        result, texts = validate(ValidateBalanceForm().validate_otp_code, wrong, tracker)
        assert result["otp_code"] is None
        failures = result["otp_failures"]
    assert result["locked"] is True and "锁定" in texts[0]


def test_required_slots_follow_the_verification_state():
    validator = ValidateBalanceForm()
    domain_slots = ["phone", "otp_code"]

    def ask(slots):
        return asyncio.run(validator.required_slots(domain_slots, CollectingDispatcher(), make_tracker(slots), {}))

    assert ask({}) == ["phone", "otp_code"]
    assert ask({"verified": True, "customer_id": "1"}) == []
    assert ask({"locked": True}) == []


def test_no_customer_data_without_verification():
    dispatcher = CollectingDispatcher()
    assert require_customer(dispatcher, make_tracker({"customer_id": "1"})) is None
    assert "身份验证" in texts_of(dispatcher)[0]
