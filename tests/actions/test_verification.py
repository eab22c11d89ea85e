import asyncio
import copy
from datetime import datetime, time, timedelta

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.bank import db
from actions.bank.clock import OFFSET_VARIABLE, offset_to, today
from actions.bank.db import session_scope
from actions.bank.models import Customer, OtpCode, OtpFailure
from actions.bank.services import identity
from actions.bank.sms.outbox import latest_code, recent_messages
from actions.queries import ValidateBalanceForm
from actions.verification import require_customer
from tests.actions.conftest import ZHANG_WEI_PHONE, make_tracker, texts_of
from tests.actions.sms_gateway import sms_gateway


def validate(method, value, tracker):
    dispatcher = CollectingDispatcher()
    result = method(value, dispatcher, tracker, {})
    return result, texts_of(dispatcher)


def ask_code(sender_id="test-user"):
    return validate(ValidateBalanceForm().validate_phone, ZHANG_WEI_PHONE, make_tracker(sender_id=sender_id))


def enter_code(code, sender_id="test-user", failures=0):
    tracker = make_tracker({"phone": ZHANG_WEI_PHONE, "otp_failures": failures}, sender_id=sender_id)
    return validate(ValidateBalanceForm().validate_otp_code, code, tracker)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def demo_mode(monkeypatch):
    monkeypatch.delenv("SMS_GATEWAY_URL", raising=False)


@pytest.fixture
def clock(monkeypatch):
    """The bank clock, set by ``clock(minutes)`` to that many minutes after 10:00 today."""
    start = datetime.combine(today(), time(10, 0))

    def set_to(minutes: float) -> None:
        monkeypatch.setenv(OFFSET_VARIABLE, str(offset_to(start + timedelta(minutes=minutes))))

    set_to(0)
    return set_to


def test_known_phone_gets_a_code_in_the_demo_outbox_and_a_masked_reply(bank, demo_mode):
    result, texts = ask_code()
    assert result == {"phone": ZHANG_WEI_PHONE}
    assert "138****8000" in texts[0] and ZHANG_WEI_PHONE not in texts[0] and "make outbox" in texts[0]
    with session_scope(bank) as session:
        code = latest_code(session, ZHANG_WEI_PHONE, conversation="test-user")
    assert code is not None
    result, texts = enter_code(code)
    assert result["verified"] is True and "验证成功" in texts[0]


def test_with_a_gateway_the_code_goes_there_and_the_reply_says_nothing_of_a_demo(bank, monkeypatch):
    with sms_gateway() as (url, log):
        monkeypatch.setenv("SMS_GATEWAY_URL", url)
        monkeypatch.setenv("SMS_GATEWAY_TOKEN", "t0ken")
        result, texts = ask_code()
    assert result == {"phone": ZHANG_WEI_PHONE}
    assert texts == ["验证码已发送到138****8000，5分钟内有效，请注意查收。"]
    [request] = log.received
    assert request["authorization"] == "Bearer t0ken" and request["body"]["phone"] == ZHANG_WEI_PHONE
    with session_scope(bank) as session:
        assert latest_code(session) is None  # nothing in the demo outbox
    code = next(word for word in request["body"]["text"].split("，") if word.startswith("您的验证码是"))[-6:]
    result, _ = enter_code(code)
    assert result["verified"] is True


def test_a_gateway_that_fails_gets_a_polite_answer_and_the_phone_asked_again(bank, monkeypatch, free_port):
    monkeypatch.setenv("SMS_GATEWAY_URL", f"http://127.0.0.1:{free_port}/sms")
    monkeypatch.setenv("SMS_GATEWAY_TOKEN", "t0ken")
    result, texts = ask_code()
    assert result == {"phone": None}
    assert texts == ["抱歉，验证码短信暂时没能发出，请稍后再试一次；着急的话，也可以说“转人工”由人工客服为您办理。"]


def test_unknown_phone_is_asked_again(bank):
    result, texts = validate(ValidateBalanceForm().validate_phone, "13512345678", make_tracker())
    assert result == {"phone": None}
    assert "没有找到" in texts[0]


