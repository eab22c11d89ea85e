from datetime import timedelta

import pytest

from actions.bank.errors import CustomerNotFound, InvalidInput
from actions.bank.services.identity import (
    check_otp,
    find_customer_by_phone,
    issue_otp,
    latest_otp,
)

PHONE = "13800138000"


def test_find_customer_by_phone(session):
    customer = find_customer_by_phone(session, "138 0013 8000")
    assert customer.name == "张伟" and customer.masked_phone == "138****8000"
    with pytest.raises(CustomerNotFound):
        find_customer_by_phone(session, "13812345678")
    with pytest.raises(InvalidInput):
        find_customer_by_phone(session, "12345")


def test_issued_code_goes_to_outbox_and_checks_once(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert len(code) == 6 and code.isdigit()
    shown = latest_otp(session, PHONE)
    assert shown.code == code and shown.masked_phone == "138****8000" and not shown.consumed
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=1))
    assert latest_otp(session).consumed
    assert not check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=2))


def test_wrong_code_does_not_use_up_the_right_one(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not check_otp(session, PHONE, "web-1", wrong, now=noon)
    assert check_otp(session, PHONE, "web-1", code, now=noon)


def test_expired_code_is_rejected(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert not check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=5, seconds=1))


def test_code_belongs_to_its_conversation_and_phone(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert not check_otp(session, PHONE, "web-2", code, now=noon)
    assert not check_otp(session, "13900139000", "web-1", code, now=noon)


def test_only_latest_code_counts(session, noon):
    old = issue_otp(session, PHONE, "web-1", now=noon)
    new = issue_otp(session, PHONE, "web-1", now=noon + timedelta(seconds=30))
    if old != new:
        assert not check_otp(session, PHONE, "web-1", old, now=noon + timedelta(minutes=1))
    assert check_otp(session, PHONE, "web-1", new, now=noon + timedelta(minutes=1))
    assert latest_otp(session, PHONE).code == new


def test_empty_outbox(session):
    assert latest_otp(session) is None