def test_right_code_verifies_the_session(bank, issued_code):
    result, texts = enter_code(issued_code)
    assert result["verified"] is True and result["customer_id"]
    assert "验证成功" in texts[0]


def test_three_wrong_codes_lock_the_session(bank, issued_code):
    failures = 0
    for _attempt in range(3):
        result, texts = enter_code(wrong(issued_code), failures=failures)
        assert result["otp_code"] is None
        failures = result["otp_failures"]
    assert result["locked"] is True and "锁定" in texts[0]


def test_wrong_codes_from_many_fresh_conversations_lock_the_phone(bank, demo_mode, clock):
    """Each attacker conversation asks for a code and guesses once, a minute apart: no conversation
    reaches its own limit, but the phone's fifth wrong code locks it for 30 minutes in every conversation."""
    for n in range(identity.MAX_FAILURES):
        clock(n)
        ask_code(f"attacker-{n}")
        with session_scope(bank) as session:
            code = latest_code(session, conversation=f"attacker-{n}")
        result, texts = enter_code(wrong(code), sender_id=f"attacker-{n}")
    assert result == {"otp_code": None, "locked": True}
    assert texts == [
        "这个手机号的验证码输错次数过多，为保护您的账户安全，验证已暂停，请30分钟后再试。如需马上办理，可以说“转人工”。"
    ]
    clock(identity.MAX_FAILURES + 5)
    result, texts = ask_code("owner")
    assert result == {"phone": None, "locked": True} and "请24分钟后再试" in texts[0]
    clock(identity.MAX_FAILURES - 1 + 30.5)  # the lock is over; the attackers used up the hour's codes, though
    result, texts = ask_code("owner")
    assert result == {"phone": None, "locked": True} and "一小时内获取验证码的次数已达上限" in texts[0]
    clock(60.5)
    assert ask_code("owner")[0] == {"phone": ZHANG_WEI_PHONE}


def test_codes_asked_for_from_many_fresh_conversations_are_limited(bank, demo_mode, clock):
    for n in range(identity.MAX_CODES_PER_HOUR):
        clock(n)
        assert ask_code(f"caller-{n}")[0] == {"phone": ZHANG_WEI_PHONE}
    clock(10)
    result, texts = ask_code("caller-new")
    assert result == {"phone": None, "locked": True}
    assert texts == [
        "这个手机号一小时内获取验证码的次数已达上限，为保护您的账户安全，请50分钟后再试。如需马上办理，可以说“转人工”。"
    ]
    with session_scope(bank) as session:
        assert session.scalar(select(func.count(OtpCode.id))) == identity.MAX_CODES_PER_HOUR
    clock(60.5)
    assert ask_code("caller-new")[0] == {"phone": ZHANG_WEI_PHONE}


def test_the_action_server_never_seeds_an_empty_database(tmp_path, monkeypatch, demo_mode):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("BANK_DATABASE_URL", url)
    result, texts = ask_code()
    assert result == {"phone": None}
    assert texts == ["抱歉，没有找到与这个手机号关联的客户，请您核对手机号后再试。"]
    with session_scope(url) as session:
        assert session.scalar(select(func.count(Customer.id))) == 0
    db.get_engine(url).dispose()


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


# A replayed call (HAProxy's retry on the other action server, or the client re-sending the message)
# hands the action the same customer message again: it must do what the first call did, no more.


def message(text: str, message_id: str | None = "msg-1", timestamp: float = 1_700_000_000.0) -> dict:
    return {"event": "user", "text": text, "timestamp": timestamp, **({"message_id": message_id} if message_id else {})}


def phone_turn(**said) -> dict:
    """The tracker dict of the turn in which the customer gave the phone, as the action server gets it."""
    return {"slots": {}, "events": [{"event": "action", "name": "action_listen"}, message(ZHANG_WEI_PHONE, **said)]}


def code_turn(code: str, failures: int = 0, **said) -> dict:
    slots = {"phone": ZHANG_WEI_PHONE, "otp_failures": failures}
    return {
        "slots": slots,
        "events": [message(ZHANG_WEI_PHONE), {"event": "slot", "name": "phone"}, message(code, **said)],
    }


def ask_code_in(turn: dict):
    tracker = make_tracker(turn["slots"], events=copy.deepcopy(turn["events"]))
    return validate(ValidateBalanceForm().validate_phone, ZHANG_WEI_PHONE, tracker)


def enter_code_in(turn: dict, code: str):
    tracker = make_tracker(turn["slots"], events=copy.deepcopy(turn["events"]))
    return validate(ValidateBalanceForm().validate_otp_code, code, tracker)


def outbox(bank) -> list[str]:
    with session_scope(bank) as session:
        return [m.text for m in recent_messages(session, ZHANG_WEI_PHONE)]


@pytest.mark.parametrize("message_id", ["msg-1", None], ids=["message_id", "timestamp"])
def test_a_replayed_phone_turn_sends_one_code_and_says_the_same(bank, demo_mode, message_id):
    turn = phone_turn(message_id=message_id)
    first = ask_code_in(turn)
    assert ask_code_in(turn) == first
    assert first[0] == {"phone": ZHANG_WEI_PHONE} and "138****8000" in first[1][0]
    assert len(outbox(bank)) == 1
    with session_scope(bank) as session:
        code = latest_code(session, ZHANG_WEI_PHONE)
    assert enter_code_in(code_turn(code), code)[0]["verified"] is True  # the one code sent is the one to type


def test_a_message_resent_by_the_client_with_its_id_sends_no_second_code(bank, demo_mode):
    """The replica died before storing the turn: the message comes again, with its id, later."""
    ask_code_in(phone_turn(timestamp=1_700_000_000.0))
    assert ask_code_in(phone_turn(timestamp=1_700_000_009.5))[0] == {"phone": ZHANG_WEI_PHONE}
    assert len(outbox(bank)) == 1


def test_a_new_message_with_the_same_phone_gets_a_new_code(bank, demo_mode):
    ask_code_in(phone_turn(message_id="msg-1"))
    assert ask_code_in(phone_turn(message_id="msg-2"))[0] == {"phone": ZHANG_WEI_PHONE}
    first, second = outbox(bank)
    assert first != second


class ReplicaDied(BaseException):
    """The action server's process ends between issuing the code and sending it."""


def die(*_args):
    raise ReplicaDied()


def test_a_replay_after_the_first_call_died_before_sending_sends_a_fresh_code(bank, monkeypatch):
    turn = phone_turn()
    with sms_gateway() as (url, log):
        monkeypatch.setenv("SMS_GATEWAY_URL", url)
        monkeypatch.setenv("SMS_GATEWAY_TOKEN", "t0ken")
        with monkeypatch.context() as dying:
            dying.setattr("actions.verification.otp_text", die)
            with pytest.raises(ReplicaDied):
                ask_code_in(turn)
        assert log.received == []
        result, texts = ask_code_in(turn)
        assert ask_code_in(turn) == (result, texts)  # and once sent, no more
    assert result == {"phone": ZHANG_WEI_PHONE} and texts == ["验证码已发送到138****8000，5分钟内有效，请注意查收。"]
    [sent] = log.received
    code = sent["body"]["text"][len("您的验证码是") :][:6]
    assert enter_code_in(code_turn(code), code)[0]["verified"] is True


def test_a_replayed_right_code_verifies_again_with_the_same_reply(bank, issued_code):
    turn = code_turn(issued_code)
    first = enter_code_in(turn, issued_code)
    assert first[0]["verified"] is True and "验证成功" in first[1][0]
    assert enter_code_in(turn, issued_code) == first
    with session_scope(bank) as session:
        assert session.scalar(select(func.count(OtpFailure.id))) == 0


def test_a_replayed_wrong_code_is_counted_once(bank, issued_code):
    turn = code_turn(wrong(issued_code))
    first = enter_code_in(turn, wrong(issued_code))
    assert first == ({"otp_code": None, "otp_failures": 1}, first[1]) and "还可以再试2次" in first[1][0]
    assert enter_code_in(turn, wrong(issued_code)) == first
    with session_scope(bank) as session:
        assert session.scalar(select(func.count(OtpFailure.id))) == 1
    assert enter_code_in(code_turn(issued_code, failures=1, message_id="msg-2"), issued_code)[0]["verified"] is True
